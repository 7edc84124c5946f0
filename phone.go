package wellcheck

import (
	"log/slog"
	"strings"
)

// Phone is a phone number in E.164 form ("+33612345678"). Parse and format it with
// the phone package; here it only knows how to hide itself.
//
// String and LogValue both mask the number ("+336••••••78") so that a Phone that
// reaches a log line or an error message never shows in full. Use E164 where the
// full number is needed (dialling, storage, a coordinator's screen).
type Phone string

// E164 returns the full number.
func (p Phone) E164() string { return string(p) }

// String returns the masked number.
func (p Phone) String() string { return MaskPhone(string(p)) }

// LogValue implements slog.LogValuer with the masked number.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MaskPhone keeps what identifies a line's country and operator ("+33 6") and the
// last two digits, and hides the rest: "+33612345678" becomes "+336••••••78".
// Only digits count (and a leading +), so a number as typed ("06 12 34 56 78",
// with any kind of space) masks the same way. Anything too short to mask
// meaningfully is hidden entirely.
func MaskPhone(s string) string {
	var digits []byte
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits = append(digits, byte(r))
		}
	}
	if len(digits) < 7 {
		return "•••"
	}
	const keepHead, keepTail = 3, 2
	var b strings.Builder
	if strings.HasPrefix(strings.TrimSpace(s), "+") {
		b.WriteByte('+')
	}
	b.Write(digits[:keepHead])
	b.WriteString(strings.Repeat("•", len(digits)-keepHead-keepTail))
	b.Write(digits[len(digits)-keepTail:])
	return b.String()
}
