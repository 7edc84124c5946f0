package enroll

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
)

// DecodeRequest reads an enrolment request from JSON (`wellcheck enroll
// --file`, the API's POST /api/v1/persons) as DecodeJSON does.
func DecodeRequest(data []byte) (Request, error) {
	var req Request
	err := DecodeJSON(data, &req)
	return req, err
}

// DecodeJSON decodes one JSON value from data into v strictly: an unknown
// field is a mistake its author wants to hear about, not silently dropped data,
// and so is anything after the value. Errors are invalid input that says,
// in the reader's language, what is wrong and where (the line, or the
// field); never the decoder's own words ("json: cannot unmarshal…").
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return wellcheck.Errorf(wellcheck.EInvalid, "json_trailing")
	}
	return nil
}

// jsonProblem says what the decoder refused.
func jsonProblem(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return wellcheck.Errorf(wellcheck.EInvalid, "json_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return wellcheck.Errorf(wellcheck.EInvalid, "json_truncated")
	case errors.As(err, &syntax):
		line, column := position(data, syntax.Offset)
		return wellcheck.Errorf(wellcheck.EInvalid, "json_syntax", line, column)
	case errors.As(err, &typ):
		line, _ := position(data, typ.Offset)
		got := any(wellcheck.Message{Key: "json_kind." + typ.Value})
		if n, ok := strings.CutPrefix(typ.Value, "number "); ok {
			got = n // a number that does not fit: said as written
		}
		if field := jsonField(typ.Field); field != "" {
			return wellcheck.Errorf(wellcheck.EInvalid, "json_type", field, line, expected(typ.Type), got)
		}
		return wellcheck.Errorf(wellcheck.EInvalid, "json_type_body", expected(typ.Type), got)
	}
	// Unknown fields are an error of text only: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, err := strconv.Unquote(name); err == nil {
			return wellcheck.Errorf(wellcheck.EInvalid, "json_unknown_field", name)
		}
	}
	return wellcheck.Errorf(wellcheck.EInvalid, "json_invalid")
}

// position is the line and character (from 1) of the last byte the decoder
// read, offset bytes into data: the one it stopped at.
func position(data []byte, offset int64) (line, column int) {
	if len(data) == 0 {
		return 1, 1
	}
	offset = min(max(offset, 1), int64(len(data)))
	before := data[:offset]
	start := bytes.LastIndexByte(before[:len(before)-1], '\n') + 1
	return 1 + bytes.Count(before[:len(before)-1], []byte("\n")), utf8.RuneCount(before[start:])
}

// jsonField is a field's path as the body names it: the decoder's path
// without the Go names of embedded structs ("Plan.max_attempts").
func jsonField(path string) string {
	var names []string
	for _, name := range strings.Split(path, ".") {
		if r, _ := utf8.DecodeRuneInString(name); name != "" && !unicode.IsUpper(r) {
			names = append(names, name)
		}
	}
	return strings.Join(names, ".")
}

// expected names what a Go type takes, as a JSON writer knows it.
func expected(t reflect.Type) wellcheck.Message {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return wellcheck.Message{Key: "json_kind.string"}
	case reflect.Bool:
		return wellcheck.Message{Key: "json_kind.bool"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return wellcheck.Message{Key: "json_kind.whole"}
	case reflect.Float32, reflect.Float64:
		return wellcheck.Message{Key: "json_kind.number"}
	case reflect.Slice, reflect.Array:
		return wellcheck.Message{Key: "json_kind.array"}
	}
	return wellcheck.Message{Key: "json_kind.object"}
}
