package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/wellcheck/wellcheck/dialer/webphone"
)

// PhoneConfig is the listeners' in-browser phone: where browsers reach this
// node's audio. It runs on nodes with both the web and worker roles: the
// page's WebSocket and the call to the person go through the same node.
type PhoneConfig struct {
	On bool
	// Port is the UDP port of every browser's audio (0: a free one).
	Port uint16
	// IPs are the node's addresses offered to browsers (default: its
	// interfaces' but loopback); PublicIP a 1:1 NAT's in front of it.
	IPs      []netip.Addr
	PublicIP netip.Addr
	// TCP, if valid, is where browsers whose network blocks UDP may reach
	// the audio over TCP.
	TCP netip.AddrPort
	// ICEServers are the STUN and TURN servers given to browsers.
	ICEServers []webrtc.ICEServer
}

// phoneSettings are the phone's flags: their values go to raw until
// parsePhone reads them.
type phoneSettings struct{ on, port, ips, publicIP, tcp, turn, turnUser, turnPassword string }

func (p *phoneSettings) settings() []setting {
	return []setting{
		{"phone", "WELLCHECK_PHONE", "on", "on: listeners call from their browser, through nodes running both web and worker, and take the calls any worker holds (the nodes reach each other at their SIP addresses); off: no phone in the pages", &p.on},
		{"phone-port", "WELLCHECK_PHONE_PORT", "0", "UDP port every browser's audio reaches this node at (default: a free one, logged at start; fix it to open it in a firewall)", &p.port},
		{"phone-ips", "WELLCHECK_PHONE_IPS", "", "this node's addresses offered to browsers for their audio, comma-separated (default: those of its interfaces, loopback excepted)", &p.ips},
		{"phone-public-ip", "WELLCHECK_PHONE_PUBLIC_IP", "", "the public address of a 1:1 NAT in front of this node (a cloud instance's), offered to browsers instead of its own", &p.publicIP},
		{"phone-tcp", "WELLCHECK_PHONE_TCP", "", "address:port where browsers whose network blocks UDP reach the audio over TCP, such as 0.0.0.0:3479 (default: off)", &p.tcp},
		{"phone-turn", "WELLCHECK_PHONE_TURN", "", "STUN and TURN servers given to listeners' browsers, comma-separated URLs such as turn:turn.example.org:3478 (for networks that block UDP: see docs/operations.md)", &p.turn},
		{"phone-turn-user", "WELLCHECK_PHONE_TURN_USER", "", "username for the TURN servers", &p.turnUser},
		{"phone-turn-password", "WELLCHECK_PHONE_TURN_PASSWORD", "", "password for the TURN servers", &p.turnPassword},
	}
}

// parse reads the phone's flags, with errors in the operator's words.
func (p *phoneSettings) parse() (PhoneConfig, error) {
	var c PhoneConfig
	var err error
	if c.On, err = parseOnOff(p.on); err != nil {
		return c, &usageError{fmt.Sprintf("phone %q: use on or off", p.on)}
	}
	port, err := strconv.ParseUint(strings.TrimSpace(p.port), 10, 16)
	if err != nil {
		return c, &usageError{fmt.Sprintf("phone port %q: use a UDP port number from 1 to 65535, or 0 for a free one", p.port)}
	}
	c.Port = uint16(port)
	for f := range strings.SplitSeq(p.ips, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil || ip.IsUnspecified() {
			return c, &usageError{fmt.Sprintf("phone ips %q: use this node's IP addresses, comma-separated, such as 192.0.2.10", f)}
		}
		c.IPs = append(c.IPs, ip.Unmap())
	}
	if s := strings.TrimSpace(p.publicIP); s != "" {
		if c.PublicIP, err = netip.ParseAddr(s); err != nil || c.PublicIP.IsUnspecified() {
			return c, &usageError{fmt.Sprintf("phone public ip %q: use an IP address, such as 203.0.113.7", s)}
		}
		c.PublicIP = c.PublicIP.Unmap()
	}
	if s := strings.TrimSpace(p.tcp); s != "" {
		if c.TCP, err = netip.ParseAddrPort(s); err != nil {
			return c, &usageError{fmt.Sprintf("phone tcp %q: use address:port, such as 0.0.0.0:3479", s)}
		}
	}
	var urls []string
	for f := range strings.SplitSeq(p.turn, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.HasPrefix(f, "stun:") && !strings.HasPrefix(f, "turn:") && !strings.HasPrefix(f, "turns:") {
			return c, &usageError{fmt.Sprintf("phone turn %q: use stun:, turn: or turns: URLs, such as turn:turn.example.org:3478", f)}
		}
		urls = append(urls, f)
	}
	if len(urls) > 0 {
		c.ICEServers = []webrtc.ICEServer{{URLs: urls, Username: p.turnUser, Credential: p.turnPassword}}
	}
	if (p.turnUser != "" || p.turnPassword != "") && len(urls) == 0 {
		return c, &usageError{"phone turn user: name the TURN server too (--phone-turn)"}
	}
	return c, nil
}

// engine opens the phone's sockets. In the demo, the browser on this
// machine reaches it over loopback too.
func (c PhoneConfig) engine(demo bool, log *slog.Logger) (*webphone.Engine, error) {
	ips := c.IPs
	if demo && len(ips) == 0 {
		own, _ := webphone.HostIPs()
		ips = append(own, netip.MustParseAddr("127.0.0.1"))
	}
	e, err := webphone.New(webphone.Config{IPs: ips, Port: c.Port, PublicIP: c.PublicIP, TCP: c.TCP, ICEServers: c.ICEServers, Logger: log})
	if err != nil {
		return nil, &usageError{fmt.Sprintf("the browser phone: %v (see --phone-port, --phone-ips, --phone-tcp)", err)}
	}
	log.Info("the browser phone takes audio", "udp_port", e.Port(), "tcp_port", e.TCPPort())
	return e, nil
}
