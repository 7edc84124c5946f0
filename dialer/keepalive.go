package dialer

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Keep-alive: an OPTIONS to the trunk (or the outbound proxy) every
// Config.Keepalive. Any final answer means it is reachable — a 404 or 405
// too: something answered — and its round-trip time is kept; no answer in
// time, or a transport error, is a miss. After MissesDown misses in a row
// the trunk is down for this node, and up again at the first answer.
// While it is down, calling holds this node's calls (TrunkDown) rather
// than send them one by one into a dead trunk.

// MissesDown is how many keep-alives in a row must go unanswered for the
// trunk to be down.
const MissesDown = 3

// TrunkState is the trunk as the keep-alives see it.
type TrunkState string

const (
	TrunkOff     TrunkState = "off"     // no keep-alive configured
	TrunkUnknown TrunkState = "unknown" // no answer yet, and not MissesDown misses
	TrunkUp      TrunkState = "up"
	TrunkDown    TrunkState = "down"
)

// TrunkHealth is how the trunk answers this node's keep-alives.
type TrunkHealth struct {
	State TrunkState `json:"state"`
	// Target is what the keep-alives go to: the trunk or the outbound proxy.
	Target string `json:"target,omitempty"`
	// Since is when the trunk entered its state.
	Since time.Time `json:"since,omitzero"`
	// RTT is the last answer's round-trip time; Status its SIP status.
	RTT    time.Duration `json:"rtt,omitempty"`
	Status int           `json:"status,omitempty"`
	// Checked is when the last keep-alive ended; Misses how many in a row
	// went unanswered; Reason why the last did.
	Checked time.Time `json:"checked,omitzero"`
	Misses  int       `json:"misses,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// health is a Dialer's keep-alive state.
type health struct {
	mu    sync.Mutex
	state TrunkHealth
}

// TrunkHealth is how the trunk answers this node's keep-alives (TrunkOff
// when there are none).
func (d *Dialer) TrunkHealth() TrunkHealth {
	if d.cfg.Keepalive <= 0 {
		return TrunkHealth{State: TrunkOff}
	}
	d.health.mu.Lock()
	defer d.health.mu.Unlock()
	return d.health.state
}

// TrunkDown reports whether this node sees the trunk down: its calls wait.
func (d *Dialer) TrunkDown() bool { return d.TrunkHealth().State == TrunkDown }

// keepalive target: the outbound proxy if any, else the trunk.
func (d *Dialer) keepaliveTarget() sip.Uri {
	if d.route != nil {
		uri := *d.route.Address.Clone()
		uri.UriParams = uri.UriParams.Clone()
		uri.UriParams.Remove("lr")
		return uri
	}
	uri := d.trunk
	if d.trunk.UriParams != nil {
		uri.UriParams = d.trunk.UriParams.Clone()
	}
	return uri
}

// keepAlive probes the trunk every Keepalive until ctx ends.
func (d *Dialer) keepAlive(ctx context.Context) {
	target := d.keepaliveTarget()
	every := d.cfg.Keepalive
	// An answer later than the next probe is no answer: a miss. (Over UDP,
	// SIP's own timer would wait 32 s.)
	timeout := min(every, 10*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		d.probe(ctx, target, timeout)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe sends one OPTIONS and records what came of it.
func (d *Dialer) probe(ctx context.Context, target sip.Uri, timeout time.Duration) {
	req := sip.NewRequest(sip.OPTIONS, target)
	req.AppendHeader(sip.HeaderClone(&d.dialogs.ContactHDR))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.SetTransport(strings.ToUpper(d.cfg.Trunk.Transport))
	pctx, cancel := context.WithTimeout(ctx, timeout)
	sent := time.Now()
	res, err := d.client.Do(pctx, req)
	rtt := time.Since(sent)
	cancel()
	if ctx.Err() != nil {
		return // stopping: says nothing of the trunk
	}
	now := time.Now()
	d.health.mu.Lock()
	prev := d.health.state
	st := prev
	st.Checked = now
	if err == nil {
		st.State, st.RTT, st.Status, st.Misses, st.Reason = TrunkUp, rtt, res.StatusCode, 0, ""
	} else {
		st.Misses++
		st.Reason = "no answer to OPTIONS within " + timeout.String()
		if !strings.Contains(err.Error(), "deadline") {
			st.Reason = "OPTIONS: " + err.Error()
		}
		if st.Misses >= MissesDown {
			st.State = TrunkDown
		}
	}
	if st.State != prev.State {
		st.Since = now
	}
	d.health.state = st
	d.health.mu.Unlock()

	if err == nil {
		d.cfg.Observer.TrunkRTT(rtt)
	}
	if st.State == TrunkUp || st.State == TrunkDown {
		d.cfg.Observer.TrunkUp(st.State == TrunkUp)
	}
	switch {
	case st.State == prev.State:
	case st.State == TrunkDown:
		d.log.Error("the trunk does not answer this node's keep-alives: its calls wait until it does",
			"target", st.Target, "misses", st.Misses, "reason", st.Reason)
	case st.State == TrunkUp && prev.State == TrunkDown:
		d.log.Warn("the trunk answers again: this node's calls resume", "target", st.Target,
			"rtt", rtt.Round(time.Microsecond), "down_for", now.Sub(prev.Since).Round(time.Second))
	case st.State == TrunkUp:
		d.log.Info("the trunk answers keep-alives", "target", st.Target, "status", st.Status, "rtt", rtt.Round(time.Microsecond))
	}
}

// hostPort names uri's host and port, the transport's default port if it
// has none.
func (d *Dialer) hostPort(uri sip.Uri) string {
	port := uri.Port
	if port == 0 {
		port = 5060
		if d.cfg.Trunk.Transport == "tls" {
			port = 5061
		}
	}
	return net.JoinHostPort(uri.Host, strconv.Itoa(port))
}
