package wellcheck

import (
	"log/slog"
	"strings"
)

// Phone is a phone number in E.164 form ("+33612345678"). Parse and format it with
// the phone package; here it only knows how to hide itself.
//
// String and LogValue both mask the number ("••••••78") so that a Phone that
// reaches a log line or an error message never shows in full. Use E164 where the
// full number is needed (dialling, storage, a coordinator's screen).
type Phone string

// E164 returns the full number.
func (p Phone) E164() string { return string(p) }

// String returns the masked number.
func (p Phone) String() string { return MaskPhone(string(p)) }

// LogValue implements slog.LogValuer with the masked number.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MaskPhone hides a phone number down to its last two digits, enough to tell
// two calls apart in a log and too little to find anyone by: "+33612345678"
// becomes "••••••78", and so does the number as typed ("06 12 34 56 78", with
// any kind of space). A sip: URI's user part is a number too
// ("sip:+33612345678@trunk" becomes "sip:••••••78@trunk"). Anything with
// fewer than seven digits is hidden entirely ("•••").
func MaskPhone(s string) string {
	if rest, ok := strings.CutPrefix(s, "sip:"); ok {
		if user, host, ok := strings.Cut(rest, "@"); ok {
			return "sip:" + MaskPhone(user) + "@" + host
		}
	}
	var digits []byte
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits = append(digits, byte(r))
		}
	}
	if len(digits) < 7 {
		return "•••"
	}
	return "••••••" + string(digits[len(digits)-2:])
}
