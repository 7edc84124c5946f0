package dialer_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// ask sends one SIP request from the address from and returns the status
// line of the answer, or "" if none came within a second.
func ask(t *testing.T, from string, to net.Addr, request string) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", from+":0")
	require.NoError(t, err)
	defer conn.Close()
	local := conn.LocalAddr().String()
	_, err = conn.WriteTo([]byte(strings.ReplaceAll(request, "{via}", local)), to)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Second)))
	buf := make([]byte, 4096)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

func options(to net.Addr, n int) string {
	return fmt.Sprintf("OPTIONS sip:wellcheck@%s SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK-options-%d\r\n"+
		"From: <sip:scanner@example.org>;tag=s%d\r\nTo: <sip:wellcheck@%s>\r\nCall-ID: options-%d\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", to, n, n, to, n)
}

// Only the trunk (and the addresses an operator adds) gets an answer: a
// scanner elsewhere learns nothing, not even that SIP listens here.
func TestOnlyTheTrunkIsAnswered(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{}, dialer.Config{}) // the trunk: the simulator on 127.0.0.1
	to := b.dialer.Addr()
	require.Equal(t, "SIP/2.0 200 OK", ask(t, "127.0.0.1", to, options(to, 1)), "the trunk's address")
	require.Empty(t, ask(t, "127.0.0.2", to, options(to, 2)), "another address: no answer")
	invite := strings.ReplaceAll(options(to, 3), "OPTIONS", "INVITE")
	require.Empty(t, ask(t, "127.0.0.2", to, invite), "a stranger's INVITE: no answer")
	require.Equal(t, "SIP/2.0 405 Method Not Allowed", ask(t, "127.0.0.1", to, strings.ReplaceAll(options(to, 4), "OPTIONS", "MESSAGE")))
	// A request the SIP stack cannot parse (no Via, no CSeq), which it
	// would answer 400 itself: the trunk gets that answer, a stranger
	// nothing, and no TCP connection either.
	bad := malformed(to)
	require.Equal(t, "SIP/2.0 400 Bad Request", ask(t, "127.0.0.1", to, bad), "the trunk's address")
	require.Empty(t, ask(t, "127.0.0.2", to, bad), "another address: no answer at all")
	require.EqualValues(t, 3, b.dialer.Ignored())

	allowed := setup(t, callee.Config{}, dialer.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	to = allowed.dialer.Addr()
	require.Equal(t, "SIP/2.0 200 OK", ask(t, "127.0.0.2", to, options(to, 5)), "an address the operator allows")
	require.Empty(t, ask(t, "127.0.0.3", to, options(to, 6)))
}

// A request inside a call is taken only from the address that answered it:
// a stranger who learnt the call's identifiers can neither press a key for
// the person nor hang up on them.
func TestAForgedRequestCannotSpeakForThePerson(t *testing.T) {
	t.Parallel()
	// The menu waits long enough for every forged request to come during the call.
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 3 * time.Second})
	to := b.dialer.Addr()
	rec, done := answeredCall(t, b)
	inDialog := func(method, body string) string {
		return fmt.Sprintf("%s sip:wellcheck@%s SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK-%s\r\n"+
			"From: <sip:+33612345678@%s>;tag=forged\r\nTo: <sip:wellcheck@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: 50 %s\r\n"+
			"Content-Type: application/dtmf-relay\r\nMax-Forwards: 70\r\nContent-Length: %d\r\n\r\n%s",
			method, to, strings.ToLower(method), to, to, rec.FromTag, rec.CallID, method, len(body), body)
	}
	options := strings.ReplaceAll(inDialog("INFO", ""), "INFO", "OPTIONS")
	require.Equal(t, "SIP/2.0 200 OK", ask(t, "127.0.0.1", to, options), "OPTIONS inside the call, from its peer")
	require.Empty(t, ask(t, "127.0.0.2", to, inDialog("INFO", "Signal=2\r\nDuration=160\r\n")), "a forged key: no answer")
	require.Empty(t, ask(t, "127.0.0.2", to, inDialog("BYE", "")), "a forged hang-up: no answer")
	// A forged re-INVITE would take the call's audio (and its keys) to
	// the stranger's address, or put it on hold.
	reinvite := func(n int) string {
		sdp := "v=0\r\no=x 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n"
		return fmt.Sprintf("INVITE sip:wellcheck@%s SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK-reinvite-%d\r\n"+
			"From: <sip:+33612345678@%s>;tag=forged\r\nTo: <sip:wellcheck@%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: %d INVITE\r\n"+
			"Contact: <sip:x@{via}>\r\nContent-Type: application/sdp\r\nMax-Forwards: 70\r\nContent-Length: %d\r\n\r\n%s",
			to, n, to, to, rec.FromTag, rec.CallID, 60+n, len(sdp), sdp)
	}
	require.Empty(t, ask(t, "127.0.0.2", to, reinvite(1)), "a forged re-INVITE: no answer")

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, wellcheck.OutcomeNoResponse, r.res.Outcome, "the person pressed nothing")
	require.Empty(t, r.res.Digits)
	require.Equal(t, "us", r.res.HungUpBy, "the call went on until the menu ended")
	require.Zero(t, r.res.Renegotiated, "the stranger's re-INVITE changed nothing")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Positive(t, recs[0].AudioPackets, "the prompt still reached the person")
	// Once the call is over, a re-INVITE for it (from a trusted address:
	// any other is dropped at the socket) is told the call does not exist.
	require.Equal(t, "SIP/2.0 481 Call/Transaction Does Not Exist", ask(t, "127.0.0.1", to, reinvite(2)))
	// A request the SIP stack cannot parse (no Via, no CSeq), which it
	// would answer 400 itself: the trunk gets that answer, a stranger
	// nothing, and no TCP connection either.
	bad := malformed(to)
	require.Equal(t, "SIP/2.0 400 Bad Request", ask(t, "127.0.0.1", to, bad), "the trunk's address")
	require.Empty(t, ask(t, "127.0.0.2", to, bad), "another address: no answer at all")
	require.EqualValues(t, 4, b.dialer.Ignored())
}

// askTCP sends request over a TCP connection from the address from and
// returns the first line of the answer ("" when the connection is closed
// or silent).
func askTCP(t *testing.T, from string, to net.Addr, request string) string {
	t.Helper()
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: time.Second}
	conn, err := nd.Dial("tcp", to.String())
	require.NoError(t, err)
	defer conn.Close()
	local := conn.LocalAddr().String()
	request = strings.ReplaceAll(strings.ReplaceAll(request, "SIP/2.0/UDP", "SIP/2.0/TCP"), "{via}", local)
	if _, err := conn.Write([]byte(request)); err != nil {
		return ""
	}
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Second)))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// malformed is a request the SIP stack cannot parse (no Via, no CSeq).
func malformed(to net.Addr) string {
	return fmt.Sprintf("OPTIONS sip:wellcheck@%s SIP/2.0\r\nFrom: <sip:scanner@example.org>;tag=m\r\n"+
		"To: <sip:wellcheck@%s>\r\nCall-ID: malformed\r\nContent-Length: 0\r\n\r\n", to, to)
}

// Over TCP, a stranger's connection is closed before a byte is read.
func TestOnlyTheTrunkConnects(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Network: "tcp"}, dialer.Config{})
	to := b.dialer.Addr()
	require.Equal(t, "SIP/2.0 200 OK", askTCP(t, "127.0.0.1", to, options(to, 1)), "the trunk's address")
	require.Equal(t, "SIP/2.0 400 Bad Request", askTCP(t, "127.0.0.1", to, malformed(to)), "the trunk's address")
	require.Empty(t, askTCP(t, "127.0.0.2", to, malformed(to)), "another address: closed")
	require.EqualValues(t, 1, b.dialer.Ignored())
}

// The answers to our requests are read whoever sends them — a trunk whose
// name now resolves to another address, a registrar, a call's Contact:
// here a call to a SIP address that is not the trunk's. Only requests are
// filtered by source.
func TestAnswersFromElsewhereAreRead(t *testing.T) {
	t.Parallel()
	ce, err := callee.New(callee.Config{Listen: "127.0.0.2:0", Behaviour: callee.PressOne, KeyDelay: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })
	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: 9, Transport: "udp"}, Listen: "127.0.0.1:0",
		CallerNumber: callerNumber, RingTimeout: 2 * time.Second, KeyTimeout: 2 * time.Second}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := d.Call(ctx, "sip:"+person+"@"+ce.Addr().String(), "fr")
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeOK, res.Outcome, "%+v", res)
	require.Zero(t, d.Ignored(), "nothing of the call was dropped")
}
