package dialer

import (
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
)

// The caller's number is read from what the trunk asserts, then From; a
// withheld number, or a name where the number goes, is none.
func TestCallerOf(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers string
		want    string
	}{
		{"from", "From: <sip:+33612345678@trunk>;tag=a\r\n", "+33612345678"},
		{"national", "From: \"Mme Martin\" <sip:0612345678@trunk>;tag=a\r\n", "0612345678"},
		{"asserted", "From: <sip:anonymous@anonymous.invalid>;tag=a\r\nP-Asserted-Identity: <sip:+33612345678@trunk>\r\n", "+33612345678"},
		{"withheld", "From: <sip:+33612345678@trunk>;tag=a\r\nPrivacy: id\r\n", ""},
		{"anonymous", "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=a\r\n", ""},
		{"letters", "From: <sip:+3361234abcd@trunk>;tag=a\r\n", ""},
		{"too long", "From: <sip:+3361234567890123456@trunk>;tag=a\r\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := "INVITE sip:+33123456789@127.0.0.1 SIP/2.0\r\n" +
				"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n" + c.headers +
				"To: <sip:+33123456789@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
			msg, err := sip.ParseMessage([]byte(raw))
			require.NoError(t, err)
			require.Equal(t, c.want, callerOf(msg.(*sip.Request)))
		})
	}
}
