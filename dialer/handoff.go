package dialer

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// Hand-offs between nodes. A call the trunk brought to one node (a check-in
// whose person pressed 2, a call to the service) may be taken by a listener
// whose page another node serves. That node calls this one, over SIP, at
// HandOffUser followed by a token the switchboards agreed on; this node
// joins the two calls (Join), and the listener's node joins its call to
// the browser. Such a call is between two wellcheck nodes: it takes none
// of the trunk's channels, goes to the node directly (ConnectRequest.Peer),
// and is heard from the other node's address while Trust lets it in.

// HandOffUser begins the Request-URI user of a call from another node
// handing over a call this node holds.
const HandOffUser = "handoff-"

// isHandOff reports whether a call to the service is another node's
// hand-off rather than a person's call.
func isHandOff(to string) bool { return strings.HasPrefix(to, HandOffUser) }

// SIPAddress is where other nodes reach this node's dialer: its advertised
// host:port, with ;transport= when it is not UDP.
func (d *Dialer) SIPAddress() string {
	ct := d.dialogs.ContactHDR.Address
	at := netip.AddrPortFrom(d.sdpIP, uint16(ct.Port)).String()
	if d.cfg.Trunk.Transport != "udp" {
		at += ";transport=" + d.cfg.Trunk.Transport
	}
	return at
}

// Trust lets another node at ip send this one a hand-off (an INVITE to
// HandOffUser…), and nothing else outside a call, until the returned
// function is called: while its listeners may take a call held here.
// Trusts of one address add up.
func (d *Dialer) Trust(ip netip.Addr) (untrust func()) {
	ip = ip.Unmap()
	d.guestsMu.Lock()
	if d.guests == nil {
		d.guests = make(map[netip.Addr]int)
	}
	d.guests[ip]++
	d.guestsMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			d.guestsMu.Lock()
			defer d.guestsMu.Unlock()
			if d.guests[ip]--; d.guests[ip] <= 0 {
				delete(d.guests, ip)
			}
		})
	}
}

// handingOver reports whether req is another node's hand-off from an
// address Trust lets in: the one request outside a call such an address
// may send. (The hand-off's requests inside its call come from its peer.)
func (d *Dialer) handingOver(ip netip.Addr, req *sip.Request) bool {
	return req.Method == sip.INVITE && isHandOff(req.Recipient.User) && d.guest(ip)
}

// guest reports whether Trust lets ip in now.
func (d *Dialer) guest(ip netip.Addr) bool {
	d.guestsMu.Lock()
	defer d.guestsMu.Unlock()
	return d.guests[ip] > 0
}

// HostOf is the address of a SIPAddress (invalid when it has none).
func HostOf(sipAddress string) netip.Addr {
	at, _, _ := strings.Cut(sipAddress, ";")
	ap, err := netip.ParseAddrPort(at)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// HandOffURI is the URI another node calls to take the call handed over as
// token, for listener.
func HandOffURI(sipAddress, token string, listener int64) string {
	return "sip:" + HandOffUser + token + "-" + strconv.FormatInt(listener, 10) + "@" + sipAddress
}

// ParseHandOff reads a hand-off's Request-URI user: the token and the
// listener who takes the call (ok false when it is not one).
func ParseHandOff(user string) (token string, listener int64, ok bool) {
	rest, found := strings.CutPrefix(user, HandOffUser)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", 0, false
	}
	listener, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || listener <= 0 || strings.Trim(rest[:i], "0123456789abcdef") != "" {
		return "", 0, false // tokens are hexadecimal
	}
	return rest[:i], listener, true
}

// Join makes two legs that join two calls on this node to each other: the
// call given a as its leg hears, and is heard by, the call given b. Each
// side's Done is closed once the other's call is over (its Ended), so that
// either hanging up ends both.
func Join() (a, b Leg) {
	x, y := &joint{done: make(chan struct{})}, &joint{done: make(chan struct{})}
	x.other, y.other = y, x
	return x, y
}

// joint is one side of Join: its call's person is the other side's
// listener.
type joint struct {
	other  *joint
	person atomic.Pointer[Person] // this side's call, once answered
	once   sync.Once
	done   chan struct{} // closed once this side's call is over
}

func (j *joint) Ringing() {}

func (j *joint) Answered(p *Person) { j.person.Store(p) }

// Hear passes this side's audio to the other side's call, once answered:
// stamped by that call's stream, as it sends it.
func (j *joint) Hear(ulaw []byte) {
	if p := j.other.person.Load(); p != nil {
		p.stream.Feed(ulaw)
	}
}

func (j *joint) Pressed(key byte) {
	if p := j.other.person.Load(); p != nil {
		p.Press(key)
	}
}

func (j *joint) Done() <-chan struct{} { return j.other.done }

func (j *joint) Ended() { j.once.Do(func() { close(j.done) }) }
