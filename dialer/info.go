package dialer

import (
	"bytes"
	"mime"
	"strings"

	"github.com/wellcheck/wellcheck/internal/media"
)

// InfoKey reads the key of a SIP INFO body: application/dtmf-relay ("Signal=1" and
// "Duration=160" lines, as Cisco and most PBXs send) or application/dtmf (the key
// alone). ok is false for any other content type or a body without one DTMF key.
func InfoKey(contentType string, body []byte) (key byte, ok bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, false
	}
	var signal string
	switch mt {
	case "application/dtmf-relay":
		for line := range bytes.Lines(body) {
			name, value, found := bytes.Cut(line, []byte("="))
			if found && strings.EqualFold(string(bytes.TrimSpace(name)), "signal") {
				signal = string(bytes.TrimSpace(value))
				break
			}
		}
	case "application/dtmf":
		signal = strings.TrimSpace(string(body))
	default:
		return 0, false
	}
	switch signal { // some PBXs send the event codes of * and #
	case "10":
		signal = "*"
	case "11":
		signal = "#"
	}
	if len(signal) != 1 {
		return 0, false
	}
	key = signal[0]
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	if _, ok := media.KeyEvent(key); !ok {
		return 0, false
	}
	return key, true
}
