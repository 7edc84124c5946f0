package dialer

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Who may send the dialer requests. The SIP port is open to the network: a
// scanner's OPTIONS, a stranger's INVITE, a forged BYE or INFO aimed at a
// call in progress must get nothing — not even an answer that says a SIP
// service listens here. Requests outside a call are answered only for the
// trunk's and the outbound proxy's addresses (resolved at start) and those
// configured (Config.Allow: an SBC's other addresses), and from another
// node, while Trust lets it in, its INVITE to take a call (a hand-off)
// and nothing else; a request inside a
// call only from the address that answered it, or one of those.

// peers resolves the addresses allowed to send requests outside a call.
func (d *Dialer) peers() ([]netip.Prefix, error) {
	hosts := []string{d.cfg.Trunk.Host}
	if d.cfg.Trunk.Proxy != "" {
		host, _, err := SplitHostPort(d.cfg.Trunk.Proxy)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, host)
	}
	if h := d.registrarHost(); h != "" {
		hosts = append(hosts, h)
	}
	out := append([]netip.Prefix(nil), d.cfg.Allow...)
	for _, h := range hosts {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", h)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("dialer: resolve %s, whose requests are the only ones answered: %w", h, err)
		}
		for _, ip := range ips {
			ip = ip.Unmap()
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
		}
	}
	return out, nil
}

// sourceIP is the address a request came from: the connection's or
// packet's, not what its Via claims.
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// trusted reports whether ip may send requests outside a call.
func (d *Dialer) trusted(ip netip.Addr) bool {
	for _, p := range d.allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// outsideCall answers a request only when it comes from a trusted address;
// any other is ignored (and counted, and logged once a minute at most).
func (d *Dialer) outsideCall(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if ip := sourceIP(req); !d.trusted(ip) && !d.handingOver(ip, req) {
			d.ignore(req.Method.String(), ip)
			return
		}
		h(req, tx)
	}
}

// inCall hands a request inside a call to h with its call, when it comes
// from the call's peer (the address that answered it) or a trusted
// address; a request for no call gets 481 if it comes from a trusted
// address, and nothing otherwise.
func (d *Dialer) inCall(h func(c *call, req *sip.Request, tx sip.ServerTransaction)) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		ip := sourceIP(req)
		c := d.callFor(req)
		switch {
		case c != nil && (c.isPeer(ip) || d.trusted(ip)):
			h(c, req, tx)
		case c == nil && d.trusted(ip):
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		default:
			d.ignore(req.Method.String(), ip)
		}
	}
}

// admitted reports whether the socket takes what ip sends: a trusted
// address, or the far end of a call in progress. Any other request is
// dropped before the SIP stack reads it, so that even one it could not
// parse (no Via, no CSeq), which it would answer 400 itself, gets nothing.
// Responses are always read (see isResponse).
func (d *Dialer) admitted(ip netip.Addr) bool {
	if d.trusted(ip) || d.guest(ip) {
		return true
	}
	peer := false
	d.calls.Range(func(_, v any) bool {
		peer = v.(*call).isPeer(ip)
		return !peer
	})
	return peer
}

// isResponse reports whether a packet is a SIP response. Responses come to
// the requests we send — to the trunk's address of the moment (its name is
// resolved again for each request), to a registrar, to a call's Contact —
// and the SIP stack takes one only for a transaction of ours, answering
// none: a stranger's gets nothing, and ours must never be dropped.
func isResponse(b []byte) bool { return bytes.HasPrefix(b, []byte("SIP/2.0 ")) }

// filteredPackets is the UDP socket as the SIP stack reads it: only what
// admitted addresses send.
type filteredPackets struct {
	net.PacketConn
	d *Dialer
}

func (f filteredPackets) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := f.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		ip := addrIP(addr)
		if isResponse(b[:n]) || f.d.admitted(ip) {
			return n, addr, nil
		}
		f.d.ignore("packet", ip)
	}
}

// filteredConns is the TCP listener as the SIP stack accepts from it: a
// connection from an address not admitted is closed at once.
type filteredConns struct {
	net.Listener
	d *Dialer
}

func (f filteredConns) Accept() (net.Conn, error) {
	for {
		c, err := f.Listener.Accept()
		if err != nil {
			return c, err
		}
		ip := addrIP(c.RemoteAddr())
		if f.d.admitted(ip) {
			return c, nil
		}
		f.d.ignore("connection", ip)
		_ = c.Close()
	}
}

// addrIP is a socket address's IP (zero when it has none).
func addrIP(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// noRoute is what a trusted address gets for a method the dialer does not
// serve: 405 (an ACK gets nothing, as always).
func (d *Dialer) noRoute(req *sip.Request, tx sip.ServerTransaction) {
	if tx == nil || req.IsAck() {
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusMethodNotAllowed, "Method Not Allowed", nil))
}

// Ignored counts the requests ignored since the dialer started: they came
// from an address that may not send them.
func (d *Dialer) Ignored() int64 { return d.ignored.Load() }

// ignore counts what came from ip and was dropped (what: a request's
// method, "packet" or "connection" when dropped at the socket).
func (d *Dialer) ignore(what string, ip netip.Addr) {
	n := d.ignored.Add(1)
	now := time.Now().UnixNano()
	if last := d.ignoredLog.Load(); now-last < int64(time.Minute) || !d.ignoredLog.CompareAndSwap(last, now) {
		return
	}
	// The source address and method only: a request's URI or headers may
	// hold a number.
	d.log.Warn("SIP from an address that may not send it: ignored", "what", what, "from", ip.String(), "ignored_so_far", n)
}

// contactOf is the host of the answer's Contact, when it is an address.
func contactOf(res *sip.Response) netip.Addr {
	if res == nil || res.Contact() == nil {
		return netip.Addr{}
	}
	ip, err := netip.ParseAddr(res.Contact().Address.Host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// peerOf is the address the answer to our INVITE came from.
func peerOf(res *sip.Response) netip.Addr {
	if res == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(res.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// counters of ignored requests, on the Dialer.
type ignoredCounters struct {
	ignored    atomic.Int64
	ignoredLog atomic.Int64 // when one was last logged (Unix ns)
}
