package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

// Signing in resists guessing without letting anyone lock a listener out
// (docs/security.md#authentication):
//
//   - failures are counted in the database per account and address
//     together, per address, and per account (wellcheck.SignInPolicy); an
//     attempt held back is refused without checking its password;
//   - an unknown e-mail, a wrong password, an attempt held back and a
//     disabled account get the same page, status and text, no sooner than
//     refusalPace after the attempt was let in, whether a hash was computed
//     or not;
//   - at most Hashes argon2id (19 MiB each) run at once on a node; an
//     attempt that finds no turn within HashWait is answered 429 with
//     Retry-After, before anything about its account is read.

// minRefusal is the least time a refused sign-in takes after it was let in:
// above what a hash and the database take on an idle node, so that every
// refusal waits for the same deadline.
const minRefusal = 200 * time.Millisecond

// hashGate lets at most a few password hashes run at once.
type hashGate struct {
	once     sync.Once
	turns    chan struct{}
	inFlight atomic.Int64
	peak     atomic.Int64 // the most in flight at once, for tests and benchmarks
}

func (g *hashGate) init(n int) {
	g.once.Do(func() { g.turns = make(chan struct{}, n) })
}

// enter waits at most wait for a turn to hash; ok is false if none came.
// The caller calls leave once it no longer needs its turn.
func (g *hashGate) enter(ctx context.Context, wait time.Duration) bool {
	select {
	case g.turns <- struct{}{}:
	default:
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case g.turns <- struct{}{}:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	n := g.inFlight.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return true
}

func (g *hashGate) leave() {
	g.inFlight.Add(-1)
	<-g.turns
}

// refusalPace is how long a refused sign-in takes: at least minRefusal, and
// half again the slowest of the latest refusals that checked a password, so
// that one held back, which checks none, cannot be told from them even when
// the node is loaded and hashing slows down.
type refusalPace struct {
	mu     sync.Mutex
	recent [32]time.Duration
	next   int
}

func (p *refusalPace) observe(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recent[p.next] = d
	p.next = (p.next + 1) % len(p.recent)
}

func (p *refusalPace) target() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	slowest := time.Duration(0)
	for _, d := range p.recent {
		slowest = max(slowest, d)
	}
	return max(minRefusal, slowest*3/2)
}

// waitUntil sleeps until deadline, on the real clock (the pace of an
// answer, not a rule of the service's).
func waitUntil(ctx context.Context, deadline time.Time) {
	d := time.Until(deadline)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// signInDefaults fills in the sign-in settings left unset.
func (s *Server) signInDefaults() {
	if s.SignIn == (wellcheck.SignInPolicy{}) {
		s.SignIn = wellcheck.DefaultSignInPolicy()
	}
	if s.Hashes <= 0 {
		s.Hashes = max(runtime.GOMAXPROCS(0), 1)
	}
	if s.HashWait <= 0 {
		s.HashWait = time.Second
	}
	s.hashing.init(s.Hashes)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	c, err := r.Cookie(loginCSRF)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		return s.forbidden(r, "sign-in form without its CSRF token")
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	ctx := r.Context()
	if !s.hashing.enter(ctx, s.HashWait) {
		s.Logger.WarnContext(ctx, "sign-in turned away: too many at once", "hashes", s.Hashes)
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, s.HashWait).Seconds())))
		return s.showLogin(w, r, http.StatusTooManyRequests, text(lang, "signin_busy"), email)
	}
	let := time.Now()
	refuseAt := let.Add(s.pace.target())
	leave := sync.OnceFunc(s.hashing.leave)
	defer leave()

	now := s.now()
	addr := s.throttleAddr(r)
	q := s.Store.Queries()
	acct, err := q.LoginByEmail(ctx, email)
	if err != nil && !errors.Is(err, wellcheck.ErrNotFound) {
		return fmt.Errorf("sign in: %w", err)
	}
	exists := err == nil
	failures, err := q.SignInFailures(ctx, acct.UserID, addr)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	throttle, until := s.SignIn.Check(failures, now)
	checked, match := false, false
	if throttle == wellcheck.NotThrottled {
		hash := admin.DummyHash
		if exists && acct.PasswordHash != "" {
			hash = acct.PasswordHash
		}
		// An unknown e-mail is checked against a hash of no one's, so that
		// it takes as long as a wrong password.
		match = admin.CheckPassword(hash, password) && exists && acct.PasswordHash != "" && !acct.Disabled
		checked = true
	}
	leave()
	if match {
		return s.signIn(w, r, acct.UserID, addr, now)
	}

	if err := q.RecordSignInFailure(ctx, s.SignIn, acct.UserID, addr, checked, now); err != nil {
		s.Logger.ErrorContext(ctx, "record a failed sign-in", "err", err)
	}
	if exists && checked {
		_ = q.Audit(ctx, wellcheck.UserActor(acct.UserID, wellcheck.ViaWeb), "user.login_failed", nil, nil, nil)
	}
	if checked {
		s.pace.observe(time.Since(let))
	}
	log := []any{"known_account", exists}
	if exists {
		log = append(log, "user_id", acct.UserID, "disabled", acct.Disabled)
	}
	if throttle != wellcheck.NotThrottled {
		log = append(log, "held_back_by", string(throttle), "until", until.Format(time.RFC3339))
	}
	s.Logger.InfoContext(ctx, "sign-in refused", log...)
	waitUntil(ctx, refuseAt)
	return s.showLogin(w, r, http.StatusUnauthorized, text(lang, "signin_refused"), email)
}

// signIn goes on with account userID, whose right password came from addr
// at now: its failures from addr are forgotten, then its second step
// (mfa.go) if it has a factor or its role requires one, else its session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, userID int64, addr string, now time.Time) error {
	ctx := r.Context()
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.ClearPairFailures(ctx, userID, addr); err != nil {
			return err
		}
		return q.DeleteForgottenFailures(ctx, s.SignIn, now)
	})
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	if done, err := s.secondStep(w, r, userID, now); done || err != nil {
		return err
	}
	if _, err := s.openSession(w, r, userID, now, nil, nil); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, loginCSRF, "", -1))
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// openSession signs userID in at now: a session, its cookie and the audit
// log's user.login (with details), in one transaction with also, if set. It
// returns the session's CSRF token.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, userID int64, now time.Time, details map[string]any, also func(q *store.Queries) error) (string, error) {
	ctx := r.Context()
	token, csrf := admin.NewSecret(), admin.NewSecret()
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if also != nil {
			if err := also(q); err != nil {
				return err
			}
		}
		if _, err := q.DeleteExpiredSessions(ctx, now, now.Add(-s.IdleTimeout)); err != nil {
			return err
		}
		if err := q.CreateSession(ctx, store.Session{TokenHash: admin.HashSecret(token), UserID: userID, CSRFToken: csrf,
			CreatedAt: now, ExpiresAt: now.Add(s.MaxAge), UserAgent: truncate(r.UserAgent(), 200)}); err != nil {
			return err
		}
		return q.Audit(ctx, wellcheck.UserActor(userID, wellcheck.ViaWeb), "user.login", nil, nil, details)
	})
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, token, s.MaxAge))
	return csrf, nil
}

// throttleAddr is the address failures are counted against: the client's
// (clientAddr), an IPv6 address by its /64, which one subscriber usually
// holds whole.
func (s *Server) throttleAddr(r *http.Request) string {
	addr := s.clientAddr(r)
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
