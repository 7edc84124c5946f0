package dialer_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
)

// A re-INVITE without SDP whose ACK reuses the INVITE's branch (as RFC
// 2543 endpoints do; SIPp gives each message a branch of its own): the
// 200 OK carries our full offer and the answer in that ACK is applied —
// here a hold that never ends, so the call lasts until its maximum and
// says why.
func TestDelayedOfferAnsweredInAnACKOfTheSameBranch(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 2 * time.Second, MaxDuration: 4 * time.Second})
	to := b.dialer.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type result struct {
		res dialer.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := b.dialer.Call(ctx, person, "fr")
		done <- result{res, err}
	}()
	var rec callee.Record
	require.Eventually(t, func() bool {
		for _, r := range b.callee.Records() {
			if r.Answered {
				rec = r
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)

	// The far end, from the trunk's address.
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer conn.Close()
	via := conn.LocalAddr().String()
	head := func(method string) string {
		return fmt.Sprintf("%s sip:wellcheck@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-delayed-1\r\n"+
			"From: <sip:%s@%s>;tag=far\r\nTo: <sip:wellcheck@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: 7 %s\r\n"+
			"Contact: <sip:far@%s>\r\nMax-Forwards: 70\r\n", method, to, via, person, via, to, rec.FromTag, rec.CallID, method, via)
	}
	_, err = conn.WriteTo([]byte(head("INVITE")+"Content-Length: 0\r\n\r\n"), to)
	require.NoError(t, err)
	var ok string
	buf := make([]byte, 4096)
	for !strings.HasPrefix(ok, "SIP/2.0 200") {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := conn.ReadFrom(buf)
		require.NoError(t, err, "no 200 OK to the re-INVITE")
		ok = string(buf[:n])
	}
	require.Regexp(t, `m=audio \d+ RTP/AVP 0 8 101`, ok, "our full offer")
	require.Contains(t, ok, "a=sendrecv")

	answer := "v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n"
	ack := head("ACK") + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(answer), answer)
	_, err = conn.WriteTo([]byte(ack), to)
	require.NoError(t, err)

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 1, r.res.Renegotiated, "the answer in the ACK was applied")
	require.Equal(t, wellcheck.OutcomeFailed, r.res.Outcome, "%+v", r.res)
	require.True(t, r.res.Local, "counted against nobody: called again soon")
	require.Contains(t, r.res.Reason, "held the call")
}
