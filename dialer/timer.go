package dialer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/wellcheck/wellcheck/internal/media"
)

// Session timers (RFC 4028). Our INVITE says "Supported: timer". When the
// 200 OK names us the refresher (Session-Expires: N;refresher=uac), we
// refresh the session at half its interval, with an UPDATE if the far
// end allows it (no SDP, no ACK) and otherwise with a re-INVITE carrying
// our SDP as it stands (its version unchanged); each refresh's answer
// sets the next interval. When the far end refreshes (refresher=uas, or
// its own re-INVITEs and UPDATEs carrying Session-Expires), our 200 OK
// says the same Session-Expires back, and the far end refreshes. A call
// lasts at most MaxDuration (3 min by default), two intervals of the
// smallest Session-Expires allowed (90 s): refreshed every 45 s, up to
// three times. Intervals shorter than 90 s are honoured too (refreshed no
// more often than every second): a carrier that asks for them would
// otherwise hang up on the person.

// statusIntervalTooSmall is RFC 4028's 422 Session Interval Too Small.
const statusIntervalTooSmall = 422

// headerReader is a request or a response, as far as headers go.
type headerReader interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// sessionTimer is what the last Session-Expires said.
type sessionTimer struct {
	interval time.Duration // 0: none
	ours     bool          // we refresh
}

// readSessionExpires reads a Session-Expires header ("1800;refresher=uac",
// compact form "x"); refresher is "" when the header does not say.
func readSessionExpires(m headerReader) (interval time.Duration, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	v, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil || secs == 0 {
		return 0, "", false
	}
	secs = min(secs, 24*3600) // far longer than any call
	for _, p := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(name, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(value))
		}
	}
	return time.Duration(secs) * time.Second, refresher, true
}

// answerSessionTimer adds to res, our 2xx to the far end's re-INVITE or
// UPDATE, the Session-Expires it asked for: it refreshes (refresher=uac,
// the sender of the request, when it did not say), or, when it said
// nothing of timers, asks nothing. It tells the call who refreshes now.
func (c *call) answerSessionTimer(req *sip.Request, res *sip.Response) {
	interval, refresher, ok := readSessionExpires(req)
	if !ok {
		return
	}
	if refresher != "uas" || c.incoming {
		// A call to the service has no refresher of ours (it keeps no
		// client dialog): the far end refreshes.
		refresher = "uac"
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(interval/time.Second), refresher)))
	if refresher == "uac" {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	// refresher=uas: we answer this request, so we refresh from now on.
	c.setTimer(sessionTimer{interval: interval, ours: refresher == "uas"})
}

// setTimer hands the session timer in force to keepSession.
func (c *call) setTimer(t sessionTimer) {
	select {
	case <-c.timers: // the older one is stale
	default:
	}
	select {
	case c.timers <- t:
	default:
	}
}

// keepSession refreshes the session while we are its refresher, until
// ctx ends (the call is over). first is what the 200 OK to our INVITE said.
func (c *call) keepSession(ctx context.Context, sess *sipgo.DialogClientSession, first sessionTimer) {
	cur := first
	for {
		var due <-chan time.Time
		var t *time.Timer
		if cur.ours && cur.interval > 0 {
			t = time.NewTimer(max(cur.interval/2, time.Second))
			due = t.C
		}
		select {
		case <-ctx.Done():
		case cur = <-c.timers:
		case <-due:
			next, err := c.refreshSession(ctx, sess, cur.interval)
			if err != nil {
				if ctx.Err() == nil {
					c.d.log.Warn("refresh the session", "call_id", c.id, "error", err)
				}
				next = sessionTimer{} // the far end will end it, or the call ends first
			}
			cur = next
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// refreshSession sends one session refresh asking for interval: an UPDATE
// without SDP when the far end allows UPDATE, else a re-INVITE with our
// SDP unchanged (and its ACK). It returns the timer the answer sets.
func (c *call) refreshSession(ctx context.Context, sess *sipgo.DialogClientSession, interval time.Duration) (sessionTimer, error) {
	method := sip.INVITE
	if allows(sess.InviteResponse, sip.UPDATE) {
		method = sip.UPDATE
	} else {
		// While our re-INVITE is out, the far end's gets 491 (glare,
		// RFC 3261 §14.2).
		c.mu.Lock()
		c.inviting = true
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.inviting = false
			c.mu.Unlock()
		}()
	}
	for tries := 0; ; tries++ {
		req := sip.NewRequest(method, remoteTarget(sess))
		req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", int(interval/time.Second))))
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
		req.AppendHeader(sip.NewHeader("Allow", allowed))
		if method == sip.INVITE {
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			req.SetBody(c.local.Last())
		}
		rctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
		res, err := sess.Do(rctx, req)
		cancel()
		if err != nil {
			return sessionTimer{}, fmt.Errorf("%s: %w", method, err)
		}
		if method == sip.INVITE && res.IsSuccess() {
			if err := c.ackRefresh(sess, res); err != nil {
				return sessionTimer{}, err
			}
		}
		switch {
		case res.StatusCode == statusIntervalTooSmall && tries == 0:
			if min, ok := minSE(res); ok && min > interval {
				interval = min
				continue
			}
		case !res.IsSuccess():
			return sessionTimer{}, fmt.Errorf("%s answered %d %s", method, res.StatusCode, res.Reason)
		}
		if method == sip.INVITE && len(res.Body()) > 0 {
			if desc, err := media.Parse(res.Body()); err == nil {
				c.mu.Lock()
				if !c.done && c.stream != nil {
					c.apply(desc, "refresh")
				}
				c.mu.Unlock()
			}
		}
		got, refresher, ok := readSessionExpires(res)
		if !ok {
			// The far end no longer asks for timers.
			return sessionTimer{}, nil
		}
		return sessionTimer{interval: got, ours: refresher != "uas"}, nil
	}
}

// ackRefresh acknowledges the 2xx to our refreshing re-INVITE.
func (c *call) ackRefresh(sess *sipgo.DialogClientSession, res *sip.Response) error {
	target := remoteTarget(sess)
	if ct := res.Contact(); ct != nil {
		target = *ct.Address.Clone()
	}
	ack := sip.NewRequest(sip.ACK, target)
	ack.AppendHeader(sip.HeaderClone(res.CSeq()))
	ack.CSeq().MethodName = sip.ACK
	if err := sess.WriteRequest(ack); err != nil {
		return fmt.Errorf("ACK the refresh: %w", err)
	}
	// The 200 OK comes again if this ACK is lost, after its transaction
	// is gone: strayResponse sends the same ACK again (it would
	// otherwise hang up what looks like a call answered too late).
	c.mu.Lock()
	if c.refreshAcks == nil {
		c.refreshAcks = make(map[uint32]*sip.Request)
	}
	c.refreshAcks[res.CSeq().SeqNo] = ack.Clone()
	c.mu.Unlock()
	return nil
}

// refreshAck is the ACK we sent for the 2xx to our refreshing re-INVITE
// with CSeq seq, to send again; nil if there is none.
func (c *call) refreshAck(seq uint32) *sip.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ack := c.refreshAcks[seq]; ack != nil {
		return ack.Clone()
	}
	return nil
}

// remoteTarget is where requests inside the call go: the Contact of the
// 200 OK to our INVITE, else its Request-URI.
func remoteTarget(sess *sipgo.DialogClientSession) sip.Uri {
	if ct := sess.InviteResponse.Contact(); ct != nil {
		return *ct.Address.Clone()
	}
	return *sess.InviteRequest.Recipient.Clone()
}

// allows reports whether m's Allow header names method.
func allows(m headerReader, method sip.RequestMethod) bool {
	for _, h := range m.GetHeaders("Allow") {
		for _, v := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), string(method)) {
				return true
			}
		}
	}
	return false
}

// minSE reads a 422's Min-SE.
func minSE(res *sip.Response) (time.Duration, bool) {
	h := res.GetHeader("Min-SE")
	if h == nil {
		return 0, false
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil || secs == 0 {
		return 0, false
	}
	return time.Duration(min(secs, 24*3600)) * time.Second, true
}
