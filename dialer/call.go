package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/media"
	"github.com/wellcheck/wellcheck/phone"
)

// Result is how one call went: its outcome and what an operator needs to understand
// it. Durations are whole milliseconds in JSON.
type Result struct {
	Outcome   wellcheck.Outcome `json:"outcome"`
	SIPStatus int               `json:"sip_status,omitempty"` // the INVITE's final status
	CallID    string            `json:"call_id,omitempty"`
	Ring      time.Duration     `json:"-"` // INVITE sent → answered or final status
	Talk      time.Duration     `json:"-"` // answered → hung up
	Digits    string            `json:"digits"`
	Reason    string            `json:"reason,omitempty"` // why, for failed
	// Provisional lists the provisional statuses seen (100, 180, 183…), in order.
	Provisional []int `json:"provisional,omitempty"`
	// Local says a failed call failed on our side — no RTP port, the call
	// cut short by us (the node stopping, its maximum length) — and says
	// nothing of the trunk.
	Local bool `json:"local,omitempty"`
	// HungUpBy is "us" or "them" for an answered call.
	HungUpBy string `json:"hung_up_by,omitempty"`
	// Renegotiated counts the new descriptions the far end gave in the
	// call (re-INVITEs, UPDATEs: holds, refreshes, moved media).
	Renegotiated int `json:"renegotiated,omitempty"`
	// EarlyMedia says the far end sent media before answering (a 183 with
	// SDP): a ringback or an announcement, never the person.
	EarlyMedia bool `json:"early_media,omitempty"`
	// Quality is what the answered call's RTP and RTCP told of its audio.
	Quality wellcheck.CallQuality `json:"quality,omitzero"`
	// Transferred says the person, having pressed 2, was put through to a
	// listener there and then (Request.Transfer); TakenBy is that
	// listener's user id, when their leg says it.
	Transferred bool  `json:"transferred,omitempty"`
	TakenBy     int64 `json:"taken_by,omitempty"`
}

// MarshalJSON writes ring and talk time as whole milliseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		RingMS int64 `json:"ring_ms"`
		TalkMS int64 `json:"talk_ms"`
	}{plain(r), r.Ring.Milliseconds(), r.Talk.Milliseconds()})
}

// Request is one call to place.
type Request struct {
	To   string // an E.164 number, sent to the trunk, or a SIP URI
	Lang string // the prompts' language
	// Script is what the call says: a check-in (default) or an escalation to
	// an emergency contact.
	Script Script
	// LeaveMessage: on an answering machine, after its beep, a check-in's
	// call leaves the language's voicemail message (if it has one) rather
	// than hang up (a service setting).
	LeaveMessage bool
	// Transfer, when set, puts a check-in's person who presses 2 through to
	// a free listener at once (the language's Transfer prompt is needed);
	// nobody taking the call, they hear the Help closing as without it.
	Transfer Transfer
	// Claim, when set, runs once a channel is free, just before the INVITE: an
	// error stops the call before anything reaches the phone, and Place returns
	// it as is. A worker records its attempt here, so that a call which waited
	// for a channel is checked against the person's window when it starts.
	Claim func(ctx context.Context) error
}

// Call places one check-in call to to with the prompts of lang: Place with no
// claim.
func (d *Dialer) Call(ctx context.Context, to, lang string) (Result, error) {
	return d.Place(ctx, Request{To: to, Lang: lang})
}

// Place places one call and returns its outcome once the call is over.
// The error is for what is wrong before any call: a malformed destination, a
// language without prompts, ctx ending while waiting for a free channel, or the
// claim refusing. Every call placed returns a Result, failed ones included.
func (d *Dialer) Place(ctx context.Context, req Request) (Result, error) {
	to := req.To
	target, err := d.target(to)
	if err != nil {
		return Result{}, err
	}
	prompts, err := d.prompts.ForScript(req.Script, req.Lang)
	if err != nil {
		return Result{}, err
	}
	release, err := d.channel(ctx)
	if err != nil {
		return Result{}, err
	}
	defer release()
	if req.Claim != nil {
		if err := req.Claim(ctx); err != nil {
			return Result{}, err
		}
	}
	// The call's maximum length: a conversation with a listener, once put
	// through, may last as long as a listener's own call.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	limit := time.AfterFunc(d.cfg.MaxDuration, func() { cancel(errMaxDuration) })
	defer limit.Stop()
	c := d.newCall(prompts, req.LeaveMessage && req.Script != ScriptEscalation)
	if req.Script == ScriptCheckIn {
		c.transfer = req.Transfer
	}
	c.extend = func() { limit.Reset(DefaultMaxConversation) }
	res := c.run(ctx, target)
	if res.Outcome == wellcheck.OutcomeFailed {
		d.log.Warn("call failed", "to", wellcheck.MaskPhone(to), "call_id", res.CallID, "status", res.SIPStatus, "reason", res.Reason)
	} else {
		d.log.Info("call ended", "to", wellcheck.MaskPhone(to), "call_id", res.CallID, "outcome", res.Outcome, "status", res.SIPStatus,
			"ring", res.Ring.Round(time.Millisecond), "talk", res.Talk.Round(time.Millisecond))
	}
	return res, nil
}

// channel waits for one of the trunk's channels, shared by every node, and
// returns how to give it back.
func (d *Dialer) channel(ctx context.Context) (release func(), err error) {
	if d.cfg.Limits == nil {
		return func() {}, nil
	}
	release, err = d.cfg.Limits.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("wait for a free channel: %w", err)
	}
	return release, nil
}

// newCall is a call about to be placed, with prompts to say (nil for a
// bridged call).
func (d *Dialer) newCall(prompts *PromptSet, leaveMessage bool) *call {
	return &call{d: d, prompts: prompts, keys: make(chan byte, 16), hungUp: make(chan struct{}), ended: make(chan struct{}),
		timers: make(chan sessionTimer, 1), leaveMessage: leaveMessage}
}

// target makes the Request-URI: a number goes to the trunk, a URI as it is.
func (d *Dialer) target(to string) (sip.Uri, error) {
	to = strings.TrimSpace(to)
	if isE164(to) {
		uri := d.trunk
		uri.User = to
		if d.trunk.UriParams != nil {
			uri.UriParams = d.trunk.UriParams.Clone()
		}
		return uri, nil
	}
	if strings.HasPrefix(to, "sip:") {
		return parseURI(to)
	}
	return sip.Uri{}, fmt.Errorf("%s is neither an E.164 number (+33…) nor a sip: URI", wellcheck.MaskPhone(to))
}

func parseURI(to string) (sip.Uri, error) {
	var uri sip.Uri
	if err := sip.ParseUri(to, &uri); err != nil || uri.Host == "" {
		return sip.Uri{}, wellcheck.Errorf(wellcheck.EInvalid, "sip_uri_invalid", wellcheck.MaskPhone(to))
	}
	return uri, nil
}

// Target reads a call's destination as an operator types it (wellcheck call,
// the settings page's test call): a sip: URI as it is, anything else a phone
// number read in numbers' region and returned in E.164. Its errors say what
// is wrong in the user's words.
func Target(typed string, numbers phone.Parser) (string, error) {
	typed = strings.TrimSpace(typed)
	if strings.HasPrefix(typed, "sip:") {
		_, err := parseURI(typed)
		return typed, err
	}
	p, err := numbers.Parse(typed)
	return string(p), err
}

// call is one call in progress.
type call struct {
	d       *Dialer
	prompts *PromptSet
	// leaveMessage: on a machine, the voicemail message rather than a hang-up.
	leaveMessage bool
	// leg, for a listener's call (Connect), is whom the answered person is
	// joined to, instead of the check-in's prompts; a check-in's call gets
	// one when transfer puts the person through (and listening says so to
	// the stream's receiving goroutine). extend lifts the call's maximum
	// length to a conversation's.
	leg       Leg
	transfer  Transfer
	listening atomic.Pointer[Leg]
	// toNode: the call is to another node (a hand-off), not through the
	// trunk: what it meets says nothing of the trunk.
	toNode  bool
	extend  func()
	session *sipgo.DialogClientSession
	// server is the dialog of a call to the service (incoming.go),
	// instead of session; incoming says the call is one.
	server   *sipgo.DialogServerSession
	incoming bool
	started  time.Time // when the call to the service came
	message  bool      // its answer is a message alone, no menu
	localTag string

	keys     chan byte // from SIP INFO
	hungUp   chan struct{}
	hangOnce sync.Once
	answerer atomic.Value  // netip.Addr: where the answer to our INVITE came from
	contact  atomic.Value  // netip.Addr: its Contact's host, when an address
	ended    chan struct{} // closed when the call is over
	id       string        // its Call-ID
	local    *media.Session
	early    []netip.AddrPort  // the addresses of early media's SDP (183)
	timers   chan sessionTimer // a new Session-Expires from the far end's requests

	// What requests inside the call (midcall.go) act on.
	mu          sync.Mutex
	stream      *media.Stream           // set once the call is answered
	done        bool                    // the call is over: requests get 481
	offered     uint32                  // CSeq of a re-INVITE our offer answered, until its ACK
	inviting    bool                    // our refreshing re-INVITE is out
	remoteSeq   uint32                  // the highest CSeq of the far end's re-INVITEs and UPDATEs
	refreshAcks map[uint32]*sip.Request // by CSeq: our ACKs to the 2xx of our refreshes
	acks        map[uint32]chan struct{}
	ackedSeqs   []uint32
	updates     int
	transferred bool  // put through to a listener
	takenBy     int64 // who, if the leg says
}

// peer is the address that answered the call (zero before an answer).
func (c *call) peer() netip.Addr {
	ip, _ := c.answerer.Load().(netip.Addr)
	return ip
}

// isPeer reports whether ip is the far end of the call: the address that
// answered it, or the one its answer names as its Contact (without a
// Record-Route, the carrier's requests inside the call, and the answers to
// ours, come from there).
func (c *call) isPeer(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	contact, _ := c.contact.Load().(netip.Addr)
	return ip == c.peer() || ip == contact
}

func (c *call) key(k byte) {
	select {
	case c.keys <- k:
	default:
	}
}

func (c *call) remoteHangUp() { c.hangOnce.Do(func() { close(c.hungUp) }) }

func (c *call) run(ctx context.Context, target sip.Uri) Result {
	d := c.d
	conn, err := media.Listen(d.mediaIP)
	if err != nil {
		return ours(Result{}, "open an RTP port: %v", err)
	}
	defer conn.Close() // the stream closes it too, if the call gets one
	rtpPort, rtcpPort := conn.Ports()
	local := netip.AddrPortFrom(d.sdpIP, rtpPort)
	c.local = media.NewSession(local, rtcpPort, rand.Uint64()>>1)
	offer, err := c.local.Offer()
	if err != nil {
		return ours(Result{}, "describe our audio: %v", err)
	}
	req := d.invite(target, offer)
	if c.toNode {
		req.RemoveHeader("Route") // straight to the node
	}
	c.localTag, _ = req.From().Params.Get("tag")
	res := Result{CallID: callIDOf(req)}
	c.id = res.CallID
	// Known before the INVITE leaves: the trunk's BYE or INFO may follow the answer
	// at once.
	d.calls.Store(res.CallID, c)
	defer d.calls.Delete(res.CallID)
	defer c.end()

	started := time.Now()
	sess, err := d.dialogs.WriteInvite(ctx, req)
	if err != nil {
		c.backoff(d.cfg.OverloadBackoff)
		return failed(res, "send INVITE: %v", err)
	}
	c.session = sess
	defer sess.Close()
	res, answered := c.ring(ctx, sess, res, started)
	if !answered {
		return res
	}
	return c.talk(ctx, sess, conn, res)
}

// end marks the call over: requests inside it get 481 from now on, and
// whatever waits on it (a 200 OK sent again until its ACK) stops.
func (c *call) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.done = true
		close(c.ended)
	}
}

// failed is res ended as our failure, saying why.
func failed(res Result, format string, args ...any) Result {
	res.Outcome, res.Reason = wellcheck.OutcomeFailed, fmt.Sprintf(format, args...)
	return res
}

// ours is res ended as a failure on our side (no RTP port, the call cut
// short by us): it says nothing of the trunk (Result.Local).
func ours(res Result, format string, args ...any) Result {
	res = failed(res, format, args...)
	res.Local = true
	return res
}

// ring waits for the INVITE's final answer (sent at started), within the
// ring timeout. A
// refusal, no answer or the trunk's silence ends the call here (answered is
// false, res says how); an answer goes on to talk.
func (c *call) ring(ctx context.Context, sess *sipgo.DialogClientSession, res Result, started time.Time) (_ Result, answered bool) {
	d := c.d
	ringCtx, ringCancel := context.WithTimeout(ctx, d.cfg.RingTimeout)
	answer := sipgo.AnswerOptions{
		Username: d.cfg.Trunk.Username,
		Password: d.cfg.Trunk.Password,
		OnResponse: func(r *sip.Response) error {
			if !r.IsProvisional() {
				return nil
			}
			res.Provisional = append(res.Provisional, r.StatusCode)
			if c.leg != nil && (r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress) {
				c.leg.Ringing()
			}
			// Early media (a 183 with SDP): a ringback or an announcement
			// the carrier plays, never the person. Nothing of ours is sent
			// before the 200 OK, and its sources are never latched onto.
			if len(r.Body()) > 0 {
				if desc, err := media.Parse(r.Body()); err == nil {
					res.EarlyMedia = true
					if !slices.Contains(c.early, desc.Addr) {
						c.early = append(c.early, desc.Addr)
					}
				}
			}
			return nil
		},
	}
	if c.toNode {
		// Another node challenges nothing: the trunk's credentials are
		// for the trunk alone.
		answer.Username, answer.Password = "", ""
	}
	err := sess.WaitAnswer(ringCtx, answer)
	// sipgo gives up after ten responses, provisional ones included, without a
	// CANCEL; a carrier that repeats 180 would leave the phone ringing. Wait again:
	// the ring timeout still cancels.
	for tries := 0; err != nil && tries < 20 && ringCtx.Err() == nil &&
		sess.InviteResponse != nil && sess.InviteResponse.IsProvisional() &&
		!errors.As(err, new(*sipgo.ErrDialogResponse)); tries++ {
		err = sess.WaitAnswer(ringCtx, answer)
	}
	rang := ringCtx.Err() != nil
	ringCancel()
	res.Ring = time.Since(started)
	if r := sess.InviteResponse; r != nil && !r.IsProvisional() {
		res.SIPStatus = r.StatusCode
	}
	if err == nil {
		c.answerer.Store(peerOf(sess.InviteResponse))
		c.contact.Store(contactOf(sess.InviteResponse))
		return res, true
	}
	var rejected *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &rejected):
		return c.rejected(res, rejected.Res), false
	case rang && sess.InviteResponse != nil && sess.InviteResponse.IsSuccess():
		// Answered as we cancelled: take the call and hang up at once.
		c.hangUpRaced(sess)
		if ctx.Err() != nil {
			return ours(res, "call cut short: %v", context.Cause(ctx)), false
		}
		res.Outcome, res.Reason = wellcheck.OutcomeNoAnswer, "answered as the ring timeout cancelled it; hung up"
		return res, false
	case rang && ctx.Err() != nil:
		return ours(res, "call cut short before an answer: %v", context.Cause(ctx)), false
	case sess.InviteResponse == nil:
		// Not even 100 Trying: the trunk is down or overloaded, not the person.
		c.backoff(d.cfg.OverloadBackoff)
		return failed(res, "the trunk did not respond to the INVITE: %v", err), false
	case rang:
		res.Outcome = wellcheck.OutcomeNoAnswer
		return res, false
	}
	c.backoff(d.cfg.OverloadBackoff)
	return failed(res, "no final response from the trunk: %v", err), false
}

// talk is the answered call: ACK, media on conn, the check-in's conversation
// until a key, the menu's end or a hang-up, and our BYE if they did not hang
// up first.
func (c *call) talk(ctx context.Context, sess *sipgo.DialogClientSession, conn *media.Conn, res Result) Result {
	answered := time.Now()
	if err := sess.Ack(context.WithoutCancel(ctx)); err != nil {
		c.bye(sess)
		return failed(res, "ACK the answer: %v", err)
	}
	remote, err := media.Parse(sess.InviteResponse.Body())
	if err != nil {
		c.bye(sess)
		res.Talk = time.Since(answered)
		res.HungUpBy = "us"
		return failed(res, "unusable SDP answer: %v", err)
	}
	// What came before the answer was early media: it is not the person,
	// and its keys (a recorded announcement's tones) do not count. When
	// the answer names another address than the early media's SDP, that
	// address is never latched onto (its last packets may arrive after the
	// answer); when it names the same, they are the same far end. The
	// sources drained are not refused: the drain comes after the 200 OK,
	// and may hold the answered phone's first packets, from behind its NAT.
	drainEarly(conn)
	var notFrom []netip.AddrPort
	if len(c.early) > 0 && !slices.Contains(c.early, remote.Addr) {
		notFrom = c.early
	}
	// The answer settles RTCP for the whole call: multiplexed or on our
	// RTCP port, as every later description of ours says.
	c.local.SettleRTCP(remote.RTCPMux)
	first := sessionTimer{}
	if interval, refresher, ok := readSessionExpires(sess.InviteResponse); ok {
		first = sessionTimer{interval: interval, ours: refresher != "uas"}
	}
	return c.onLine(ctx, conn, remote, notFrom, res, answered,
		func(ctx context.Context) { c.keepSession(ctx, sess, first) }, func() { c.bye(sess) })
}

// onLine is the answered call's media on conn with the far end's
// description remote: the check-in's conversation, or the relay to the
// call's leg, until a key, the menu's end or a hang-up; keep runs
// meanwhile (session refreshes), and hangUp ends the call from our side
// when they did not hang up first.
func (c *call) onLine(ctx context.Context, conn *media.Conn, remote media.Description, notFrom []netip.AddrPort, res Result,
	answered time.Time, keep func(context.Context), hangUp func()) Result {
	sc := media.StreamConfig{Remote: remote, DetectKeys: true, DetectMachine: c.leg == nil && !c.incoming, Lateness: c.d.cfg.SendLateness, NotFrom: notFrom,
		RTCPInterval: c.d.cfg.RTCPInterval, MayLatch: func(ip netip.Addr) bool { return c.isPeer(ip) || c.d.trusted(ip) }}
	if c.leg != nil {
		// A conversation: the listener hears the person's tones, and
		// is shown only the keys their phone sends as events.
		c.listening.Store(&c.leg)
		sc.Fed, sc.Lateness, sc.NoTones = true, nil, true
	}
	if c.leg != nil || c.transfer != nil {
		sc.Hear = c.hearer()
	}
	stream := media.NewStream(conn, sc)
	c.mu.Lock()
	c.stream = stream
	stream.Start()
	c.mu.Unlock()
	keepCtx, stopKeeping := context.WithCancel(ctx)
	var keeping sync.WaitGroup
	if keep != nil {
		keeping.Go(func() { keep(keepCtx) })
	}
	var outcome wellcheck.Outcome
	var digits string
	var theyHungUp bool
	if c.leg != nil {
		outcome, theyHungUp = wellcheck.OutcomeAnswered, c.relay(ctx, stream)
	} else {
		outcome, digits, theyHungUp = c.converse(ctx, stream)
	}
	stopKeeping()
	keeping.Wait()
	c.end()
	stream.Close()
	c.mu.Lock()
	res.Renegotiated, res.Transferred, res.TakenBy = c.updates, c.transferred, c.takenBy
	c.mu.Unlock()
	st := stream.Stats()
	res.Quality = qualityOf(st.Quality)
	if st.RTCPStranger > 0 || st.RTCPMalformed > 0 {
		c.d.log.Info("RTCP dropped", "call_id", res.CallID, "stranger", st.RTCPStranger, "malformed", st.RTCPMalformed)
	}
	if st.LatchedTo.IsValid() {
		// The carrier's media address, not the person's number: an operator
		// reading this learns their trunk needs symmetric RTP.
		c.d.log.Info("media came from elsewhere than the answer said: latched onto it", "call_id", res.CallID,
			"described", remote.Addr.String(), "latched", st.LatchedTo.String())
	}
	res.HungUpBy = "them"
	if !theyHungUp {
		hangUp()
		res.HungUpBy = "us"
	}
	res.Talk = time.Since(answered)
	res.Outcome, res.Digits = outcome, digits
	if outcome == wellcheck.OutcomeNoResponse && ctx.Err() != nil && !theyHungUp {
		if context.Cause(ctx) == errMaxDuration {
			if stream.Held() {
				// Call waiting that never came back: the person was busy
				// elsewhere; they are called again soon, as after our failures.
				return ours(res, "the far end held the call until its maximum length of %s", c.d.cfg.MaxDuration)
			}
			return ours(res, "call reached its maximum length of %s", c.d.cfg.MaxDuration)
		}
		return ours(res, "call cut short: %v", context.Cause(ctx))
	}
	return res
}

// qualityOf turns what a stream learned into the call's quality figures:
// our side's when the peer's RTP came, theirs and the round trip when their
// reports did, and the MOS from the worse of what is known.
func qualityOf(q media.Quality) wellcheck.CallQuality {
	var out wellcheck.CallQuality
	pct := func(v float64) *float64 { v *= 100; return &v }
	ms := func(d time.Duration) *float64 { v := float64(d) / float64(time.Millisecond); return &v }
	if q.Expected > 0 {
		out.LossReceivedPct, out.JitterMS = pct(q.ReceivedLoss()), ms(q.Jitter)
	}
	if q.Reported {
		out.LossSentPct = pct(q.SentLoss)
		if out.JitterMS == nil || q.SentJitter > q.Jitter {
			out.JitterMS = ms(q.SentJitter)
		}
	}
	if q.RTT > 0 {
		out.RTTMS = ms(q.RTT)
	}
	if out.LossReceivedPct == nil && out.LossSentPct == nil {
		return out
	}
	var loss, jitter, rtt float64
	for _, v := range []*float64{out.LossReceivedPct, out.LossSentPct} {
		if v != nil {
			loss = max(loss, *v)
		}
	}
	if out.JitterMS != nil {
		jitter = *out.JitterMS
	}
	if out.RTTMS != nil {
		rtt = *out.RTTMS
	}
	_, mos := wellcheck.EstimateMOS(loss, jitter, rtt)
	out.MOS = &mos
	return out
}

// errMaxDuration ends a call that reached Config.MaxDuration.
var errMaxDuration = errors.New("the call reached its maximum length")

// invite builds the INVITE: To the person, From the service's published number and
// name, our Contact, the SDP offer, and the outbound proxy's Route.
func (d *Dialer) invite(target sip.Uri, offer []byte) *sip.Request {
	req := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{
		DisplayName: d.cfg.CallerName,
		// Trunks match the caller's domain to theirs.
		Address: sip.Uri{Scheme: "sip", User: d.cfg.CallerNumber, Host: d.cfg.Trunk.Host},
		Params:  sip.NewParams(),
	}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	callID := sip.CallIDHeader(sip.GenerateTagN(32))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: target.User, Host: target.Host, Port: target.Port}})
	req.AppendHeader(sip.HeaderClone(&d.dialogs.ContactHDR))
	if d.route != nil {
		req.AppendHeader(sip.HeaderClone(d.route))
	}
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	if tp, ok := target.UriParams.Get("transport"); ok && tp != "" {
		req.SetTransport(strings.ToUpper(tp))
	} else {
		req.SetTransport(strings.ToUpper(d.cfg.Trunk.Transport))
	}
	return req
}

// rejected classifies a final non-2xx answer to the INVITE.
func (c *call) rejected(res Result, r *sip.Response) Result {
	res.SIPStatus = r.StatusCode
	res.Outcome = Classify(r.StatusCode)
	if res.Outcome == wellcheck.OutcomeFailed {
		res.Reason = fmt.Sprintf("trunk answered %d %s", r.StatusCode, r.Reason)
		if r.StatusCode == sip.StatusUnauthorized || r.StatusCode == sip.StatusProxyAuthRequired {
			res.Reason += ": check the trunk's username and password"
		}
	}
	// What the trunk says of itself holds for every call through it: every
	// node waits rather than send the next person's INVITE into it.
	switch s := r.StatusCode; {
	case s == sip.StatusUnauthorized || s == sip.StatusForbidden || s == sip.StatusProxyAuthRequired:
		c.backoff(c.d.cfg.RefusedBackoff)
	case s >= 500 && s < 600:
		c.backoff(retryAfter(r, c.d.cfg.OverloadBackoff))
	}
	return res
}

// Classify turns an INVITE's final non-2xx status into an outcome. Anything that
// says the line does not exist is invalid_number; anything the person did is busy,
// declined or no_answer; the rest is the system's fault, failed.
func Classify(status int) wellcheck.Outcome {
	switch status {
	case sip.StatusBusyHere, sip.StatusGlobalBusyEverywhere:
		return wellcheck.OutcomeBusy
	case sip.StatusGlobalDecline:
		return wellcheck.OutcomeDeclined
	case sip.StatusNotFound, sip.StatusGone, sip.StatusAddressIncomplete, sip.StatusGlobalDoesNotExistAnywhere:
		return wellcheck.OutcomeInvalidNumber
	case sip.StatusTemporarilyUnavailable, sip.StatusRequestTimeout, sip.StatusRequestTerminated:
		// Phone off or out of reach, the carrier's own ring timeout, or a CANCEL.
		return wellcheck.OutcomeNoAnswer
	}
	return wellcheck.OutcomeFailed
}

// retryAfter is a server error's Retry-After in seconds, or def.
func retryAfter(r *sip.Response, def time.Duration) time.Duration {
	if h := r.GetHeader("Retry-After"); h != nil {
		v, _, _ := strings.Cut(h.Value(), ";")
		if s, err := strconv.Atoi(strings.TrimSpace(strings.Split(v, "(")[0])); err == nil && s > 0 && s <= 3600 {
			return time.Duration(s) * time.Second
		}
	}
	return def
}

// backoff makes every node wait before its next call through the trunk,
// for what this call met there; a call to another node met no trunk.
func (c *call) backoff(wait time.Duration) {
	if !c.toNode {
		c.d.backoff(wait)
	}
}

func (d *Dialer) backoff(wait time.Duration) {
	if d.cfg.Limits == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.cfg.Limits.Backoff(ctx, wait); err != nil {
		d.log.Error("tell other nodes to back off from the trunk", "error", err)
	}
}

// bye hangs up an answered call; it must finish even if the call's context ended.
func (c *call) bye(sess *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	if err := sess.Bye(ctx); err != nil {
		c.d.log.Warn("hang up", "call_id", callIDOf(sess.InviteRequest), "error", err)
	}
}

func (c *call) hangUpRaced(sess *sipgo.DialogClientSession) {
	if err := sess.Ack(context.Background()); err != nil {
		c.d.log.Warn("ACK an answer that raced our CANCEL", "error", err)
		return
	}
	c.bye(sess)
}

// converse plays the check-in: the greeting, then the menu, repeated once if no key
// came, then the closing that matches the answer. A key counts from the moment the
// call is answered, during any prompt. It returns the outcome, the keys received,
// and whether the person hung up.
//
// An answering machine (media.MachineDetector) changes only what happens when
// no key comes: its beep stops the menu at once, for the voicemail message
// (LeaveMessage) or a hang-up; a greeting that merely sounds like a machine's
// lets the menu play on (it may be a person saying a long sentence), and ends
// the call as a voicemail if no key came. A key always wins.
func (c *call) converse(ctx context.Context, stream *media.Stream) (wellcheck.Outcome, string, bool) {
	if c.message {
		select {
		case <-stream.Play(c.prompts.Greeting):
		case <-c.hungUp:
		case <-ctx.Done():
		}
		return wellcheck.OutcomeNoResponse, "", isClosed(c.hungUp)
	}
	var digits []byte
	machine, beep, leaving := false, false, false
	// wait plays sound and returns the first key pressed while it plays or, with
	// listen, within KeyTimeout after; 0 if none, or at a machine's beep. ok is
	// false once the call is over.
	pressed := func(k byte) (byte, bool) {
		digits = append(digits, k)
		return k, true
	}
	wait := func(sound *media.Sound, listen bool) (key byte, ok bool) {
		played := stream.Play(sound)
		var timeout <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return 0, false
			case <-c.hungUp:
				return 0, false
			case k := <-stream.Keys():
				return pressed(k)
			case k := <-c.keys:
				return pressed(k)
			case h := <-stream.Heard():
				if len(digits) > 0 || leaving {
					continue // a person pressed a key, or the message is being left
				}
				// A key heard at the same moment wins: select picks
				// among ready cases at random.
				select {
				case k := <-stream.Keys():
					return pressed(k)
				case k := <-c.keys:
					return pressed(k)
				default:
				}
				machine = true
				if h == media.HeardBeep {
					beep = true
					return 0, true
				}
			case <-played:
				if !listen {
					return 0, true
				}
				played = nil
				t := time.NewTimer(c.d.cfg.KeyTimeout)
				defer t.Stop()
				timeout = t.C
			case <-timeout:
				return 0, true
			}
		}
	}

	key, ok := wait(c.prompts.Greeting, false)
	for round := 0; ok && !beep && key != '1' && key != '2' && round < 2; round++ {
		key, ok = wait(c.prompts.Menu, true)
	}
	outcome := wellcheck.OutcomeNoResponse
	closing := c.prompts.NoResponse
	if machine {
		outcome = wellcheck.OutcomeVoicemail
		switch {
		case c.leaveMessage && c.prompts.Voicemail != nil:
			closing = c.prompts.Voicemail
		case beep:
			closing = nil // a machine that records: nothing to say to it
		}
	}
	switch key {
	case '1':
		outcome, closing = wellcheck.OutcomeOK, c.prompts.OK
	case '2':
		outcome, closing = wellcheck.OutcomeHelpRequested, c.prompts.Help
		if ok && c.transfer != nil && c.prompts.Transfer != nil {
			if leg := c.putThrough(ctx, stream); leg != nil {
				c.leg = leg
				c.listening.Store(&leg)
				c.extend()
				c.mu.Lock()
				c.transferred = true
				if l, ok := leg.(interface{ Listener() int64 }); ok {
					c.takenBy = l.Listener()
				}
				c.mu.Unlock()
				return outcome, string(digits), c.relay(ctx, stream)
			}
			ok = ctx.Err() == nil && !isClosed(c.hungUp)
		}
	}
	if !ok || closing == nil {
		return outcome, string(digits), isClosed(c.hungUp)
	}
	stream.StopPlaying()
	if outcome == wellcheck.OutcomeVoicemail {
		// A person who presses a key during the message was no machine.
		leaving = true
		switch key, _ := wait(closing, false); key {
		case '1':
			outcome, closing = wellcheck.OutcomeOK, c.prompts.OK
		case '2':
			outcome, closing = wellcheck.OutcomeHelpRequested, c.prompts.Help
		default:
			return outcome, string(digits), isClosed(c.hungUp)
		}
		stream.StopPlaying()
	}
	// A key pressed while the person holds us: the closing waits for the
	// end of the hold, but not beyond its own length and a little more.
	heard := time.NewTimer(closing.Duration() + 2*time.Second)
	defer heard.Stop()
	select {
	case <-stream.Play(closing):
	case <-heard.C:
	case <-c.hungUp:
	case <-ctx.Done():
	}
	return outcome, string(digits), isClosed(c.hungUp)
}

// putThrough tells the person they are being put through to a listener,
// and rings the free listeners meanwhile; it returns the leg of the one who
// took the call, or nil: nobody did, or the person hung up.
func (c *call) putThrough(ctx context.Context, stream *media.Stream) Leg {
	stream.StopPlaying()
	played := stream.Play(c.prompts.Transfer)
	ringing, stop := context.WithCancel(ctx)
	defer stop()
	taken := make(chan Leg, 1)
	go func() { taken <- c.transfer.Ring(ringing) }()
	for {
		select {
		case leg := <-taken:
			stream.StopPlaying()
			return leg
		case <-played:
			played = nil // silence while a listener's phone rings
		case <-c.hungUp:
			stop()
			if leg := <-taken; leg != nil {
				leg.Ended() // taken as the person hung up
			}
			return nil
		case <-ctx.Done():
			if leg := <-taken; leg != nil {
				leg.Ended()
			}
			return nil
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Speaks reports whether the dialer has prompts for script in lang.
func (d *Dialer) Speaks(script Script, lang string) bool {
	_, err := d.prompts.ForScript(script, lang)
	return err == nil
}
