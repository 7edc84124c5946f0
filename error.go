package wellcheck

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes: the few kinds of failure callers act on. The HTTP layer maps them to
// status codes in one place; the CLI maps them to exit codes.
const (
	EInvalid   = "invalid"
	ENotFound  = "not_found"
	EConflict  = "conflict"
	EForbidden = "forbidden"
	EInternal  = "internal"
)

// Error is a domain error: a code and a message meant for the user.
type Error struct {
	Code    string
	Message Message
}

// Error is for logs: English, with what the user typed masked (see Secret).
func (e *Error) Error() string { return e.Message.Logged() }

// Errorf returns an *Error with a catalogue message.
func Errorf(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: Message{Key: key, Args: args}}
}

// ErrorCode returns the code of the first domain error in err's chain, EInternal
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var coder interface{ ErrorCode() string }
	if errors.As(err, &coder) {
		return coder.ErrorCode()
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorText returns what a user should read about err in lang: the domain message
// when there is one, a generic sentence otherwise (internals go to the log).
func ErrorText(err error, lang Lang) string {
	var t interface{ Text(Lang) string }
	if errors.As(err, &t) {
		return t.Text(lang)
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message.Text(lang)
	}
	return Message{Key: "internal_error"}.Text(lang)
}

// Text renders the error for a user.
func (e *Error) Text(lang Lang) string { return e.Message.Text(lang) }

// Problem is one thing wrong with an input: which field, and why.
type Problem struct {
	Field   string // dotted path, e.g. "person.phone", "contacts[1].phone"
	Message Message
}

// Text renders the problem as "field: message" in lang.
func (p Problem) Text(lang Lang) string {
	if p.Field == "" {
		return p.Message.Text(lang)
	}
	sep := " : " // French typography
	if lang == English {
		sep = ": "
	}
	return FieldLabel(p.Field, lang) + sep + p.Message.Text(lang)
}

// ValidationError lists every problem found in an input, so a coordinator can fix
// them all at once rather than one per try.
type ValidationError struct {
	Problems []Problem
}

// Error is for logs: English, with what the user typed masked.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Field + ": " + p.Message.Logged()
	}
	return strings.Join(lines, "\n")
}

// ErrorCode implements the coder interface used by ErrorCode.
func (e *ValidationError) ErrorCode() string { return EInvalid }

// Text renders every problem, one per line.
func (e *ValidationError) Text(lang Lang) string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Text(lang)
	}
	return strings.Join(lines, "\n")
}

// Problems collects validation problems; Err returns nil when there are none.
type Problems []Problem

// Add records a problem with field and a catalogue message.
func (ps *Problems) Add(field, key string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: Message{Key: key, Args: args}})
}

// AddErr records err's message with field: a *Error's own message, any
// other error's as an internal one (its text stays in the logs).
func (ps *Problems) AddErr(field string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: EInternal, Message: Message{Key: "internal_error"}}
	}
	*ps = append(*ps, Problem{Field: field, Message: e.Message})
}

// Err returns a *ValidationError, or nil when nothing was added.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// ConflictError says an enrolment would duplicate a person already enrolled.
type ConflictError struct {
	PersonID   int64
	PersonName string
}

// Error is for logs: the person's id, never their name or number.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("phone number already enrolled for person %d", e.PersonID)
}

// ErrorCode implements the coder interface used by ErrorCode.
func (e *ConflictError) ErrorCode() string { return EConflict }

// Text names the person already enrolled with that number.
func (e *ConflictError) Text(lang Lang) string {
	return Message{Key: "phone_taken", Args: []any{e.PersonName, e.PersonID}}.Text(lang)
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = Errorf(ENotFound, "not_found")

// Is makes errors.Is(err, ErrNotFound) match any not-found *Error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message.Key == e.Message.Key
}
