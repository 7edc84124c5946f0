// Package dialer places one check-in call and returns its outcome: SIP signalling
// with emiago/sipgo through the service's trunk or PBX, the prompt played over RTP,
// the key read from RFC 4733 events, SIP INFO or in-band tones.
//
// A Dialer holds one SIP user agent bound to one local address and can run many calls
// at once. Calls never outlive their hard maximum, a CANCEL that loses the race to a
// 200 OK still ends in ACK and BYE, and whatever the peer does the call returns an
// outcome.
package dialer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Trunk is where calls go: the carrier's SIP trunk or the local PBX.
type Trunk struct {
	Host      string // host name or IP address
	Port      int    // 0: the transport's default, 5060 (5061 for TLS)
	Transport string // "udp" (default), "tcp" or "tls"
	// Proxy, if set, is an outbound proxy (host[:port]) every request goes through,
	// named in a Route header.
	Proxy string
	// Username and Password answer digest challenges (401 and 407).
	Username, Password string
	// TLS configures the tls transport; nil uses the system's roots.
	TLS *tls.Config
}

// Config says how a Dialer places calls.
type Config struct {
	Trunk Trunk
	// Allow are addresses, besides the trunk's and the outbound proxy's,
	// whose requests outside a call (OPTIONS) are answered: an SBC's other
	// addresses. Any other address gets no answer at all.
	Allow []netip.Prefix
	// CallerNumber (E.164) and CallerName are what the person's phone shows: the
	// service's published number, so people recognise the call.
	CallerNumber string
	CallerName   string
	// Listen is the local SIP address (host:port; port 0 picks one). Default
	// 0.0.0.0:5062. RTP binds to the same host, on ports the system picks.
	Listen string
	// ExternalAddr (host[:port]) is advertised in Contact, Via and SDP instead of the
	// local address, for a dialer behind NAT.
	ExternalAddr string
	// RingTimeout ends an unanswered call with CANCEL (default 30 s).
	RingTimeout time.Duration
	// KeyTimeout is how long the menu waits for a key once it has been said
	// (default 6 s).
	KeyTimeout time.Duration
	// MaxDuration is the hard maximum of a whole call, ringing included (default 3 min).
	MaxDuration time.Duration
	// Limits, if set, shares the trunk's channel and calls-per-second limits with
	// every other process dialling through it.
	Limits Limiter
	// OverloadBackoff is how long every node stops sending calls after the trunk
	// answers 503 or another server error (5xx) without Retry-After, or does
	// not answer at all (default 30 s).
	OverloadBackoff time.Duration
	// RefusedBackoff is how long every node stops sending calls after the
	// trunk refuses us (401, 403, 407 once authenticated): every call would be
	// refused the same way, and a trunk refused at full rate may ban the
	// address (default 2 min).
	RefusedBackoff time.Duration
	// Register, if set, keeps this node's Contact registered with the
	// registrar (the trunk, by default) under the service's
	// address-of-record.
	Register *Register
	// Keepalive is how often an OPTIONS asks whether the trunk (or the
	// outbound proxy) answers; 0: never. While it does not, the node's
	// calls wait (TrunkDown).
	Keepalive time.Duration
	// Reception, if set, takes the calls to the service's number the
	// trunk sends (incoming.go; TakeCalls sets it later); without one
	// they are refused.
	Reception Reception
	// Observer, if set, is told how the line fares (the node's metrics).
	Observer Observer
	Logger   *slog.Logger
	// SendLateness, if set, is told how late each RTP packet left against its due
	// time (metrics, benchmarks). It is called from every call's sender: keep it cheap.
	SendLateness func(time.Duration)
	// RTCPInterval is the time between two RTCP reports of a call (default
	// 5 s, the first after 1 s); tests shorten it.
	RTCPInterval time.Duration
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = "0.0.0.0:5062"
	}
	if c.Trunk.Transport == "" {
		c.Trunk.Transport = "udp"
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.KeyTimeout <= 0 {
		c.KeyTimeout = 6 * time.Second
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = 3 * time.Minute
	}
	if c.RefusedBackoff <= 0 {
		c.RefusedBackoff = 2 * time.Minute
	}
	if c.OverloadBackoff <= 0 {
		c.OverloadBackoff = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = noObserver{}
	}
}

// Observer is told how the line fares, as it happens: the node's metrics
// (*metrics.Metrics).
type Observer interface {
	// SIPRegistered says whether the registrar holds this node's Contact.
	SIPRegistered(bool)
	// SIPRegistrationFailed counts a registration (or refresh) that failed.
	SIPRegistrationFailed()
	// TrunkUp says whether the trunk answers the keep-alives; TrunkRTT is an
	// answer's round-trip time.
	TrunkUp(bool)
	TrunkRTT(time.Duration)
}

type noObserver struct{}

func (noObserver) SIPRegistered(bool)     {}
func (noObserver) SIPRegistrationFailed() {}
func (noObserver) TrunkUp(bool)           {}
func (noObserver) TrunkRTT(time.Duration) {}

// Limiter shares a trunk's limits among every process that dials through it.
type Limiter interface {
	// Acquire waits until a channel is free, the calls-per-second budget allows a new
	// call and no backoff is in force, and returns the function that frees the
	// channel when the call ends.
	Acquire(ctx context.Context) (release func(), err error)
	// Backoff stops every node from starting calls for d: the trunk is overloaded.
	Backoff(ctx context.Context, d time.Duration) error
}

// sipLog is the SIP library's logger: none. Its messages quote requests whole,
// phone numbers included, and what an operator needs (call, status, reason) is in
// our own log lines.
var sipLog = slog.New(slog.DiscardHandler)

// Dialer places check-in calls.
type Dialer struct {
	cfg     Config
	prompts *Prompts
	log     *slog.Logger

	ua       *sipgo.UserAgent
	client   *sipgo.Client
	server   *sipgo.Server
	dialogs  *sipgo.DialogUA
	listener net.Addr      // the bound SIP address
	serving  chan struct{} // closed when the SIP listener stops serving (nil over TLS)
	mediaIP  netip.Addr    // RTP binds here
	sdpIP    netip.Addr    // and says this in SDP
	trunk    sip.Uri       // host, port and transport of the trunk
	route    *sip.RouteHeader

	allowed []netip.Prefix // may send requests outside a call (peers)
	// guests are other nodes let in for a while (Trust), by address.
	guestsMu sync.Mutex
	guests   map[netip.Addr]int
	ignoredCounters

	calls     sync.Map // Call-ID → *call
	receiving *receptions
	reception atomic.Pointer[Reception]
	started   chan struct{} // closed once start is done: the client and dialogs set
	closer    func() error
	wg        sync.WaitGroup

	reg       *registrar // nil: not configured to register
	health    health
	lineStop  context.CancelFunc // stops registration and keep-alives
	lineWG    sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New binds the dialer's SIP address and starts serving requests the trunk sends
// inside calls (BYE, INFO). Close releases it.
func New(cfg Config, prompts *Prompts) (*Dialer, error) {
	cfg.defaults()
	d := &Dialer{cfg: cfg, prompts: prompts, log: cfg.Logger, receiving: newReceptions(), started: make(chan struct{})}
	if cfg.Reception != nil {
		d.TakeCalls(cfg.Reception)
	}
	if err := d.configure(); err != nil {
		return nil, err
	}
	if err := d.start(); err != nil {
		return nil, err
	}
	d.startLine()
	return d, nil
}

// startLine starts the registration and the keep-alives configured.
func (d *Dialer) startLine() {
	ctx, cancel := context.WithCancel(context.Background())
	d.lineStop = cancel
	if d.reg != nil {
		d.lineWG.Go(func() { d.keepRegistered(ctx) })
	}
	if d.cfg.Keepalive > 0 {
		d.health.state = TrunkHealth{State: TrunkUnknown, Target: d.hostPort(d.keepaliveTarget()), Since: time.Now()}
		d.lineWG.Go(func() { d.keepAlive(ctx) })
	}
}

func (d *Dialer) configure() error {
	cfg := d.cfg
	if cfg.Trunk.Host == "" {
		return errors.New("dialer: no trunk host configured")
	}
	switch cfg.Trunk.Transport {
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("dialer: trunk transport %q is not udp, tcp or tls", cfg.Trunk.Transport)
	}
	if cfg.Trunk.Port < 0 || cfg.Trunk.Port > 65535 {
		return fmt.Errorf("dialer: trunk port %d out of range", cfg.Trunk.Port)
	}
	if !isE164(cfg.CallerNumber) {
		return fmt.Errorf("dialer: caller number %q is not in E.164 form (+33…)", cfg.CallerNumber)
	}
	if d.prompts == nil {
		return errors.New("dialer: no prompts")
	}
	d.trunk = sip.Uri{Scheme: "sip", Host: cfg.Trunk.Host, Port: cfg.Trunk.Port}
	if cfg.Trunk.Transport != "udp" {
		d.trunk.UriParams = sip.NewParams()
		d.trunk.UriParams.Add("transport", cfg.Trunk.Transport)
	}
	if cfg.Keepalive < 0 {
		return fmt.Errorf("dialer: keep-alive interval %s is negative", cfg.Keepalive)
	}
	if cfg.Trunk.Proxy != "" {
		host, port, err := SplitHostPort(cfg.Trunk.Proxy)
		if err != nil {
			return fmt.Errorf("dialer: outbound proxy: %w", err)
		}
		uri := sip.Uri{Scheme: "sip", Host: host, Port: port, UriParams: sip.NewParams()}
		uri.UriParams.Add("lr", "")
		if cfg.Trunk.Transport != "udp" {
			uri.UriParams.Add("transport", cfg.Trunk.Transport)
		}
		d.route = &sip.RouteHeader{Address: uri}
	}
	if cfg.Register != nil {
		var err error
		if d.reg, err = d.newRegistrar(*cfg.Register); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dialer) start() (err error) {
	cfg := d.cfg
	host, port, err := SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("dialer: listen address: %w", err)
	}
	bindIP, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialer: listen address %q: host must be an IP address", cfg.Listen)
	}

	opts := []sipgo.UserAgentOption{sipgo.WithUserAgent("wellcheck")}
	if cfg.Trunk.TLS != nil {
		opts = append(opts, sipgo.WithUserAgenTLSConfig(cfg.Trunk.TLS))
	}
	opts = append(opts,
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(d.strayResponse)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)))
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		return fmt.Errorf("dialer: SIP user agent: %w", err)
	}
	d.ua = ua
	closeListener := func() error { return nil }
	d.closer = func() error { return errors.Join(closeListener(), ua.Close()) }
	defer func() {
		if err != nil { // whatever was started so far stops
			_ = d.Close()
		}
	}()
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		return fmt.Errorf("dialer: SIP server: %w", err)
	}
	d.server = srv
	if d.allowed, err = d.peers(); err != nil {
		return err
	}
	srv.OnBye(d.inCall(d.onBye))
	srv.OnInfo(d.inCall(d.onInfo))
	// Inside a call (midcall.go): re-INVITE, its ACK, UPDATE, OPTIONS.
	// A new INVITE is a call to the service (incoming.go).
	srv.OnInvite(d.inDialogOr(d.onReinvite, d.onIncoming))
	srv.OnAck(d.onAck)
	srv.OnRequest(sip.UPDATE, d.inCall(d.onUpdate))
	srv.OnOptions(d.inDialogOr(d.okInCall, func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	}))
	srv.OnNoRoute(d.outsideCall(d.noRoute))

	var local netip.AddrPort
	switch cfg.Trunk.Transport {
	case "udp":
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(bindIP, uint16(port))))
		if err != nil {
			return fmt.Errorf("dialer: listen for SIP on %s: %w", cfg.Listen, err)
		}
		local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
		d.listener, closeListener = conn.LocalAddr(), conn.Close
		d.serving = make(chan struct{})
		d.wg.Go(func() { defer close(d.serving); _ = srv.ServeUDP(filteredPackets{conn, d}) })
		// Calls go out of this socket (below): wait until the transport knows it,
		// or the first INVITE would try to bind the port a second time.
		if err := awaitListener(ua, conn.LocalAddr().String()); err != nil {
			return err
		}
	case "tcp":
		l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(bindIP, uint16(port))))
		if err != nil {
			return fmt.Errorf("dialer: listen for SIP on %s: %w", cfg.Listen, err)
		}
		local = l.Addr().(*net.TCPAddr).AddrPort()
		d.listener, closeListener = l.Addr(), l.Close
		d.serving = make(chan struct{})
		d.wg.Go(func() { defer close(d.serving); _ = srv.ServeTCP(filteredConns{l, d}) })
	default: // tls: requests inside a call come back on the connection we opened
		local = netip.AddrPortFrom(bindIP, uint16(port))
	}

	// What we advertise: the external address if configured, else the local one, or
	// the address the system would use to reach the trunk when bound to all.
	adv := local
	if cfg.ExternalAddr != "" {
		h, p, err := SplitHostPort(cfg.ExternalAddr)
		if err != nil {
			return fmt.Errorf("dialer: external address: %w", err)
		}
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return fmt.Errorf("dialer: external address %q: host must be an IP address", cfg.ExternalAddr)
		}
		if p == 0 {
			p = int(local.Port())
		}
		adv = netip.AddrPortFrom(ip, uint16(p))
	} else if bindIP.IsUnspecified() {
		ip, err := routeTo(cfg.Trunk.Host, d.trunkPort())
		if err != nil {
			return fmt.Errorf("dialer: find the local address that reaches the trunk: %w", err)
		}
		adv = netip.AddrPortFrom(ip, local.Port())
	}
	d.mediaIP, d.sdpIP = bindIP, adv.Addr()

	copts := []sipgo.ClientOption{
		sipgo.WithClientLogger(sipLog),
		sipgo.WithClientHostname(adv.Addr().String()),
		sipgo.WithClientPort(int(adv.Port())),
	}
	if cfg.Trunk.Transport == "udp" {
		// Send from the listening socket, so that responses and requests inside the
		// call come back to the one address we advertise.
		copts = append(copts, sipgo.WithClientConnectionAddr(local.String()))
	}
	client, err := sipgo.NewClient(ua, copts...)
	if err != nil {
		return fmt.Errorf("dialer: SIP client: %w", err)
	}
	d.client = client
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "wellcheck", Host: adv.Addr().String(), Port: int(adv.Port())}}
	if cfg.Trunk.Transport != "udp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", cfg.Trunk.Transport)
	}
	d.dialogs = &sipgo.DialogUA{Client: client, ContactHDR: contact}
	close(d.started) // what came before is seen by the handlers after
	return nil
}

func awaitListener(ua *sipgo.UserAgent, addr string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := ua.TransportLayer().GetConnection("udp", addr); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dialer: SIP transport did not start serving %s", addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// Addr is the SIP address the dialer listens on (nil for tls).
func (d *Dialer) Addr() net.Addr { return d.listener }

// Ready says whether the dialer can place calls: its SIP transport is bound
// and serving (over TLS, connections are opened per call: always ready).
func (d *Dialer) Ready() error {
	if d.serving == nil {
		return nil
	}
	select {
	case <-d.serving:
		return fmt.Errorf("the SIP transport on %s stopped", d.listener)
	default:
		return nil
	}
}

// Close unregisters (if registered), stops serving and releases the SIP
// address. Calls still running end with their transport gone; stop placing
// calls first.
func (d *Dialer) Close() error {
	d.closeOnce.Do(func() {
		if d.lineStop != nil {
			d.lineStop()
			d.lineWG.Wait()
		}
		d.receiving.stop()
		d.closeErr = d.closer()
		d.wg.Wait()
	})
	return d.closeErr
}

func (d *Dialer) trunkPort() int {
	if d.cfg.Trunk.Port != 0 {
		return d.cfg.Trunk.Port
	}
	if d.cfg.Trunk.Transport == "tls" {
		return 5061
	}
	return 5060
}

// onBye ends a call the person hung up.
func (d *Dialer) onBye(c *call, req *sip.Request, tx sip.ServerTransaction) {
	if c.server != nil {
		_ = c.server.ReadBye(req, tx)
	} else {
		_ = c.session.ReadBye(req, tx)
	}
	c.remoteHangUp()
}

// onInfo reads a key sent as SIP INFO.
func (d *Dialer) onInfo(c *call, req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	key, ok := InfoKey(ct, req.Body())
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusUnsupportedMediaType, "Unsupported Media Type", nil))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	c.key(key)
}

func (d *Dialer) callFor(req *sip.Request) *call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	v, ok := d.calls.Load(id.Value())
	if !ok {
		return nil
	}
	c := v.(*call)
	// A request from the peer carries our tag in To; anything else is not this call.
	if to := req.To(); to == nil || to.Params == nil {
		return nil
	} else if tag, _ := to.Params.Get("tag"); tag != c.localTag {
		return nil
	}
	return c
}

// strayResponse hangs up a 200 OK that reached no transaction: a call answered
// after we gave up on it (its CANCEL lost the race and its transaction is gone).
// Left alone, the person would hear silence until the far end times out.
func (d *Dialer) strayResponse(res *sip.Response) {
	cseq := res.CSeq()
	if !res.IsSuccess() || cseq == nil || cseq.MethodName != sip.INVITE {
		return
	}
	if v, ok := d.calls.Load(callIDOf(res)); ok {
		// The 2xx to a session refresh of ours, again: our ACK was lost.
		if ack := v.(*call).refreshAck(cseq.SeqNo); ack != nil {
			// Built as before (From our SIP port: Laddr is not cloned).
			if err := d.client.WriteRequest(ack); err != nil {
				d.log.Warn("ACK a refresh's answer again", "call_id", callIDOf(res), "error", err)
			}
			return
		}
	}
	d.log.Warn("hanging up a call answered after it was abandoned", "call_id", callIDOf(res))
	d.wg.Go(func() { d.hangUpStray(res) })
}

func (d *Dialer) hangUpStray(res *sip.Response) {
	contact := res.Contact()
	if contact == nil || res.From() == nil || res.To() == nil || res.CallID() == nil {
		return
	}
	build := func(method sip.RequestMethod, seq uint32) *sip.Request {
		req := sip.NewRequest(method, *contact.Address.Clone())
		req.AppendHeader(sip.HeaderClone(res.From()))
		req.AppendHeader(sip.HeaderClone(res.To()))
		req.AppendHeader(sip.HeaderClone(res.CallID()))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
		if d.route != nil {
			req.AppendHeader(sip.HeaderClone(d.route))
		}
		req.SetTransport(d.cfg.Trunk.Transport)
		req.SetDestination(res.Source())
		req.SetBody(nil)
		return req
	}
	seq := res.CSeq().SeqNo
	if err := d.client.WriteRequest(build(sip.ACK, seq)); err != nil {
		d.log.Warn("ACK a stray answer", "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	if _, err := d.client.Do(ctx, build(sip.BYE, seq+1)); err != nil {
		d.log.Warn("BYE a stray answer", "error", err)
	}
}

func callIDOf(m sip.Message) string {
	if h := m.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// isE164 reports whether s is a number in E.164 form: + then up to 15 digits.
func isE164(s string) bool {
	if len(s) < 4 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// splitHostPort splits host[:port]; a missing port is 0.
func SplitHostPort(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(s, "[]"), 0, nil
		}
		return "", 0, fmt.Errorf("%q: %w", s, err)
	}
	if port == "" {
		return host, 0, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%q: port %q is not a number from 0 to 65535", s, port)
	}
	return host, p, nil
}

// routeTo returns the local address the system would send from to reach host.
func routeTo(host string, port int) (netip.Addr, error) {
	conn, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}
