package dialer

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/wellcheck/wellcheck/internal/media"
)

// What the far end may ask in the middle of a call. Real phone networks
// send re-INVITEs and UPDATEs (RFC 3311) while the person is on the line:
// a phone putting us on hold for call waiting (a=sendonly or inactive) and
// taking us off it, an SBC refreshing the session with the same SDP or
// re-anchoring the media to a new address, a re-INVITE without SDP asking
// for our offer. Each is answered 200 OK with our SDP (the same origin,
// its version up only when our description changed, the direction
// reciprocal) and the peer's new description is applied to the stream.
// In-dialog OPTIONS (keep-alives) get 200. Like every request inside a
// call, they are taken only from the call's peer or a trusted address
// (inCall); a re-INVITE for a call that is over gets 481.
// Session timers are in timer.go.

// allowed is the Allow header of our INVITE and of our answers inside a call.
const allowed = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, UPDATE"

// hasToTag reports whether req names a dialog: its To carries a tag.
func hasToTag(req *sip.Request) bool {
	to := req.To()
	if to == nil || to.Params == nil {
		return false
	}
	tag, _ := to.Params.Get("tag")
	return tag != ""
}

// inDialogOr routes a request inside a dialog (To with a tag) to inside,
// through inCall, and any other to outside, through outsideCall.
func (d *Dialer) inDialogOr(inside func(c *call, req *sip.Request, tx sip.ServerTransaction), outside sipgo.RequestHandler) sipgo.RequestHandler {
	in, out := d.inCall(inside), d.outsideCall(outside)
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if hasToTag(req) {
			in(req, tx)
			return
		}
		out(req, tx)
	}
}

// okInCall answers an in-dialog OPTIONS (a keep-alive): the call is there.
func (d *Dialer) okInCall(c *call, req *sip.Request, tx sip.ServerTransaction) {
	status, reason := sip.StatusOK, "OK"
	if c.over() {
		status, reason = sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist"
	}
	res := sip.NewResponseFromRequest(req, status, reason, nil)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	_ = tx.Respond(res)
}

// onReinvite answers a re-INVITE: the peer's offer gets our answer and is
// applied to the stream; a re-INVITE without SDP gets our offer, and the
// answer comes in the ACK. The 200 OK is sent again until the ACK comes
// (over UDP), as RFC 3261 §13.3.1.4 asks of the UAS.
func (d *Dialer) onReinvite(c *call, req *sip.Request, tx sip.ServerTransaction) {
	body, status := c.renegotiate(req, true)
	if status != sip.StatusOK {
		_ = tx.Respond(refusal(req, status))
		return
	}
	res := d.sdpResponse(req, body)
	c.answerSessionTimer(req, res)
	if err := tx.Respond(res); err != nil {
		return
	}
	if sip.IsReliable(req.Transport()) {
		// No retransmissions; an ACK that reuses the INVITE's branch
		// comes through the transaction, for a moment.
		select {
		case ack := <-tx.Acks():
			c.ack(ack)
		case <-c.acked(req.CSeq().SeqNo):
		case <-c.ended:
		case <-time.After(64 * sip.T1):
		}
		return
	}
	seq := req.CSeq().SeqNo
	wait := sip.T1
	give := time.NewTimer(64 * sip.T1)
	defer give.Stop()
	for {
		again := time.NewTimer(wait)
		select {
		case <-c.ended:
		case <-give.C:
		case ack := <-tx.Acks(): // an ACK that reused the INVITE's branch
			c.ack(ack)
		case <-c.acked(seq):
		case <-again.C:
			again.Stop()
			if tx.Respond(res) != nil {
				return
			}
			wait = min(2*wait, sip.T2)
			continue
		}
		again.Stop()
		return
	}
}

// onUpdate answers an UPDATE (RFC 3311): with an offer, like a re-INVITE
// with one; without (a session refresh), a plain 200.
func (d *Dialer) onUpdate(c *call, req *sip.Request, tx sip.ServerTransaction) {
	body, status := c.renegotiate(req, false)
	if status != sip.StatusOK {
		_ = tx.Respond(refusal(req, status))
		return
	}
	var res *sip.Response
	if body == nil {
		res = sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.HeaderClone(&d.dialogs.ContactHDR))
	} else {
		res = d.sdpResponse(req, body)
	}
	c.answerSessionTimer(req, res)
	_ = tx.Respond(res)
}

// onAck takes the ACK of our 200 OK to a re-INVITE: it stops that 200's
// retransmissions and, after a re-INVITE without SDP, carries the peer's
// answer to our offer.
func (d *Dialer) onAck(req *sip.Request, _ sip.ServerTransaction) {
	ip := sourceIP(req)
	c := d.callFor(req)
	switch {
	case c != nil && (c.isPeer(ip) || d.trusted(ip)):
		if c.server != nil && req.CSeq().SeqNo == c.server.InviteRequest.CSeq().SeqNo {
			_ = c.server.ReadAck(req, nil) // the ACK of our answer to a call to the service
			return
		}
		c.ack(req)
	case c == nil && d.trusted(ip):
		// The ACK of a call that is over, or of a 2xx we never sent: nothing to say.
	default:
		d.ignore(req.Method.String(), ip)
	}
}

func (d *Dialer) sdpResponse(req *sip.Request, body []byte) *sip.Response {
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.HeaderClone(&d.dialogs.ContactHDR))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	return res
}

func refusal(req *sip.Request, status int) *sip.Response {
	reason := map[int]string{
		sip.StatusCallTransactionDoesNotExists: "Call/Transaction Does Not Exist",
		sip.StatusRequestPending:               "Request Pending",
		sip.StatusNotAcceptableHere:            "Not Acceptable Here",
		sip.StatusInternalServerError:          "Server Internal Error",
	}[status]
	return sip.NewResponseFromRequest(req, status, reason, nil)
}

// renegotiate reads the peer's new offer in req and returns our SDP for
// the 200 OK (nil for an UPDATE without an offer) or the status that
// refuses it: 481 once the call is over, 500 when it comes out of order
// (a lower CSeq than one before it), 491 before the call is set up or
// while our own re-INVITE is out (RFC 3261 §14.2), 488 for an offer with
// no audio we can use (the call goes on as it was). A re-INVITE without
// an offer (delayed) gets our offer; its answer comes in the ACK.
func (c *call) renegotiate(req *sip.Request, invite bool) ([]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := req.CSeq().SeqNo
	switch {
	case c.done:
		return nil, sip.StatusCallTransactionDoesNotExists
	case seq < c.remoteSeq:
		// Out of order (RFC 3261 §12.2.2): an old hold overtaken by
		// its release on the way must not hold the call again.
		return nil, sip.StatusInternalServerError
	}
	c.remoteSeq = seq
	if c.stream == nil || invite && c.inviting {
		return nil, sip.StatusRequestPending
	}
	if len(req.Body()) == 0 {
		if !invite {
			return nil, sip.StatusOK
		}
		offer, err := c.local.Offer()
		if err != nil {
			return nil, sip.StatusInternalServerError
		}
		c.offered = seq
		return offer, sip.StatusOK
	}
	desc, err := media.Parse(req.Body())
	if err != nil {
		c.d.log.Warn("refused a new SDP offer inside the call", "call_id", callIDOf(req), "error", err)
		return nil, sip.StatusNotAcceptableHere
	}
	answer, err := c.local.Answer(desc)
	if err != nil {
		return nil, sip.StatusInternalServerError
	}
	c.apply(desc, req.Method.String())
	return answer, sip.StatusOK
}

// apply hands the peer's new description to the stream, with c.mu held.
func (c *call) apply(desc media.Description, how string) {
	before := c.stream.Remote()
	c.stream.Update(desc)
	c.updates++
	if !desc.Addr.Addr().IsUnspecified() && desc.Addr != before.Addr {
		// The carrier's media addresses, not the person's number.
		c.d.log.Info("the far end moved the call's media", "call_id", c.id, "by", how,
			"from", before.Addr.String(), "to", desc.Addr.String())
	}
	if desc.Receives() != before.Receives() {
		c.d.log.Info("the far end changed the call's direction", "call_id", c.id, "by", how, "direction", string(desc.Direction))
	}
}

// ack takes the ACK of a 200 OK to a re-INVITE.
func (c *call) ack(req *sip.Request) {
	seq := req.CSeq().SeqNo
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.acks[seq]; ok {
		close(ch)
		delete(c.acks, seq)
	} else {
		c.ackedSeqs = append(c.ackedSeqs, seq)
	}
	if c.offered != seq || c.offered == 0 || c.done || c.stream == nil {
		return
	}
	c.offered = 0
	if len(req.Body()) == 0 {
		c.d.log.Warn("the ACK carried no answer to our offer: media unchanged", "call_id", c.id)
		return
	}
	desc, err := media.Parse(req.Body())
	if err != nil {
		c.d.log.Warn("unusable SDP answer in an ACK: media unchanged", "call_id", c.id, "error", err)
		return
	}
	c.apply(desc, "ACK")
}

// acked returns a channel closed when the ACK of the re-INVITE with CSeq
// seq has come.
func (c *call) acked(seq uint32) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	for i, s := range c.ackedSeqs {
		if s == seq {
			c.ackedSeqs = append(c.ackedSeqs[:i], c.ackedSeqs[i+1:]...)
			close(ch)
			return ch
		}
	}
	if c.acks == nil {
		c.acks = make(map[uint32]chan struct{})
	}
	if old, ok := c.acks[seq]; ok {
		return old
	}
	c.acks[seq] = ch
	return ch
}

// over reports whether the call has ended.
func (c *call) over() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// drainEarly empties conn of what came before the answer (early media: a
// ringback, an announcement), so that none of it is taken for the person.
func drainEarly(conn interface {
	SetReadDeadline(time.Time) error
	ReadFromUDPAddrPort([]byte) (int, netip.AddrPort, error)
}) {
	// A deadline already past would not even read what is queued.
	if conn.SetReadDeadline(time.Now().Add(2*time.Millisecond)) != nil {
		return
	}
	defer conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 1500)
	for range 10000 {
		if _, _, err := conn.ReadFromUDPAddrPort(buf); err != nil {
			break
		}
	}
}
