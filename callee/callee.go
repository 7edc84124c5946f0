// Package callee is a SIP callee simulator: the people wellcheck calls, played by a
// program for the demo, the tests and the benchmarks. It answers INVITEs the way its
// behaviour says (answer and press 1, press 2, press nothing, be busy, decline, never
// answer, answer late, not exist, be overloaded), sends its key as RFC 4733 events,
// SIP INFO or in-band tones, and records every call it received.
package callee

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck/internal/media"
	"github.com/wellcheck/wellcheck/internal/netsim"
)

// Behaviour is what the simulated person (or their line) does with a call.
type Behaviour string

const (
	PressOne    Behaviour = "ok"          // answer, press 1 after the greeting
	PressTwo    Behaviour = "help"        // answer, press 2
	Silent      Behaviour = "silent"      // answer, press nothing
	Voicemail   Behaviour = "voicemail"   // an answering machine: a greeting, a beep, then it records
	HangUp      Behaviour = "hang_up"     // answer, hang up after a moment without a key
	Busy        Behaviour = "busy"        // 486 Busy Here
	Decline     Behaviour = "decline"     // 603 Decline
	NeverAnswer Behaviour = "no_answer"   // ring until cancelled
	AnswerLate  Behaviour = "late"        // ring for AnswerAfter, then answer and press 1
	NotFound    Behaviour = "not_found"   // 404 Not Found
	Unavailable Behaviour = "unavailable" // 503 Service Unavailable, Retry-After
	// What a trunk in trouble answers to every call (see Storm).
	TempUnavailable Behaviour = "temporarily_unavailable" // 480 Temporarily Unavailable, at once
	ServerError     Behaviour = "server_error"            // 500 Server Internal Error
	Unauthorized    Behaviour = "unauthorized"            // 401 Unauthorized, whatever the credentials
	// EarlyMedia is a carrier that plays early media while the phone
	// rings: 183 Session Progress with SDP and RTP to the caller before
	// the 200 OK, then the person answers and presses 1. The record
	// counts what the caller sent before the answer (EarlyPackets).
	EarlyMedia Behaviour = "early_media"
	// Talk is a person in a conversation (a listener's call): answer, say
	// Config.Voice over and over, press Config.TalkKey after KeyDelay if
	// set, and keep what is heard (Record.Heard, Record.KeysHeard) until
	// the caller hangs up, or hang up after Config.TalkFor if set.
	Talk Behaviour = "talk"
	// Echo is a line that says back at once what it hears, until the
	// caller hangs up: a bridge's round trip, measured.
	Echo Behaviour = "echo"
)

// Behaviours lists every behaviour, for help texts and validation.
var Behaviours = []Behaviour{PressOne, PressTwo, Silent, Voicemail, HangUp, Busy, Decline, NeverAnswer, AnswerLate, NotFound, Unavailable,
	TempUnavailable, ServerError, Unauthorized, EarlyMedia, Talk, Echo}

// ParseBehaviour checks a behaviour's name.
func ParseBehaviour(s string) (Behaviour, error) {
	for _, b := range Behaviours {
		if string(b) == s {
			return b, nil
		}
	}
	names := make([]string, len(Behaviours))
	for i, b := range Behaviours {
		names[i] = string(b)
	}
	return "", fmt.Errorf("unknown behaviour %q (one of %s)", s, strings.Join(names, ", "))
}

// KeyMode is how the simulated person's key reaches the caller.
type KeyMode string

const (
	RFC4733   KeyMode = "rfc4733"   // telephone-event RTP packets
	InfoRelay KeyMode = "info"      // SIP INFO, application/dtmf-relay
	InfoDTMF  KeyMode = "info-dtmf" // SIP INFO, application/dtmf
	InBand    KeyMode = "inband"    // tones in the audio; no telephone-event in the answer
)

// ParseKeyMode checks a key mode's name.
func ParseKeyMode(s string) (KeyMode, error) {
	switch m := KeyMode(s); m {
	case RFC4733, InfoRelay, InfoDTMF, InBand:
		return m, nil
	}
	return "", fmt.Errorf("unknown key mode %q (one of rfc4733, info, info-dtmf, inband)", s)
}

// Config says how the simulator behaves.
type Config struct {
	// Listen is the SIP address (default 127.0.0.1:5070); Network "udp" (default) or "tcp".
	Listen  string
	Network string
	// Behaviour applies to numbers not in Numbers when Weights is empty (default ok).
	Behaviour Behaviour
	// Numbers fixes the behaviour of given numbers (the Request-URI's user part).
	Numbers map[string]Behaviour
	// Weights draws a behaviour per call for other numbers, in proportion.
	Weights map[Behaviour]int
	Seed    uint64
	// Keys is how keys are sent (default rfc4733). EventType, if set, is the
	// telephone-event payload type our answer names instead of the offer's.
	Keys      KeyMode
	EventType uint8
	// Codec picks PCMA over the offer's first codec when "PCMA".
	Codec string
	// Ring is how long a phone rings before it is answered (default 100 ms);
	// AnswerAfter is the ring of a late answer (default 5 s).
	Ring, AnswerAfter time.Duration
	// KeyDelay is how long after answering the key is pressed (default 1.5 s).
	KeyDelay time.Duration
	// SuppressSilence sends RTP only for keys and tones, like a phone with voice
	// activity detection; by default the simulator streams silence as most do.
	SuppressSilence bool
	// NoRTCPMux refuses an offer's rtcp-mux, as many phones and trunks do:
	// RTCP then goes on a port of its own (the two-socket path).
	NoRTCPMux bool
	// RTCPInterval is the time between two RTCP reports (default 5 s).
	RTCPInterval time.Duration
	// Line, if set, puts a poor line (internal/netsim) between the caller's
	// media and this phone's: packets lost, delayed, reordered both ways.
	// RTCP multiplexed with RTP crosses the line too; RTCP on a port of its
	// own goes around it.
	Line *netsim.Config
	// Greeting is what a Voicemail line plays on answer, its beep included
	// (default: DefaultGreeting); it records from the greeting's end.
	Greeting *media.Sound
	// Voice is what a Talk line says, over and over (default: VoiceTone
	// for a second); TalkKey, if set, the key it presses after KeyDelay;
	// TalkFor, if set, how long after answering it hangs up.
	Voice   *media.Sound
	TalkKey byte
	TalkFor time.Duration
	// ComfortNoise sends comfort noise (RFC 3389, payload type 13, which
	// the caller never negotiated) whenever there is nothing to play, as
	// phones with voice activity detection do.
	ComfortNoise bool
	// Username and Password, if set, make every INVITE prove itself with digest
	// authentication (a 401 challenge) first.
	Username, Password string
	Logger             *slog.Logger
}

// Record is what the simulator saw of one call.
type Record struct {
	CallID     string
	To         string // Request-URI user: the number called
	FromUser   string
	FromName   string
	FromTag    string // the caller's tag: its side of the dialog
	Behaviour  Behaviour
	Challenged bool // a 401 was sent first
	Answered   bool
	Cancelled  bool
	// PressedAt is when the line pressed its key (zero if it pressed none).
	PressedAt    time.Time
	ByeFrom      string // "caller" or "callee"
	KeysSent     string
	Offer        media.Description
	AudioPackets int // RTP packets of the negotiated codec received
	OtherPackets int
	// EarlyPackets counts the RTP packets the caller sent before the 200
	// OK (EarlyMedia): there should be none.
	EarlyPackets int
	// RTCPMux says RTCP shared the RTP port; RTCPReceived counts the
	// caller's reports taken, and Quality is what the call's RTCP told.
	RTCPMux      bool
	RTCPReceived int
	Quality      media.Quality
	Start, End   time.Time
	FinalStatus  int
	InvitesSeen  int
	// A Voicemail line's recording: how much sound reached it (20 ms packets
	// louder than -40 dBFS) before its greeting ended and after, what it
	// recorded.
	SoundDuringGreeting, Recorded time.Duration
	// What a Talk line heard: the first maxHeard of audio, and the keys.
	Heard     []int16
	KeysHeard string
}

// VoiceTone is the pitch a Talk line speaks at by default (Hz): not a key's
// tone, and easy to find in what the other side heard.
const VoiceTone = 1000

// maxHeard is how much of what it heard a Talk line keeps.
const maxHeard = 10 * time.Second

// Callee is a running simulator.
type Callee struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	dialog *sipgo.DialogServerCache
	addr   netip.AddrPort
	close  func() error

	// drawOrder is Weights' behaviours sorted, so that a seed always gives the same
	// mix; totalWeight their sum.
	drawOrder   []Behaviour
	totalWeight int

	mu      sync.Mutex
	rng     *rand.Rand
	records map[string]*Record // by Call-ID
	order   []string
	ended   chan struct{} // closed and replaced whenever a call ends
	nonce   string
	storm   Behaviour // what every new call gets, if set (Storm)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New binds the simulator's address and starts answering.
func New(cfg Config) (*Callee, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:5070"
	}
	if cfg.Network == "" {
		cfg.Network = "udp"
	}
	if cfg.Behaviour == "" {
		cfg.Behaviour = PressOne
	}
	if cfg.Keys == "" {
		cfg.Keys = RFC4733
	}
	if cfg.Ring <= 0 {
		cfg.Ring = 100 * time.Millisecond
	}
	if cfg.AnswerAfter <= 0 {
		cfg.AnswerAfter = 5 * time.Second
	}
	if cfg.KeyDelay <= 0 {
		cfg.KeyDelay = 1500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ap, err := netip.ParseAddrPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("callee: listen address %q: %w", cfg.Listen, err)
	}
	c := &Callee{
		cfg: cfg, log: cfg.Logger,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		records: make(map[string]*Record),
		ended:   make(chan struct{}),
		nonce:   fmt.Sprintf("%016x", rand.Uint64()),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for b, w := range cfg.Weights {
		c.drawOrder = append(c.drawOrder, b)
		c.totalWeight += w
	}
	slices.Sort(c.drawOrder)

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("wellcheck-callee"),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(c.log),
			// Retransmitted answers to our INFO: nothing to do with them.
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(c.log)))
	if err != nil {
		return nil, err
	}
	c.ua = ua
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(c.log))
	if err != nil {
		ua.Close()
		return nil, err
	}
	c.srv = srv
	var serve func() error
	switch cfg.Network {
	case "udp":
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
		if err != nil {
			ua.Close()
			return nil, fmt.Errorf("callee: listen on %s: %w", cfg.Listen, err)
		}
		c.addr, c.close = conn.LocalAddr().(*net.UDPAddr).AddrPort(), conn.Close
		serve = func() error { return srv.ServeUDP(conn) }
	case "tcp":
		l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap))
		if err != nil {
			ua.Close()
			return nil, fmt.Errorf("callee: listen on %s: %w", cfg.Listen, err)
		}
		c.addr, c.close = l.Addr().(*net.TCPAddr).AddrPort(), l.Close
		serve = func() error { return srv.ServeTCP(l) }
	default:
		ua.Close()
		return nil, fmt.Errorf("callee: network %q is not udp or tcp", cfg.Network)
	}

	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(c.addr.Addr().String()), sipgo.WithClientPort(int(c.addr.Port())))
	if err != nil {
		c.close()
		ua.Close()
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callee", Host: c.addr.Addr().String(), Port: int(c.addr.Port())}}
	if cfg.Network == "tcp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	c.dialog = sipgo.NewDialogServerCache(client, contact)
	srv.OnInvite(c.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = c.dialog.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { _ = c.dialog.ReadBye(req, tx) })
	c.wg.Go(func() { _ = serve() })
	return c, nil
}

// Addr is where the simulator listens.
func (c *Callee) Addr() netip.AddrPort { return c.addr }

// Close hangs up nothing: it stops answering, ends calls in progress and waits for them.
func (c *Callee) Close() error {
	c.cancel()
	err := c.close()
	c.wg.Wait()
	return errors.Join(err, c.ua.Close())
}

// Records returns every call received so far, in arrival order.
func (c *Callee) Records() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Record, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, *c.records[id])
	}
	return out
}

// Wait waits until n calls have ended and returns the records.
func (c *Callee) Wait(ctx context.Context, n int) ([]Record, error) {
	for {
		c.mu.Lock()
		done := 0
		for _, r := range c.records {
			if !r.End.IsZero() {
				done++
			}
		}
		ended := c.ended
		c.mu.Unlock()
		if done >= n {
			return c.Records(), nil
		}
		select {
		case <-ctx.Done():
			return c.Records(), fmt.Errorf("callee: %d of %d calls ended: %w", done, n, ctx.Err())
		case <-ended:
		}
	}
}

// Storm makes every new call get b, whoever it is for, as a trunk in
// trouble answers everyone the same way; Storm("") ends it.
func (c *Callee) Storm(b Behaviour) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.storm = b
}

// behaviour draws what a new call gets; the caller holds mu (the draw uses rng).
func (c *Callee) behaviour(number string) Behaviour {
	if c.storm != "" {
		return c.storm
	}
	if b, ok := c.cfg.Numbers[number]; ok {
		return b
	}
	if c.totalWeight <= 0 {
		return c.cfg.Behaviour
	}
	n := c.rng.IntN(c.totalWeight) // under mu, held by record
	for _, b := range c.drawOrder {
		if n -= c.cfg.Weights[b]; n < 0 {
			return b
		}
	}
	return c.cfg.Behaviour
}

// record returns the call's record, creating it on its first INVITE.
func (c *Callee) record(req *sip.Request) *Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := req.CallID().Value()
	r, ok := c.records[id]
	if !ok {
		r = &Record{CallID: id, To: req.Recipient.User, Start: time.Now()}
		if f := req.From(); f != nil {
			r.FromUser, r.FromName = f.Address.User, f.DisplayName
			if f.Params != nil {
				r.FromTag, _ = f.Params.Get("tag")
			}
		}
		r.Behaviour = c.behaviour(r.To)
		c.records[id] = r
		c.order = append(c.order, id)
	}
	r.InvitesSeen++
	r.End, r.FinalStatus = time.Time{}, 0 // an INVITE after a challenge goes on
	return r
}

func (c *Callee) update(r *Record, f func(*Record)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(r)
}

func (c *Callee) finish(r *Record, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.FinalStatus == 0 {
		r.FinalStatus = status
	}
	r.End = time.Now()
	close(c.ended)
	c.ended = make(chan struct{})
}

// authorized checks the INVITE's digest credentials, challenging it if they are
// missing or wrong.
func (c *Callee) authorized(req *sip.Request, tx sip.ServerTransaction, r *Record) bool {
	chal := &digest.Challenge{Realm: "wellcheck-callee", Nonce: c.nonce, Algorithm: "MD5"}
	if h := req.GetHeader("Authorization"); h != nil {
		creds, err := digest.ParseCredentials(h.Value())
		if err == nil && creds.Username == c.cfg.Username && creds.Nonce == c.nonce {
			want, err := digest.Digest(chal, digest.Options{
				Method: "INVITE", URI: creds.URI, Username: c.cfg.Username, Password: c.cfg.Password,
				Cnonce: creds.Cnonce, Count: creds.Nc,
			})
			if err == nil && want.Response == creds.Response {
				return true
			}
		}
	}
	c.update(r, func(r *Record) { r.Challenged = true })
	res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
	_ = tx.Respond(res)
	c.finish(r, sip.StatusUnauthorized) // unless an INVITE with credentials follows
	return false
}

func (c *Callee) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	r := c.record(req)
	if c.cfg.Password != "" && !c.authorized(req, tx, r) {
		return
	}
	dlg, err := c.dialog.ReadInvite(req, tx)
	if err != nil {
		c.log.Warn("callee: bad INVITE", "error", err)
		c.finish(r, sip.StatusBadRequest)
		return
	}
	defer dlg.Close()
	status := c.play(dlg, r)
	c.finish(r, status)
}

// play acts out one call and returns the final status it answered.
func (c *Callee) play(dlg *sipgo.DialogServerSession, r *Record) int {
	ctx := dlg.Context()
	_ = dlg.Respond(sip.StatusTrying, "Trying", nil)
	reject := func(status int, reason string, hdrs ...sip.Header) int {
		_ = dlg.Respond(status, reason, nil, hdrs...)
		return status
	}
	switch r.Behaviour {
	case Busy:
		return reject(sip.StatusBusyHere, "Busy Here")
	case Decline:
		return reject(sip.StatusGlobalDecline, "Decline")
	case NotFound:
		return reject(sip.StatusNotFound, "Not Found")
	case Unavailable:
		return reject(sip.StatusServiceUnavailable, "Service Unavailable", sip.NewHeader("Retry-After", "2"))
	case TempUnavailable:
		return reject(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
	case ServerError:
		return reject(sip.StatusInternalServerError, "Server Internal Error")
	case Unauthorized:
		return reject(sip.StatusUnauthorized, "Unauthorized")
	}

	offer, err := media.Parse(dlg.InviteRequest.Body())
	if err != nil {
		return reject(sip.StatusNotAcceptableHere, "Not Acceptable Here")
	}
	c.update(r, func(r *Record) { r.Offer = offer })
	var recording atomic.Bool // a Voicemail line's greeting is over
	hear := func(pcm []int16) {
		if r.Behaviour == Talk {
			c.update(r, func(r *Record) {
				if len(r.Heard) < int(maxHeard*media.SampleRate/time.Second) {
					r.Heard = append(r.Heard, pcm...)
				}
			})
		}
		if !loud(pcm) {
			return
		}
		d := time.Duration(len(pcm)) * time.Second / media.SampleRate
		c.update(r, func(r *Record) {
			if recording.Load() {
				r.Recorded += d
			} else {
				r.SoundDuringGreeting += d
			}
		})
	}
	var early *media.Stream
	var earlyBody []byte
	if r.Behaviour == EarlyMedia {
		// The carrier's announcement, from the media address the answer
		// will name as well.
		conn, body, remote, closeLine, status := c.media(offer)
		if status != 0 {
			return reject(status, "No Media")
		}
		defer closeLine()
		early = media.NewStream(conn, media.StreamConfig{Remote: remote, ComfortNoise: c.cfg.ComfortNoise, Hear: hear, RTCPInterval: c.cfg.RTCPInterval})
		earlyBody = body
		if err := dlg.Respond(sip.StatusSessionInProgress, "Session Progress", body, sip.NewHeader("Content-Type", "application/sdp")); err != nil {
			early.Close()
			return sip.StatusOK
		}
		early.Start()
		if pcm, ok := media.GenerateTone('5', 500*time.Millisecond); ok {
			early.Play(media.NewSound(pcm))
		}
	} else {
		_ = dlg.Respond(sip.StatusRinging, "Ringing", nil)
	}

	ring := c.cfg.Ring
	switch r.Behaviour {
	case NeverAnswer:
		ring = 24 * time.Hour
	case AnswerLate:
		ring = c.cfg.AnswerAfter
	}
	select {
	case <-time.After(ring):
	case <-ctx.Done(): // CANCEL: sipgo has answered it and the INVITE with 487
		c.update(r, func(r *Record) { r.Cancelled = true })
		if early != nil {
			early.Close()
		}
		return sip.StatusRequestTerminated
	case <-c.ctx.Done():
		if early != nil {
			early.Close()
		}
		return reject(sip.StatusServiceUnavailable, "Shutting Down")
	}

	var stream *media.Stream
	var body []byte
	if early != nil {
		// The same stream goes on: what reached it so far came before the answer.
		stream, body = early, earlyBody
		early.StopPlaying()
		st := early.Stats()
		c.update(r, func(r *Record) { r.EarlyPackets = st.Received })
	} else {
		conn, b, remote, closeLine, status := c.media(offer)
		if status != 0 {
			return reject(status, "No Media")
		}
		defer closeLine()
		body = b
		sc := media.StreamConfig{Remote: remote, SuppressSilence: c.cfg.SuppressSilence, ComfortNoise: c.cfg.ComfortNoise, Hear: hear,
			RTCPInterval: c.cfg.RTCPInterval, DetectKeys: r.Behaviour == Talk}
		if r.Behaviour == Echo {
			var echo *media.Stream
			ulaw := make([]byte, 0, 160)
			sc.Fed, sc.Hear = true, func(pcm []int16) {
				ulaw = ulaw[:0]
				for _, v := range pcm {
					ulaw = append(ulaw, g711.EncodeUlawFrame(v))
				}
				echo.Feed(ulaw)
			}
			stream = media.NewStream(conn, sc)
			echo = stream
		} else {
			stream = media.NewStream(conn, sc)
		}
	}
	mux := stream.Remote().RTCPMux
	if err := dlg.RespondSDP(body); err != nil {
		stream.Close()
		return sip.StatusOK
	}
	c.update(r, func(r *Record) { r.Answered = true })
	if early == nil {
		stream.Start()
	}
	defer func() {
		st := stream.Stats()
		stream.Close()
		c.update(r, func(r *Record) {
			r.AudioPackets, r.OtherPackets = st.ReceivedAudio, st.Received-st.ReceivedAudio
			r.RTCPMux, r.RTCPReceived, r.Quality = mux, st.RTCPReceived, st.Quality
		})
	}()

	if r.Behaviour == Talk {
		// Stopped before the stream closes (defers run last first).
		var talking sync.WaitGroup
		defer talking.Wait()
		tctx, stop := context.WithCancel(ctx)
		defer stop()
		c.talk(tctx, &talking, r, stream)
	}
	if r.Behaviour == Voicemail {
		greeting := c.cfg.Greeting
		if greeting == nil {
			greeting = DefaultGreeting()
		}
		select {
		case <-stream.Play(greeting):
			recording.Store(true)
		case <-ctx.Done():
			c.update(r, func(r *Record) { r.ByeFrom = "caller" })
			return sip.StatusOK
		}
	}
	var key byte
	switch r.Behaviour {
	case PressOne, AnswerLate, EarlyMedia:
		key = '1'
	case PressTwo:
		key = '2'
	case Talk:
		key = c.cfg.TalkKey
	}
	select {
	case <-time.After(c.keyDelay(r.Behaviour)):
	case <-ctx.Done():
		c.update(r, func(r *Record) { r.ByeFrom = "caller" })
		return sip.StatusOK
	case <-c.ctx.Done():
	}
	if key != 0 {
		at := time.Now()
		c.press(ctx, dlg, stream, key)
		c.update(r, func(r *Record) { r.KeysSent += string(key); r.PressedAt = at })
	}
	if r.Behaviour == Talk && c.cfg.TalkFor > 0 {
		select {
		case <-time.After(time.Until(r.Start.Add(c.cfg.TalkFor))):
		case <-ctx.Done():
			c.update(r, func(r *Record) { r.ByeFrom = "caller" })
			return sip.StatusOK
		case <-c.ctx.Done():
		}
	}
	if r.Behaviour == HangUp || r.Behaviour == Talk && c.cfg.TalkFor > 0 || c.ctx.Err() != nil {
		bye, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dlg.Bye(bye)
		c.update(r, func(r *Record) { r.ByeFrom = "callee" })
		return sip.StatusOK
	}
	select {
	case <-ctx.Done():
		c.update(r, func(r *Record) { r.ByeFrom = "caller" })
	case <-c.ctx.Done():
		bye, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dlg.Bye(bye)
		c.update(r, func(r *Record) { r.ByeFrom = "callee" })
	}
	return sip.StatusOK
}

// talk starts a Talk line's voice, said over and over, and its ear for
// keys, until ctx ends.
func (c *Callee) talk(ctx context.Context, wg *sync.WaitGroup, r *Record, stream *media.Stream) {
	voice := c.cfg.Voice
	if voice == nil {
		voice = media.NewSound(media.Sine(VoiceTone, time.Second, 8000))
	}
	wg.Go(func() {
		for {
			started := time.Now()
			select {
			case <-stream.Play(voice):
			case <-ctx.Done():
				return
			}
			if time.Since(started) < voice.Duration()/2 {
				// Cut short (a key played over it), or not heard at all
				// (the caller holds): wait rather than spin.
				select {
				case <-time.After(voice.Duration()):
				case <-ctx.Done():
					return
				}
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case k := <-stream.Keys():
				c.update(r, func(r *Record) { r.KeysHeard += string(k) })
			case <-ctx.Done():
				return
			}
		}
	})
}

// keyDelay is how long after answering (after its greeting, for a
// machine) the line presses its key or, without one, waits for the caller
// to hang up: a machine records for a minute.
func (c *Callee) keyDelay(b Behaviour) time.Duration {
	if b == Voicemail {
		return time.Minute
	}
	return c.cfg.KeyDelay
}

// loud reports whether pcm holds sound: louder than -40 dBFS.
func loud(pcm []int16) bool { return len(pcm) > 0 && media.Level(pcm) > -40 }

// DefaultGreeting is a machine's greeting as the simulator plays it: five
// seconds of speech-like sound (syllables of shaped noise, short pauses
// between words) and a beep of 1 kHz for 400 ms.
func DefaultGreeting() *media.Sound {
	r := rand.New(rand.NewPCG(24, 5))
	var pcm []int16
	for len(pcm) < 5*media.SampleRate {
		syllable := 1200 + r.IntN(800) // 150–250 ms
		for n := range syllable {
			env := math.Sin(math.Pi * float64(n) / float64(syllable))
			pcm = append(pcm, int16(6000*env*(r.Float64()*2-1)))
		}
		if r.IntN(3) == 0 { // between words
			pcm = append(pcm, make([]int16, 800+r.IntN(1600))...)
		}
	}
	pcm = append(pcm, make([]int16, 2400)...)
	for n := range 3200 {
		pcm = append(pcm, int16(10000*math.Sin(2*math.Pi*1000*float64(n)/media.SampleRate)))
	}
	return media.NewSound(pcm)
}

// media opens a media port and answers offer from it: the socket, our
// SDP and the caller's description as our stream uses it, and what closes
// the poor line put in between (Config.Line); status is not 0 when that
// failed.
func (c *Callee) media(offer media.Description) (*media.Conn, []byte, media.Description, func(), int) {
	none := func() {}
	mux := offer.RTCPMux && !c.cfg.NoRTCPMux
	listen := media.Listen
	if mux {
		listen = media.ListenMux // RTCP on the RTP port: no second socket
	}
	conn, err := listen(c.addr.Addr())
	if err != nil {
		return nil, nil, media.Description{}, none, sip.StatusInternalServerError
	}
	answer := offer
	if strings.EqualFold(c.cfg.Codec, "PCMA") {
		answer.Codec = media.PCMA
	}
	if c.cfg.EventType != 0 {
		answer.EventType = c.cfg.EventType
	}
	events := c.cfg.Keys == RFC4733
	rtpPort, rtcpPort := conn.Ports() // rtcpPort 0 when multiplexed
	local := netip.AddrPortFrom(c.addr.Addr(), rtpPort)
	remote := answer
	closeLine := none
	if c.cfg.Line != nil {
		// The caller sends to the line, and the line to this phone.
		line := *c.cfg.Line
		line.Seed = rand.Uint64()
		relay, err := netsim.New(line, offer.Addr, local)
		if err != nil {
			conn.Close()
			return nil, nil, media.Description{}, none, sip.StatusInternalServerError
		}
		closeLine = func() { _ = relay.Close() }
		local, remote.Addr = relay.AddrForA(), relay.AddrForB()
	}
	body, err := media.Answer(answer, local, rtcpPort, rand.Uint64()>>1, events)
	if err != nil {
		conn.Close()
		closeLine()
		return nil, nil, media.Description{}, none, sip.StatusInternalServerError
	}
	remote.Events = events && offer.Events
	remote.RTCPMux = mux
	return conn, body, remote, closeLine, 0
}

// press sends one key the configured way.
func (c *Callee) press(ctx context.Context, dlg *sipgo.DialogServerSession, stream *media.Stream, key byte) {
	switch c.cfg.Keys {
	case RFC4733:
		stream.SendKey(key, 100*time.Millisecond)
	case InBand:
		if pcm, ok := media.GenerateTone(key, 120*time.Millisecond); ok {
			stream.Play(media.NewSound(pcm))
		}
	case InfoRelay, InfoDTMF:
		ct, body := "application/dtmf-relay", fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", key)
		if c.cfg.Keys == InfoDTMF {
			ct, body = "application/dtmf", string(key)
		}
		req := sip.NewRequest(sip.INFO, dlg.InviteRequest.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody([]byte(body))
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := dlg.Do(ictx, req); err != nil {
			c.log.Warn("callee: send INFO", "error", err)
		}
	}
}

// ParseWeights reads a mix such as "ok=80,help=10,busy=10".
func ParseWeights(s string) (map[Behaviour]int, error) {
	w := make(map[Behaviour]int)
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("weights: %q is not BEHAVIOUR=WEIGHT", part)
		}
		b, err := ParseBehaviour(name)
		if err != nil {
			return nil, fmt.Errorf("weights: %w", err)
		}
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("weights: %q: weight must be a whole number, 0 or more", part)
		}
		w[b] = v
	}
	return w, nil
}
