package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/media"
)

// A Leg is the listener's side of a bridged call: their browser's phone
// (dialer/webphone), which Connect joins to a call to the person. Its
// methods are called from the call's goroutines; none may block.
type Leg interface {
	// Ringing is told when the person's phone rings (a 180 or 183).
	Ringing()
	// Answered is told once the person answers, with their side of the
	// call: what the leg gives it from then on reaches the person.
	Answered(p *Person)
	// Hear is given the person's audio as it comes, a packet at a time
	// (20 ms), in G.711 µ-law whatever the trunk speaks. The slice is the
	// leg's until it returns.
	Hear(ulaw []byte)
	// Pressed is told each key the person presses, once.
	Pressed(key byte)
	// Done is closed when the listener hangs up or their browser is gone.
	Done() <-chan struct{}
	// Ended is told once the person's side is over: they hung up, the
	// listener did, or the call was cut.
	Ended()
}

// A Transfer puts a person who pressed 2 through to a listener at once,
// when one is free (the switchboard's).
type Transfer interface {
	// Ring offers the call to the free listeners and waits until one of
	// them takes it, returning their leg, or none does within its wait, or
	// ctx ends (nil).
	Ring(ctx context.Context) Leg
}

// Person is the answered person's side of a bridged call.
type Person struct{ stream *media.Stream }

// Say sends a frame of the listener's voice to the person at once: 20 ms of
// G.711 µ-law, as browsers speak it (turned into A-law for a trunk that
// takes that), with the RTP timestamp the browser gave it, whose timeline
// the person's side keeps (a frame lost on the way leaves its gap, a
// hold-up none).
func (p *Person) Say(ulaw []byte, ts uint32) { p.stream.FeedAt(ulaw, ts) }

// keyLength is how long a key the listener presses lasts on the line.
const keyLength = 160 * time.Millisecond

// Press sends a key the listener pressed: as an RFC 4733 event when the
// person's side took telephone events, else as the key's tones, in place
// of the listener's voice while they last. It reports false for a key that
// is not a DTMF key.
func (p *Person) Press(key byte) bool {
	if p.stream.SendKey(key, keyLength) {
		return true
	}
	pcm, ok := media.GenerateTone(key, keyLength)
	if !ok {
		return false
	}
	p.stream.Play(media.NewSound(pcm))
	return true
}

// ConnectRequest is a listener's call to a person, joined to leg.
type ConnectRequest struct {
	To  string // an E.164 number, sent to the trunk, or a SIP URI
	Leg Leg
	// MaxDuration ends the conversation at this length, ringing included
	// (default 2 h): a forgotten call does not hold a channel all day.
	MaxDuration time.Duration
	// Claim, when set, runs once a channel is free, just before the INVITE,
	// as Request.Claim does: an error stops the call, returned as is.
	Claim func(ctx context.Context) error
	// Peer says To is another wellcheck node taking a hand-off
	// (HandOffURI): it is called directly, not through the outbound
	// proxy, and takes none of the trunk's channels.
	Peer bool
}

// DefaultMaxConversation is ConnectRequest.MaxDuration's default.
const DefaultMaxConversation = 2 * time.Hour

// channelWait is how long a listener's call waits for one of the trunk's
// channels: a listener is not left before a silent phone while the
// morning's check-ins hold them all.
const channelWait = 15 * time.Second

// ErrNoChannel is a listener's call that found none of the trunk's
// channels free in time.
var ErrNoChannel = errors.New("no channel of the trunk free: every one is in a call")

// Connect calls req.To from the service's number, like any of its calls
// (the listener's own number never reaches the network), and once the
// person answers joins their audio and keys to req.Leg's until either side
// hangs up. It takes one of the trunk's channels for as long. Its Result's
// outcome is OutcomeAnswered for a conversation, else why the person was
// not reached (no_answer, busy, declined, invalid_number, failed). The
// error is for what is wrong before any call, as with Place.
func (d *Dialer) Connect(ctx context.Context, req ConnectRequest) (Result, error) {
	if req.Leg == nil {
		return Result{}, fmt.Errorf("connect: no listener's leg")
	}
	target, err := d.target(req.To)
	if err != nil {
		return Result{}, err
	}
	// The listener hanging up ends the call whenever it happens: while it
	// waits for a channel, a CANCEL while it rings, our BYE once answered.
	ctx, hangUp := context.WithCancelCause(ctx)
	defer hangUp(nil)
	go func(ctx context.Context) {
		select {
		case <-req.Leg.Done():
			hangUp(errListenerHungUp)
		case <-ctx.Done():
		}
	}(ctx)
	if !req.Peer {
		waiting, stop := context.WithTimeoutCause(ctx, channelWait, ErrNoChannel)
		release, err := d.channel(waiting)
		stop()
		if err != nil {
			if context.Cause(waiting) == ErrNoChannel {
				return Result{}, ErrNoChannel
			}
			return Result{}, err
		}
		defer release()
	}
	if req.Claim != nil {
		if err := req.Claim(ctx); err != nil {
			return Result{}, err
		}
	}
	limit := req.MaxDuration
	if limit <= 0 {
		limit = DefaultMaxConversation
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errMaxDuration)
	defer cancel()
	c := d.newCall(nil, false)
	c.leg, c.toNode = req.Leg, req.Peer
	res := c.run(ctx, target)
	if res.Outcome != wellcheck.OutcomeAnswered && errors.Is(context.Cause(ctx), errListenerHungUp) {
		res.Outcome, res.Reason, res.Local = wellcheck.OutcomeNoAnswer, errListenerHungUp.Error(), false
	}
	d.log.Info("listener's call ended", "to", wellcheck.MaskPhone(req.To), "call_id", res.CallID, "outcome", res.Outcome,
		"status", res.SIPStatus, "hung_up_by", res.HungUpBy, "talk", res.Talk.Round(time.Millisecond))
	return res, nil
}

// errListenerHungUp is a listener's call cut short by the listener.
var errListenerHungUp = errors.New("the listener hung up before the answer")

// relay joins the answered person's stream to the call's leg until one of
// them hangs up or ctx ends, and reports whether the person hung up.
func (c *call) relay(ctx context.Context, stream *media.Stream) (theyHungUp bool) {
	defer c.leg.Ended()
	c.leg.Answered(&Person{stream: stream})
	for {
		select {
		case <-ctx.Done():
			return false
		case <-c.hungUp:
			return true
		case <-c.leg.Done():
			return isClosed(c.hungUp)
		case k := <-stream.Keys():
			c.leg.Pressed(k)
		case k := <-c.keys:
			c.leg.Pressed(k)
		}
	}
}

// hearer turns the person's audio, decoded by the stream, back into µ-law
// for the call's leg once it has one, reusing one buffer.
func (c *call) hearer() func(pcm []int16) {
	var ulaw []byte
	return func(pcm []int16) {
		leg := c.listening.Load()
		if leg == nil {
			return
		}
		ulaw = ulaw[:0]
		for _, v := range pcm {
			ulaw = append(ulaw, g711.EncodeUlawFrame(v))
		}
		(*leg).Hear(ulaw)
	}
}
