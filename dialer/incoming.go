package dialer

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/media"
)

// Calls to the service. A person who calls the service's number reaches
// wellcheck through the trunk, which sends the INVITE here (only the
// trunk's and the configured addresses may: peers.go). The call rings (180)
// while Config.Reception decides what becomes of it: put through to a
// listener who takes it (Incoming.Bridge), or answered by the voice menu
// (Incoming.Menu) or a message (Incoming.Message). A call the reception
// answers in none of these ways is refused (480), as is every call when
// there is no reception. It takes one of the trunk's channels, when one is
// free, as our own calls do: the trunk carries it on one of them.

// Reception takes the calls to the service (the switchboard's).
type Reception interface {
	// Receive is given each call to the service as it starts to ring, and
	// returns once it is over. It answers it at most once; unanswered, the
	// call is refused when Receive returns.
	Receive(ctx context.Context, in *Incoming)
}

// Incoming is a call to the service, ringing until Bridge, Menu or Message
// answers it.
type Incoming struct {
	c      *call
	sess   *sipgo.DialogServerSession
	tx     sip.ServerTransaction // the INVITE's
	conn   *media.Conn
	offer  media.Description
	caller string
	to     string // the Request-URI's user
	res    Result
	// used: one of Bridge, Menu, Message was called (once only), by the
	// reception; answered: our 200 OK went out, so the call needs no
	// refusal and a CANCEL comes too late.
	used     bool
	answered atomic.Bool
}

// Caller is the caller's number as the trunk gave it: the user part of
// P-Asserted-Identity, or of From, digits with a leading + if it had one
// ("" for a number withheld, or not a number). It is read, not trusted:
// only the trunk's calls reach the reception.
func (in *Incoming) Caller() string { return in.caller }

// CallID is the call's SIP Call-ID.
func (in *Incoming) CallID() string { return in.res.CallID }

// To is the user part of the number or address called: the service's
// number as the trunk gives it, or a hand-off's (HandOffUser…).
func (in *Incoming) To() string { return in.to }

// Gone is closed when the caller hangs up before an answer (CANCEL).
func (in *Incoming) Gone() <-chan struct{} { return in.sess.Context().Done() }

// errAnsweredTwice is a reception answering one call twice.
var errAnsweredTwice = errors.New("the call to the service was answered already")

// Bridge answers the call and joins the caller to leg, a listener's
// browser phone, until either hangs up. Its outcome is OutcomeAnswered;
// no_answer when the caller hung up first, or failed when the call could
// not be answered. The leg is told the call ended (Ended) whatever
// happened.
func (in *Incoming) Bridge(ctx context.Context, leg Leg) Result {
	if leg == nil {
		return failed(in.res, "put through to no listener")
	}
	if in.used {
		leg.Ended()
		return failed(in.res, "%v", errAnsweredTwice)
	}
	in.c.leg = leg
	res, onLine := in.answer(ctx)
	if !onLine {
		leg.Ended() // the relay, which tells it, never ran
	}
	return res
}

// Menu answers the call with the voice menu in lang (the incoming script:
// "no listener is free; press 1 if all is well, 2 for a call back"), and
// returns once it is over: its Digits say the key pressed, its outcome is
// ok (1), help_requested (2), no_response, or failed.
func (in *Incoming) Menu(ctx context.Context, lang string) Result {
	prompts, err := in.c.d.prompts.ForScript(ScriptIncoming, lang)
	if err != nil {
		return failed(in.res, "%v", err)
	}
	in.c.prompts = prompts
	res, _ := in.answer(ctx)
	return res
}

// Message answers the call with the message for callers the service does
// not know, in lang ("no listener is free: call again in opening hours; in
// an emergency, 112"), then hangs up.
func (in *Incoming) Message(ctx context.Context, lang string) Result {
	prompts, err := in.c.d.prompts.ForScript(ScriptIncoming, lang)
	if err != nil {
		return failed(in.res, "%v", err)
	}
	// The message alone: said as a greeting, with no menu to follow.
	in.c.prompts = &PromptSet{Greeting: prompts.Unavailable}
	in.c.message = true
	res, _ := in.answer(ctx)
	return res
}

// answer answers the call (200 OK with our SDP answer, then its ACK) and
// runs it on line until its end; onLine says it got that far.
func (in *Incoming) answer(ctx context.Context) (_ Result, onLine bool) {
	c, res := in.c, in.res
	if in.used {
		return failed(res, "%v", errAnsweredTwice), false
	}
	in.used = true
	if ctx.Err() != nil || isClosed(in.Gone()) {
		res.Outcome, res.Reason = wellcheck.OutcomeNoAnswer, "the caller hung up before the answer"
		return res, false
	}
	body, err := c.local.Answer(in.offer)
	if err != nil {
		return ours(res, "describe our audio: %v", err), false
	}
	c.local.SettleRTCP(true) // our one socket takes RTCP too
	res.Ring = time.Since(in.c.started)
	answered := time.Now()
	resp := sip.NewSDPResponseFromRequest(in.sess.InviteRequest, body)
	resp.AppendHeader(sip.HeaderClone(&c.d.dialogs.ContactHDR))
	resp.AppendHeader(sip.NewHeader("Allow", allowed))
	res.SIPStatus = sip.StatusOK
	// WriteResponse sends the 200 again until its ACK comes, for 32 s at
	// most: onAck hands the dialog an ACK of its own transaction, and an
	// ACK that reuses the INVITE's branch comes through the INVITE's.
	in.answered.Store(true)
	acked := make(chan struct{})
	go func() {
		select {
		case ack := <-in.tx.Acks():
			_ = in.sess.ReadAck(ack, in.tx)
		case <-in.tx.Done():
		case <-acked:
		}
	}()
	err = in.sess.WriteResponse(resp)
	close(acked)
	if err != nil {
		if isClosed(in.Gone()) || c.over() {
			res.Outcome, res.Reason = wellcheck.OutcomeNoAnswer, "the caller hung up as we answered"
			return res, false
		}
		c.serverBye()
		return failed(res, "answer the call: %v", err), false
	}
	limit := c.d.cfg.MaxDuration
	if c.leg != nil {
		limit = DefaultMaxConversation
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errMaxDuration)
	defer cancel()
	return c.onLine(ctx, in.conn, in.offer, nil, res, answered, nil, c.serverBye), true
}

// serverBye hangs up a call to the service; it must finish even if the
// call's context ended.
func (c *call) serverBye() {
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	if err := c.server.Bye(ctx); err != nil {
		c.d.log.Warn("hang up", "call_id", c.id, "error", err)
	}
}

// TakeCalls sets the reception of calls to the service, after New: the
// reception may need the dialer first (the switchboard does). nil refuses
// them again.
func (d *Dialer) TakeCalls(r Reception) { d.reception.Store(&r) }

func (d *Dialer) receptionist() Reception {
	if r := d.reception.Load(); r != nil {
		return *r
	}
	return nil
}

// onIncoming takes a new INVITE from the trunk: a call to the service.
func (d *Dialer) onIncoming(req *sip.Request, tx sip.ServerTransaction) {
	select {
	case <-d.started:
	default:
		// Served before the dialer is ready to answer: the trunk tries again.
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil))
		return
	}
	reception := d.receptionist()
	if reception == nil {
		d.noRoute(req, tx)
		return
	}
	refuse := func(status int, reason string) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, status, reason, nil))
	}
	offer, err := media.Parse(req.Body())
	if err != nil {
		// An INVITE without an offer (its answer in the ACK) is not taken.
		d.log.Warn("refused a call to the service: no audio we speak offered", "call_id", callIDOf(req), "error", err)
		refuse(sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	sess, err := d.dialogs.ReadInvite(req, tx)
	if err != nil {
		refuse(sip.StatusBadRequest, "Bad Request")
		return
	}
	conn, err := media.ListenMux(d.mediaIP)
	if err != nil {
		d.log.Error("refused a call to the service: no RTP port", "error", err)
		refuse(sip.StatusServiceUnavailable, "Service Unavailable")
		sess.Close()
		return
	}
	c := d.newCall(nil, false)
	c.incoming, c.server, c.started = true, sess, time.Now()
	c.id = callIDOf(req)
	c.localTag, _ = sess.InviteRequest.To().Params.Get("tag")
	c.answerer.Store(sourceIP(req))
	if ct := req.Contact(); ct != nil {
		if ip, err := netip.ParseAddr(ct.Address.Host); err == nil {
			c.contact.Store(ip.Unmap())
		}
	}
	rtpPort, _ := conn.Ports()
	c.local = media.NewSession(netip.AddrPortFrom(d.sdpIP, rtpPort), 0, rand.Uint64()>>1)
	d.calls.Store(c.id, c)
	in := &Incoming{c: c, sess: sess, tx: tx, conn: conn, offer: offer, caller: callerOf(req), to: req.Recipient.User, res: Result{CallID: c.id}}
	// The INVITE's transaction lasts as long as this handler: the call
	// runs here, to its end (Close ends it first).
	if !d.receiving.TryGo(func() { d.receive(in, reception) }) {
		refuse(sip.StatusServiceUnavailable, "Service Unavailable") // the node is stopping
		d.calls.Delete(c.id)
		conn.Close()
		sess.Close()
	}
}

// receive rings the call, hands it to the reception, and refuses it if the
// reception did not answer it.
func (d *Dialer) receive(in *Incoming, reception Reception) {
	c := in.c
	defer d.calls.Delete(c.id)
	defer in.sess.Close()
	defer in.conn.Close()
	defer c.end()
	// Another node's hand-off is answered or refused at once: nothing
	// rings.
	if !isHandOff(in.to) {
		if err := in.sess.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
			return
		}
	}
	// A channel of the trunk's, if one is free soon: the trunk carries the
	// call whatever we count, and it must not wait on our limits (it
	// rings meanwhile). Another node's hand-off takes none.
	if !isHandOff(in.to) {
		taking, stop := context.WithTimeout(context.Background(), time.Second)
		release, err := d.channel(taking)
		stop()
		if err != nil {
			d.log.Warn("a call to the service came while every channel was counted busy", "call_id", c.id)
			release = func() {}
		}
		defer release()
	}
	ctx, cancel := context.WithCancel(d.receiving.ctx)
	defer cancel()
	go func() {
		select {
		case <-in.Gone():
			if !in.answered.Load() {
				cancel() // the caller hung up while it rang
			}
		case <-ctx.Done():
		}
	}()
	reception.Receive(ctx, in)
	switch {
	case in.answered.Load() || isClosed(in.Gone()):
	case d.receiving.ctx.Err() != nil:
		// The node stopped while it rang: the trunk may try another.
		_ = in.sess.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
	default:
		_ = in.sess.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
	}
}

// callerOf reads the caller's number from P-Asserted-Identity, or From:
// digits, with a leading + if there was one; "" when withheld or not a
// number.
func callerOf(req *sip.Request) string {
	if p := req.GetHeader("Privacy"); p != nil && strings.Contains(strings.ToLower(p.Value()), "id") {
		return ""
	}
	user := ""
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var uri sip.Uri
		v := h.Value()
		if i, j := strings.IndexByte(v, '<'), strings.IndexByte(v, '>'); i >= 0 && j > i {
			v = v[i+1 : j]
		}
		if err := sip.ParseUri(strings.TrimSpace(v), &uri); err == nil {
			user = uri.User
		}
	}
	if user == "" {
		if f := req.From(); f != nil {
			user = f.Address.User
		}
	}
	number := strings.TrimPrefix(user, "+")
	if number == "" || len(number) > 15 || strings.Trim(number, "0123456789") != "" {
		return ""
	}
	if strings.HasPrefix(user, "+") {
		return "+" + number
	}
	return number
}

// receptions runs the calls to the service, until Close stops them: they
// end (our BYE) before the SIP transport closes.
type receptions struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newReceptions() *receptions {
	ctx, cancel := context.WithCancel(context.Background())
	return &receptions{ctx: ctx, cancel: cancel}
}

// TryGo runs f to its end, unless the dialer is closing (false).
func (r *receptions) TryGo(f func()) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.wg.Add(1)
	r.mu.Unlock()
	defer r.wg.Done()
	f()
	return true
}

// stop ends the calls to the service and waits until they are over.
func (r *receptions) stop() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}
