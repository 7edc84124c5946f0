package dialer_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
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
type callResult struct {
	res dialer.Result
	err error
}

// answeredCall places a call through b and returns, once the callee has
// answered, its record and where the call's result will come.
func answeredCall(t *testing.T, b bundle) (callee.Record, <-chan callResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	done := make(chan callResult, 1)
	go func() {
		res, err := b.dialer.Call(ctx, person, "fr")
		done <- callResult{res, err}
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
	return rec, done
}

// farEnd is the callee's side of a call in progress, played by hand from
// the trunk's address: it sends requests inside the call and reads the
// answers.
type farEnd struct {
	t    *testing.T
	conn net.PacketConn
	to   net.Addr
	rec  callee.Record
	last []string // the last request sent: method, seq, branch, body
}

func newFarEnd(t *testing.T, to net.Addr, rec callee.Record) *farEnd {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &farEnd{t: t, conn: conn, to: to, rec: rec}
}

// send sends method with CSeq seq on branch, and body (SDP) if any.
func (f *farEnd) send(method string, seq int, branch, body string) {
	f.last = []string{method, fmt.Sprint(seq), branch, body}
	via := f.conn.LocalAddr().String()
	msg := fmt.Sprintf("%s sip:wellcheck@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\n"+
		"From: <sip:%s@%s>;tag=far\r\nTo: <sip:wellcheck@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"+
		"Contact: <sip:far@%s>\r\nMax-Forwards: 70\r\n", method, f.to, via, branch, person, via, f.to, f.rec.FromTag, f.rec.CallID, seq, method, via)
	if body != "" {
		msg += "Content-Type: application/sdp\r\n"
	}
	msg += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	_, err := f.conn.WriteTo([]byte(msg), f.to)
	require.NoError(f.t, err)
}

// branch is the branch of the last request sent (after any retry).
func (f *farEnd) branch() string { return f.last[2] }

// final reads the answers until a final one and returns it whole. A 491
// (the dialer has not yet set the call's media up: the callee's record says
// answered a moment before) is what a real far end retries after a pause:
// so does this one, in a new transaction.
func (f *farEnd) final() string {
	buf := make([]byte, 4096)
	for tries := 0; ; {
		require.NoError(f.t, f.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := f.conn.ReadFrom(buf)
		require.NoError(f.t, err, "no final answer")
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0 491") && tries < 50 {
			tries++
			time.Sleep(20 * time.Millisecond)
			seq, _ := strconv.Atoi(f.last[1])
			f.send(f.last[0], seq, fmt.Sprintf("%s-%d", f.last[2], tries), f.last[3])
			continue
		}
		if !strings.HasPrefix(msg, "SIP/2.0 1") {
			return msg
		}
	}
}

func sdpBody(direction string) string {
	return "v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=" + direction + "\r\n"
}

// A re-INVITE without SDP whose ACK reuses the INVITE's branch (as RFC
// 2543 endpoints do; SIPp gives each message a branch of its own): the
// 200 OK carries our full offer and the answer in that ACK is applied —
// here a hold that never ends, so the call lasts until its maximum and
// says why.
func TestDelayedOfferAnsweredInAnACKOfTheSameBranch(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 2 * time.Second, MaxDuration: 4 * time.Second})
	rec, done := answeredCall(t, b)
	far := newFarEnd(t, b.dialer.Addr(), rec)
	far.send("INVITE", 7, "delayed", "")
	ok := far.final()
	require.True(t, strings.HasPrefix(ok, "SIP/2.0 200 OK"), ok)
	require.Regexp(t, `m=audio \d+ RTP/AVP 0 8 101`, ok, "our full offer")
	require.Contains(t, ok, "a=sendrecv")
	far.send("ACK", 7, far.branch(), sdpBody("sendonly")) // the INVITE's own branch, retried or not

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 1, r.res.Renegotiated, "the answer in the ACK was applied")
	require.Equal(t, wellcheck.OutcomeFailed, r.res.Outcome, "%+v", r.res)
	require.True(t, r.res.Local, "counted against nobody: called again soon")
	require.Contains(t, r.res.Reason, "held the call")
}

// Over UDP a hold can be overtaken by its release: the old hold, coming
// last with the lower CSeq, is refused (500) and the call stays off hold.
func TestAnOldReinviteCannotHoldTheCallAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 2 * time.Second})
	rec, done := answeredCall(t, b)
	far := newFarEnd(t, b.dialer.Addr(), rec)
	far.send("INVITE", 11, "release", sdpBody("sendrecv"))
	require.Contains(t, far.final(), "SIP/2.0 200 OK")
	far.send("ACK", 11, "release-ack", "")
	far.send("INVITE", 10, "hold", sdpBody("sendonly"))
	require.Contains(t, far.final(), "SIP/2.0 500")

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 1, r.res.Renegotiated, "only the release")
	require.Equal(t, wellcheck.OutcomeNoResponse, r.res.Outcome, "the menu went on, and ended: %+v", r.res)
}

// A re-INVITE's 200 OK names the RTCP the INVITE's offer and answer settled:
// our RTCP port when the callee refused rtcp-mux, and when it accepted,
// rtcp-mux again for an offer that proposes it, our RTP port for one that
// does not.
func TestReinviteKeepsTheCallsRTCP(t *testing.T) {
	t.Parallel()
	for _, refuse := range []bool{false, true} {
		name := "rtcp-mux"
		if refuse {
			name = "two sockets"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, callee.Config{Behaviour: callee.Silent, NoRTCPMux: refuse}, dialer.Config{KeyTimeout: 3 * time.Second})
			rec, done := answeredCall(t, b)
			require.True(t, rec.Offer.RTCPMux, "the INVITE proposes rtcp-mux")
			far := newFarEnd(t, b.dialer.Addr(), rec)

			far.send("INVITE", 7, "plain", sdpBody("sendrecv"))
			ok := far.final()
			require.True(t, strings.HasPrefix(ok, "SIP/2.0 200 OK"), ok)
			far.send("ACK", 7, "plain-ack", "")
			if refuse {
				require.Contains(t, ok, fmt.Sprintf("a=rtcp:%d\r\n", rec.Offer.RTCP.Port()), "the INVITE's RTCP port")
				require.NotContains(t, ok, "a=rtcp-mux")
			} else {
				require.Contains(t, ok, fmt.Sprintf("a=rtcp:%d\r\n", rec.Offer.Addr.Port()), "RTCP on our RTP port, as multiplexed")
				require.NotContains(t, ok, "a=rtcp-mux", "not proposed: not answered")

				far.send("INVITE", 8, "mux", sdpBody("sendrecv")+"a=rtcp-mux\r\n")
				ok = far.final()
				require.True(t, strings.HasPrefix(ok, "SIP/2.0 200 OK"), ok)
				far.send("ACK", 8, "mux-ack", "")
				require.Contains(t, ok, "a=rtcp-mux\r\n")
				require.NotContains(t, ok, "a=rtcp:")
			}
			r := <-done
			require.NoError(t, r.err)
			require.Positive(t, r.res.Renegotiated)
		})
	}
}
