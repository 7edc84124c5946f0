package dialer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Registration: carriers that sell a trunk "by registration" send calls,
// and take ours, only from a Contact registered under the service's
// address-of-record. Each node registers its own Contact (its SIP address),
// answers the registrar's digest challenge with the trunk's credentials,
// refreshes before the registrar lets it lapse, tries again with a growing,
// jittered wait when it fails, and unregisters when it stops cleanly.

// Register says how the node registers with the registrar.
type Register struct {
	// Registrar is the registrar's host[:port]; empty, the trunk's (through
	// the outbound proxy, if any).
	Registrar string
	// User is the address-of-record's user part (default: the trunk's
	// username); its domain is the registrar's host.
	User string
	// Expires is the registration's life asked for (default 10 min); the
	// registrar may grant another, which is the one refreshed.
	Expires time.Duration
	// RetryMin and RetryMax bound the wait after a failure, doubling from
	// one to the other (defaults 5 s and 5 min), each drawn within ±25 %.
	RetryMin, RetryMax time.Duration
}

func (r *Register) defaults(trunk Trunk) {
	if r.User == "" {
		r.User = trunk.Username
	}
	if r.Expires <= 0 {
		r.Expires = 10 * time.Minute
	}
	if r.RetryMin <= 0 {
		r.RetryMin = 5 * time.Second
	}
	if r.RetryMax <= 0 {
		r.RetryMax = 5 * time.Minute
	}
	r.RetryMax = max(r.RetryMax, r.RetryMin)
}

// RegState is where a node's registration stands.
type RegState string

const (
	RegOff         RegState = "off"         // not configured to register
	RegRegistering RegState = "registering" // first try under way
	RegRegistered  RegState = "registered"  // the registrar holds our Contact
	RegFailing     RegState = "failing"     // the last try failed: see Reason
)

// Registration is how the node's registration stands. It never holds a
// secret: Reason names a status and what to check, not the credentials.
type Registration struct {
	State RegState `json:"state"`
	// AOR is the address-of-record registered under; Contact the address
	// registered.
	AOR     string `json:"aor,omitempty"`
	Contact string `json:"contact,omitempty"`
	// Since is when the registration entered its state.
	Since time.Time `json:"since,omitzero"`
	// ExpiresAt is when the registrar lets a registered Contact lapse;
	// RefreshAt when the node renews it, or tries again after a failure.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RefreshAt time.Time `json:"refresh_at,omitzero"`
	// Reason is why the last try failed; Status its SIP status, if any.
	Reason string `json:"reason,omitempty"`
	Status int    `json:"status,omitempty"`
	// Failures counts the tries that failed in a row.
	Failures int `json:"failures,omitempty"`
}

// registrar is the running registration of a Dialer.
type registrar struct {
	cfg     Register
	uri     sip.Uri          // the Request-URI: the registrar
	aor     sip.Uri          // To and From
	route   *sip.RouteHeader // the outbound proxy, when the registrar is the trunk
	callID  sip.CallIDHeader // one for the registration's life (RFC 3261 10.2.4)
	fromTag string
	cseq    uint32

	mu    sync.Mutex
	state Registration
}

// newRegistrar prepares the registration cfg.
func (d *Dialer) newRegistrar(cfg Register) (*registrar, error) {
	r := &registrar{cfg: cfg, callID: sip.CallIDHeader(sip.GenerateTagN(32)), fromTag: sip.GenerateTagN(16), cseq: 1}
	r.cfg.defaults(d.cfg.Trunk)
	if r.cfg.User == "" {
		return nil, errors.New("dialer: registration needs a user (the trunk's username)")
	}
	r.uri = sip.Uri{Scheme: "sip", Host: d.trunk.Host, Port: d.trunk.Port}
	r.route = d.route
	if r.cfg.Registrar != "" {
		host, port, err := SplitHostPort(r.cfg.Registrar)
		if err != nil || host == "" {
			return nil, fmt.Errorf("dialer: registrar %q: host[:port] expected", r.cfg.Registrar)
		}
		r.uri = sip.Uri{Scheme: "sip", Host: host, Port: port}
		r.route = nil
	}
	if d.cfg.Trunk.Transport != "udp" {
		r.uri.UriParams = sip.NewParams()
		r.uri.UriParams.Add("transport", d.cfg.Trunk.Transport)
	}
	r.aor = sip.Uri{Scheme: "sip", User: r.cfg.User, Host: r.uri.Host}
	r.state = Registration{State: RegRegistering, AOR: r.aor.String(), Since: time.Now()}
	return r, nil
}

// registrarHost is the registrar's host, whose answers the socket takes
// (peers): "" when it is the trunk.
func (d *Dialer) registrarHost() string {
	if d.cfg.Register == nil || d.cfg.Register.Registrar == "" {
		return ""
	}
	host, _, _ := SplitHostPort(d.cfg.Register.Registrar)
	return host
}

// Registration is how this node's registration stands (RegOff when it is
// not configured to register).
func (d *Dialer) Registration() Registration {
	if d.reg == nil {
		return Registration{State: RegOff}
	}
	d.reg.mu.Lock()
	defer d.reg.mu.Unlock()
	return d.reg.state
}

// ErrNotRegistered is a node configured to register that is not
// registered (Registered).
var ErrNotRegistered = errors.New("not registered with the SIP registrar")

// Registered says whether the node can take calls as the registrar knows
// it: nil when registered or not configured to register; else why not,
// in words an operator can act on (/readyz), wrapping ErrNotRegistered.
func (d *Dialer) Registered() error {
	switch r := d.Registration(); r.State {
	case RegOff, RegRegistered:
		return nil
	case RegRegistering:
		return fmt.Errorf("%w yet", ErrNotRegistered)
	default:
		return fmt.Errorf("%w: %s", ErrNotRegistered, r.Reason)
	}
}

// keepRegistered registers, then refreshes and retries until ctx ends; it
// unregisters then, if registered.
func (d *Dialer) keepRegistered(ctx context.Context) {
	for ctx.Err() == nil {
		granted, err := d.register(ctx, d.reg.cfg.Expires)
		if ctx.Err() != nil {
			break // stopping: says nothing of the registrar
		}
		t := time.NewTimer(d.registered(granted, err))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	d.unregister(ctx)
}

// registered records how a registration ended (err nil: granted for
// granted) and returns the wait until the next: a refresh, or a retry.
func (d *Dialer) registered(granted time.Duration, err error) time.Duration {
	r := d.reg
	now := time.Now()
	var wait time.Duration
	r.mu.Lock()
	prev := r.state
	next := Registration{AOR: prev.AOR, Contact: prev.Contact, Since: prev.Since}
	if err == nil {
		// Refresh between half and four fifths of what was granted.
		wait = time.Duration(float64(granted) * (0.5 + 0.3*rand.Float64()))
		next.State, next.ExpiresAt, next.RefreshAt = RegRegistered, now.Add(granted), now.Add(wait)
	} else {
		next.State, next.Failures, next.Reason = RegFailing, prev.Failures+1, err.Error()
		wait = retryWait(r.cfg.RetryMin, r.cfg.RetryMax, next.Failures)
		next.RefreshAt = now.Add(wait)
		if status := (*regStatus)(nil); errors.As(err, &status) {
			next.Status = status.code
		}
		if prev.State == RegRegistered && now.Before(prev.ExpiresAt) {
			// A refresh that failed: the registrar still holds us until then.
			next.ExpiresAt = prev.ExpiresAt
		}
	}
	if next.State != prev.State {
		next.Since = now
	}
	r.state = next
	r.mu.Unlock()
	d.registrationChanged(prev, next)
	return wait
}

// unregister asks the registrar to forget this node's Contact now, if it
// holds it, rather than send calls to a node gone until it expires: a clean
// stop.
func (d *Dialer) unregister(ctx context.Context) {
	r := d.reg
	if d.Registration().State != RegRegistered {
		return
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	_, err := d.register(uctx, 0)
	r.mu.Lock()
	prev := r.state
	r.state = Registration{State: RegOff, AOR: prev.AOR, Contact: prev.Contact, Since: time.Now()}
	r.mu.Unlock()
	d.cfg.Observer.SIPRegistered(false)
	if err != nil {
		d.log.Warn("unregister from the SIP registrar: it forgets this node when the registration expires", "aor", prev.AOR,
			"expires_at", prev.ExpiresAt, "error", err)
		return
	}
	d.log.Info("unregistered from the SIP registrar", "aor", prev.AOR)
}

// registrationChanged logs and counts a registration's new state st.
func (d *Dialer) registrationChanged(prev, st Registration) {
	d.cfg.Observer.SIPRegistered(st.State == RegRegistered)
	switch {
	case st.State == RegRegistered && prev.State != RegRegistered:
		d.log.Info("registered with the SIP registrar", "aor", st.AOR, "contact", st.Contact, "expires", st.ExpiresAt.Sub(time.Now()).Round(time.Second))
	case st.State == RegFailing:
		d.cfg.Observer.SIPRegistrationFailed()
		// Once per state change, then every tenth failure: a registrar away
		// for hours fills no log.
		if prev.State != RegFailing || st.Failures%10 == 0 {
			d.log.Warn("SIP registration failed: calls the registrar sends to this node are lost, and a trunk that needs it may refuse ours",
				"aor", st.AOR, "reason", st.Reason, "failures", st.Failures, "retry_in", st.RefreshAt.Sub(time.Now()).Round(time.Second))
		}
	}
}

// retryWait is the wait after the n-th failure in a row: from lo, doubling,
// up to hi, drawn within ±25 % so that nodes restarted together do not try
// together.
func retryWait(lo, hi time.Duration, n int) time.Duration {
	wait := lo
	for i := 1; i < n && wait < hi; i++ {
		wait *= 2
	}
	wait = min(wait, hi)
	return time.Duration(float64(wait) * (0.75 + 0.5*rand.Float64()))
}

// regStatus is a registrar's final answer that is not a success.
type regStatus struct {
	code   int
	reason string
}

func (e *regStatus) Error() string {
	msg := fmt.Sprintf("the registrar answered %d %s", e.code, e.reason)
	switch e.code {
	case sip.StatusUnauthorized, sip.StatusProxyAuthRequired, sip.StatusForbidden:
		msg += ": check the SIP username and password"
	case sip.StatusNotFound:
		msg += ": check the SIP username (the address-of-record)"
	}
	return msg
}

// register sends one REGISTER of our Contact asking for expires (0:
// unregister), answering a digest challenge and a 423 Interval Too Brief,
// and returns the life the registrar granted.
func (d *Dialer) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	r := d.reg
	for range 3 { // a 423, then one challenge per try, at most
		req := d.registerRequest(expires)
		tctx, cancel := context.WithTimeout(ctx, 32*time.Second)
		res, err := d.client.Do(tctx, req)
		if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) {
			// The same digest code the calls' challenges go through (sipgo's).
			res, err = d.client.DoDigestAuth(tctx, req, res, sipgo.DigestAuth{Username: d.cfg.Trunk.Username, Password: d.cfg.Trunk.Password})
		}
		cancel()
		r.mu.Lock()
		r.cseq = req.CSeq().SeqNo + 1
		r.mu.Unlock()
		switch {
		case err != nil:
			return 0, fmt.Errorf("no answer from the registrar %s: %v", d.hostPort(r.uri), err)
		case res.StatusCode == sip.StatusIntervalToBrief && expires > 0:
			least, ok := minExpires(res)
			if !ok || least <= expires {
				return 0, &regStatus{res.StatusCode, res.Reason}
			}
			d.log.Info("the SIP registrar asks for a longer registration", "asked", expires, "min_expires", least)
			expires = least
			r.cfg.Expires = least // refreshes ask for it too
			continue
		case !res.IsSuccess():
			return 0, &regStatus{res.StatusCode, res.Reason}
		}
		return granted(res, d.dialogs.ContactHDR.Address, expires), nil
	}
	return 0, errors.New("the registrar kept refusing the registration's length")
}

// registerRequest builds a REGISTER of our Contact under the AOR.
func (d *Dialer) registerRequest(expires time.Duration) *sip.Request {
	r := d.reg
	r.mu.Lock()
	seq := r.cseq
	r.mu.Unlock()
	req := sip.NewRequest(sip.REGISTER, *r.uri.Clone())
	from := &sip.FromHeader{Address: r.aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: r.aor})
	callID := r.callID
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	contact := sip.HeaderClone(&d.dialogs.ContactHDR).(*sip.ContactHeader)
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires.Seconds()))))
	if r.route != nil {
		req.AppendHeader(sip.HeaderClone(r.route))
	}
	req.SetTransport(strings.ToUpper(d.cfg.Trunk.Transport))
	r.mu.Lock()
	r.state.Contact = contact.Address.String()
	r.mu.Unlock()
	return req
}

// minExpires reads a 423's Min-Expires.
func minExpires(res *sip.Response) (time.Duration, bool) {
	h := res.GetHeader("Min-Expires")
	if h == nil {
		return 0, false
	}
	s, err := strconv.Atoi(strings.TrimSpace(h.Value()))
	if err != nil || s <= 0 {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}

// granted is the registration's life the registrar's 200 grants our
// Contact: its expires parameter, else the Expires header, else asked.
func granted(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		for _, v := range splitContacts(h.Value()) {
			var uri sip.Uri
			params := sip.NewParams()
			if _, err := sip.ParseAddressValue(v, &uri, &params); err != nil {
				continue
			}
			if uri.Host != ours.Host || uri.Port != ours.Port || uri.User != ours.User {
				continue
			}
			if e, ok := params.Get("expires"); ok {
				if s, err := strconv.Atoi(e); err == nil && s > 0 {
					return time.Duration(s) * time.Second
				}
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if s, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	return asked
}

// splitContacts splits a Contact header's value at the commas between
// contacts (not those inside <> or quotes).
func splitContacts(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(v[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}
