// Package webphone is the browser's leg of a listener's call: the listener's browser
// is a WebRTC peer of this node (pion/webrtc), and each Call carries its audio and key
// presses at the RTP level, PCMU and RFC 4733, so that a bridge to the SIP leg can
// relay packets without transcoding.
//
// An Engine is built once per node and owns the sockets every call shares: one UDP
// port (ICE UDP mux) on each of the server's addresses, and optionally one TCP port
// for browsers whose network blocks UDP. Nothing here records or stores audio.
package webphone

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// DefaultDisconnected is how long a browser may be silent before its connection
// counts as disconnected: pion's default, and a browser sends audio every 20 ms and
// an ICE consent check every few seconds.
const DefaultDisconnected = 5 * time.Second

// failedTimeout is pion's default ICE failed timeout: a connection disconnected this
// long has failed. Only a Grace longer than it minus Disconnected lets it act first.
const failedTimeout = 25 * time.Second

// DefaultGrace is how long a call may stay disconnected (the browser's network
// blinking, a Wi-Fi hand-over) before it is taken for ended.
const DefaultGrace = 5 * time.Second

// Config is what an Engine needs; the zero value listens on every address of the host
// on a free UDP port, without ICE-TCP.
type Config struct {
	// IPs are the server's addresses: the shared UDP port is opened on each, and each
	// is offered to browsers as a host candidate. Empty means every address of the
	// host's interfaces that are up, except loopback and link-local ones.
	IPs []netip.Addr
	// Port is the UDP port every call shares; 0 picks a free one (the same on every
	// address).
	Port uint16
	// PublicIP, when valid, is the public address of a 1:1 NAT in front of the server
	// (a cloud instance's elastic IP): host candidates name it instead of IPs.
	PublicIP netip.Addr
	// TCP, when valid, is where the ICE-TCP fallback listens (port 0 picks one).
	// Browsers are offered passive TCP candidates on IPs (or PublicIP) at its port, so
	// listen on the unspecified address or on one of IPs.
	TCP netip.AddrPort
	// ICEServers are the STUN and TURN servers the browsers use; the server itself
	// uses none (it has a public address or PublicIP). See Engine.ICEServers.
	ICEServers []webrtc.ICEServer
	// Disconnected is how long the browser may send nothing (no media, no ICE
	// check) before its connection counts as disconnected; 0 means
	// DefaultDisconnected. The call ends Grace later, unless packets come back.
	Disconnected time.Duration
	// Grace is how long a call may stay disconnected before it ends; 0 means
	// DefaultGrace.
	Grace time.Duration
	// Logger receives the calls' events; nil discards them.
	Logger *slog.Logger
}

// Engine answers browsers' offers with calls sharing its sockets. It is safe for
// concurrent use.
type Engine struct {
	api        *webrtc.API
	udp        ice.UDPMux
	tcp        ice.TCPMux // nil without ICE-TCP
	port       uint16
	tcpPort    uint16
	iceServers []webrtc.ICEServer
	grace      time.Duration
	log        *slog.Logger
}

// New opens the engine's sockets. Close releases them.
func New(cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ips := make([]netip.Addr, len(cfg.IPs))
	for i, ip := range cfg.IPs {
		ips[i] = ip.Unmap() // the filter below compares unmapped addresses
	}
	if len(ips) == 0 {
		var err error
		if ips, err = HostIPs(); err != nil {
			return nil, err
		}
	}
	e := &Engine{
		iceServers: slices.Clone(cfg.ICEServers),
		grace:      orDefault(cfg.Grace, DefaultGrace),
		log:        log,
	}
	pionLog := pionLogs{log}

	var err error
	e.udp, e.port, err = listenUDP(ips, cfg.Port, pionLog)
	if err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{LoggerFactory: pionLog}
	s.SetICEUDPMux(e.udp)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.TCP.IsValid() {
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(cfg.TCP))
		if err != nil {
			_ = e.udp.Close()
			return nil, fmt.Errorf("webphone: listen for ICE-TCP on %s: %w", cfg.TCP, err)
		}
		e.tcpPort = uint16(ln.Addr().(*net.TCPAddr).Port)
		e.tcp = webrtc.NewICETCPMux(pionLog.NewLogger("ice-tcp"), ln, 8)
		s.SetICETCPMux(e.tcp)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	s.SetNetworkTypes(networks)
	// The server's own checks keep the pair alive while the browser is quiet: their
	// answers count as packets from it.
	disconnected := orDefault(cfg.Disconnected, DefaultDisconnected)
	s.SetICETimeouts(disconnected, failedTimeout, min(2*time.Second, disconnected/3))
	// The server only listens: active TCP would dial out to the browser.
	s.DisableActiveTCP(true)
	// TCP candidates come from the interfaces, the UDP ones from the mux: keep both
	// to the configured addresses.
	s.SetIPFilter(func(ip net.IP) bool {
		a, ok := netip.AddrFromSlice(ip)
		return ok && slices.Contains(ips, a.Unmap())
	})
	s.SetIncludeLoopbackCandidate(slices.ContainsFunc(ips, netip.Addr.IsLoopback))
	// A server needs no mDNS: browsers' .local candidates are useless to it, and their
	// checks reach it anyway, as peer-reflexive candidates.
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if cfg.PublicIP.IsValid() {
		err := s.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        []string{cfg.PublicIP.String()},
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			e.closeSockets()
			return nil, fmt.Errorf("webphone: public IP %s: %w", cfg.PublicIP, err)
		}
	}

	var m webrtc.MediaEngine
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: pcmuPT},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: defaultEventPT},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			e.closeSockets()
			return nil, fmt.Errorf("webphone: register %s: %w", c.MimeType, err)
		}
	}
	var ir interceptor.Registry
	if err := webrtc.ConfigureRTCPReports(&ir); err != nil {
		e.closeSockets()
		return nil, fmt.Errorf("webphone: RTCP reports: %w", err)
	}
	e.api = webrtc.NewAPI(webrtc.WithSettingEngine(s), webrtc.WithMediaEngine(&m), webrtc.WithInterceptorRegistry(&ir))
	return e, nil
}

// Payload types. PCMU's is static; telephone-event's is dynamic, and a call uses the
// browser's (Chrome's is often 126): defaultEventPT only fills our registration.
const (
	pcmuPT             = 0
	defaultEventPT     = 101
	mimeTelephoneEvent = "audio/telephone-event"
)

// ICEServers returns the STUN and TURN servers for the page's RTCPeerConnection
// configuration ({iceServers: …}); they marshal to the JSON the browser expects.
func (e *Engine) ICEServers() []webrtc.ICEServer {
	return slices.Clone(e.iceServers)
}

// Port is the UDP port every call shares.
func (e *Engine) Port() uint16 { return e.port }

// TCPPort is the ICE-TCP port, 0 without ICE-TCP.
func (e *Engine) TCPPort() uint16 { return e.tcpPort }

// Close releases the engine's sockets. Close its calls first: their media stops with
// the sockets.
func (e *Engine) Close() error {
	return e.closeSockets()
}

func (e *Engine) closeSockets() error {
	err := e.udp.Close()
	if e.tcp != nil {
		err = errors.Join(err, e.tcp.Close())
	}
	return err
}

// listenUDP opens the shared port on each of ips. With port 0 the first address picks
// a free port and the others take the same, so that every call's candidates name one
// port, the one firewalls open.
func listenUDP(ips []netip.Addr, port uint16, log logging.LoggerFactory) (ice.UDPMux, uint16, error) {
	var muxes []ice.UDPMux
	closeAll := func() {
		for _, m := range muxes {
			_ = m.Close()
		}
	}
	for _, ip := range ips {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, port)))
		if err != nil {
			closeAll()
			return nil, 0, fmt.Errorf("webphone: listen on UDP %s: %w", net.JoinHostPort(ip.String(), strconv.Itoa(int(port))), err)
		}
		port = uint16(conn.LocalAddr().(*net.UDPAddr).Port)
		muxes = append(muxes, webrtc.NewICEUDPMux(log.NewLogger("ice-udp"), conn))
	}
	if len(muxes) == 1 {
		return muxes[0], port, nil
	}
	return ice.NewMultiUDPMuxDefault(muxes...), port, nil
}

// HostIPs lists the addresses of the host's interfaces that are up, except loopback
// and link-local ones (which need a zone and reach no browser).
func HostIPs() ([]netip.Addr, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("webphone: list interfaces: %w", err)
	}
	var ips []netip.Addr
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if ip = ip.Unmap(); ok && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				ips = append(ips, ip)
			}
		}
	}
	if len(ips) == 0 {
		return nil, errors.New("webphone: no usable address on this host's interfaces; set Config.IPs")
	}
	return ips, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
