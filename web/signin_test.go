package web_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/web"
)

// attempt is one sign-in from addr, as a proxy on this host forwards it.
type attempt struct {
	status int
	header http.Header
	body   string
	took   time.Duration // from sending the form to the last byte of the answer
}

// signInFrom tries email and pw from addr, in a browser of its own.
func (s *site) signInFrom(t *testing.T, addr, email, pw string) attempt {
	t.Helper()
	c := s.browser(t)
	_, _, token := s.get(t, c, "/login")
	form := url.Values{"csrf": {token}, "email": {email}, "password": {pw}}
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/login", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	req.Header.Set("Accept-Language", "en")
	start := time.Now()
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	took := time.Since(start)
	require.NoError(t, err)
	return attempt{status: res.StatusCode, header: res.Header, body: string(body), took: took}
}

const refused = "Wrong e-mail address or password, or too many attempts: check them and try again in a moment."

// Wrong passwords for Élise from address A hold back A's attempts on her
// account, and only them: her right password from B gets in at once, and
// A's once its wait is over.
func TestAGuesserElsewhereCannotLockAListenerOut(t *testing.T) {
	t.Parallel()
	s := setup(t)
	const a, b = "198.51.100.10", "203.0.113.20"
	// Three wrong passwords are checked; then A waits 1 s, and the fourth
	// and fifth, sooner, are refused unchecked.
	for range 5 {
		at := s.signInFrom(t, a, elise, "wrong password!")
		require.Equal(t, http.StatusUnauthorized, at.status)
		require.Contains(t, at.body, refused)
		require.Contains(t, at.body, `value="ecoutante@example.org"`, "the e-mail is kept")
	}
	at := s.signInFrom(t, a, elise, password)
	require.Equal(t, http.StatusUnauthorized, at.status, "A waits: even the right password is not checked")
	require.Contains(t, at.body, refused)

	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, b, elise, password).status, "Élise at B signs in")
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, a, louis, password).status, "and Louis at A")

	s.clock.Set(s.clock.Now().Add(999 * time.Millisecond))
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, a, elise, password).status, "not yet")
	s.clock.Set(s.clock.Now().Add(time.Millisecond))
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, a, elise, "wrong again!").status)
	s.clock.Set(s.clock.Now().Add(1999 * time.Millisecond))
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, a, elise, password).status, "the fourth wrong one: 2 s")
	s.clock.Set(s.clock.Now().Add(time.Millisecond))
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, a, elise, password).status, "A's wait is over")

	// The admins see the wrong passwords, not a lock.
	admin := s.browser(t)
	s.signInAs(t, admin, adam)
	_, body, _ := s.get(t, admin, "/admin/users")
	require.Contains(t, body, "actif, 4 mots de passe erronés dans l&#39;heure")
}

// A distributed attack on one account (its ceiling reached from many
// addresses) takes away each address's free failures, but the right
// password from an address that has not failed still gets in.
func TestADistributedAttackSlowsDownButLetsTheListenerIn(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.SignIn = wellcheck.DefaultSignInPolicy()
		ui.SignIn.AccountCeiling = 4
	})
	for i := range 4 {
		require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, fmt.Sprintf("192.0.2.%d", i+1), elise, "wrong password!").status)
	}
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, "192.0.2.1", elise, password).status,
		"under attack, an address that failed once waits")
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, "203.0.113.20", elise, password).status, "a new address is checked")
	s.clock.Set(s.clock.Now().Add(time.Second))
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, "192.0.2.1", elise, password).status, "a second later")
}

// The per-address budget counts failed sign-ins across accounts, by the
// browser's address as a proxy on this host forwards it: a team signing in
// behind one proxy at the start of a shift is never refused; an address that
// keeps guessing is, even with a right password, while the others sign in.
func TestFailedSignInsPerAddress(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.SignIn = wellcheck.DefaultSignInPolicy()
		ui.SignIn.Address.Free = 3
	})
	from := func(addr string) string { return "198.51.100.1, " + addr }
	for range 5 {
		for _, u := range []wellcheck.User{s.user, s.other, s.coord} {
			require.Equal(t, http.StatusSeeOther, s.signInFrom(t, from("203.0.113.7"), u.Email, password).status, "signed in")
		}
	}
	for _, email := range []string{"nobody@example.org", s.other.Email, "x@example.org"} {
		require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, from("203.0.113.66"), email, "guess").status)
	}
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, from("203.0.113.66"), s.user.Email, password).status, "the guesser's address waits")
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, from("203.0.113.7"), s.user.Email, password).status, "another address does not")

	// An IPv6 subscriber's /64 is one address.
	for i := range 3 {
		s.signInFrom(t, fmt.Sprintf("2001:db8:1:2::%x", i+1), "nobody@example.org", "guess")
	}
	require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, "2001:db8:1:2::ff", s.user.Email, password).status, "the same /64")
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, "2001:db8:1:3::1", s.user.Email, password).status, "another /64")

	s.clock.Set(s.clock.Now().Add(2 * time.Second))
	require.Equal(t, http.StatusSeeOther, s.signInFrom(t, from("203.0.113.66"), s.user.Email, password).status, "once its wait is over")
}

var (
	csrfValue  = regexp.MustCompile(`name="csrf" value="[^"]*"`)
	emailValue = regexp.MustCompile(`name="email" type="email" autocomplete="username" required value="[^"]*"`)
)

// An unknown e-mail, a wrong password, an attempt held back and a disabled
// account get the same answer, in the same time: the attempt held back
// checks no password, yet waits as long as those that do. The times are
// compared as distributions (their quartiles over many interleaved
// attempts), with room for a loaded machine.
func TestRefusalsLookAlike(t *testing.T) {
	s := setup(t, func(ui *web.Server) {
		ui.SignIn = wellcheck.DefaultSignInPolicy()
		ui.SignIn.Address.Free = 1000 // the held-back pair keeps its address
	})
	ctx := context.Background()
	claire := s.coord
	claire.Disabled = true
	require.NoError(t, s.store.Queries().SaveAccount(ctx, claire, s.clock.Now()))
	const heldBack = "198.51.100.99"
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, heldBack, elise, "wrong password!").status)
	}

	kinds := map[string]func(i int) attempt{
		"unknown e-mail": func(i int) attempt {
			return s.signInFrom(t, fmt.Sprintf("10.1.%d.%d", i/250, i%250), fmt.Sprintf("nobody%d@example.org", i), password)
		},
		"wrong password": func(i int) attempt {
			return s.signInFrom(t, fmt.Sprintf("10.2.%d.%d", i/250, i%250), louis, "wrong password!")
		},
		"held back": func(int) attempt { return s.signInFrom(t, heldBack, elise, password) },
		"disabled account": func(i int) attempt {
			return s.signInFrom(t, fmt.Sprintf("10.3.%d.%d", i/250, i%250), claire.Email, password)
		},
	}
	names := []string{"unknown e-mail", "wrong password", "held back", "disabled account"}
	took := map[string][]time.Duration{}
	var page string
	const warmUp, rounds = 4, 30
	for i := range warmUp + rounds {
		rand.Shuffle(len(names), func(a, b int) { names[a], names[b] = names[b], names[a] })
		for _, name := range names {
			at := kinds[name](i)
			require.Equal(t, http.StatusUnauthorized, at.status, name)
			require.Empty(t, at.header.Get("Retry-After"), name)
			body := emailValue.ReplaceAllString(csrfValue.ReplaceAllString(at.body, ""), "")
			require.Contains(t, body, refused, name)
			if page == "" {
				page = body
			}
			require.Equal(t, page, body, "%s: the same page", name)
			if i >= warmUp {
				took[name] = append(took[name], at.took)
			}
		}
	}
	quartiles := func(ds []time.Duration) [3]time.Duration {
		slices.Sort(ds)
		return [3]time.Duration{ds[len(ds)/4], ds[len(ds)/2], ds[3*len(ds)/4]}
	}
	wrong := quartiles(took["wrong password"])
	for _, name := range names {
		q := quartiles(took[name])
		t.Logf("%-16s p25 %v  p50 %v  p75 %v", name, q[0].Round(time.Millisecond), q[1].Round(time.Millisecond), q[2].Round(time.Millisecond))
		// Without the wait, one held back answers in a few milliseconds
		// and a hash alone takes 20 ms or more here.
		room := max(15*time.Millisecond, wrong[1]/10)
		require.InDelta(t, float64(wrong[1]), float64(q[1]), float64(room), "%s: median %v, a wrong password's %v", name, q[1], wrong[1])
		require.InDelta(t, float64(wrong[0]), float64(q[0]), float64(2*room), "%s: first quartile %v, a wrong password's %v", name, q[0], wrong[0])
	}
}

// Two hundred sign-ins at once: never more passwords checked at once than
// the bound, the rest answered 429 with Retry-After without a hash, and the
// heap stays flat: no higher than with twenty at once (argon2id takes
// 19 MiB a hash: 200 at once would be 3.8 GiB).
func TestConcurrentSignInsStayUnderTheBound(t *testing.T) {
	const bound = 2
	var ui *web.Server
	s := setup(t, func(u *web.Server) {
		u.Hashes = bound
		u.HashWait = 500 * time.Millisecond
		ui = u
	})
	grew := map[int]float64{}
	for _, concurrent := range []int{20, 200} {
		counts, heapBefore, heapPeak, elapsed := s.flood(t, concurrent)
		grew[concurrent] = float64(heapPeak-min(heapPeak, heapBefore)) / (1 << 20)
		t.Logf("%d sign-ins at once, %d hashes at most: %d refused (401), %d turned away (429) in %v; at most %d hashes in flight; heap %.0f MiB before, peak %.0f MiB (+%.0f MiB)",
			concurrent, bound, counts[http.StatusUnauthorized], counts[http.StatusTooManyRequests], elapsed.Round(time.Millisecond),
			ui.HashPeak(), float64(heapBefore)/(1<<20), float64(heapPeak)/(1<<20), grew[concurrent])
		require.Equal(t, concurrent, counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests], "%v", counts)
		require.Positive(t, counts[http.StatusUnauthorized], "some were checked")
		require.LessOrEqual(t, ui.HashPeak(), bound, "hashes in flight")
	}
	require.Equal(t, bound, ui.HashPeak(), "the bound is used")
	// The bound's hashes and their garbage before the collector runs: a
	// few times 19 MiB, never a hash per sign-in.
	require.Less(t, grew[200], 12*19.0, "heap growth in MiB with 200 at once")
	require.Less(t, grew[200], 2*grew[20]+19, "heap growth in MiB: 200 at once against 20")
}

// flood sends concurrent wrong sign-ins at once, half on a known account,
// half on unknown e-mails, each from its own address, and returns how many
// got each status, the live heap before and at its peak (sampled every
// millisecond), and how long they took.
func (s *site) flood(t *testing.T, concurrent int) (counts map[int]int, before, peak uint64, elapsed time.Duration) {
	t.Helper()
	// Each attempt with its own browser and form, fetched beforehand.
	type form struct {
		c    *http.Client
		body string
	}
	forms := make([]form, concurrent)
	for i := range forms {
		c := s.browser(t)
		_, _, token := s.get(t, c, "/login")
		email := fmt.Sprintf("nobody%d@example.org", i)
		if i%2 == 0 {
			email = louis
		}
		forms[i] = form{c, url.Values{"csrf": {token}, "email": {email}, "password": {"wrong password!"}}.Encode()}
	}

	runtime.GC()
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(heap)
	before = heap[0].Value.Uint64()
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(heap)
				peak = max(peak, heap[0].Value.Uint64())
			}
		}
	}()

	type answer struct {
		status     int
		retryAfter string
		err        error
	}
	answers := make([]answer, concurrent)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, f := range forms {
		wg.Go(func() {
			<-start
			req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/login", strings.NewReader(f.body))
			if err != nil {
				answers[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", 9+concurrent%7, i/250, i%250))
			res, err := f.c.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			answers[i] = answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed = time.Since(began)
	close(stop)
	<-sampled

	counts = map[int]int{}
	for _, a := range answers {
		require.NoError(t, a.err)
		counts[a.status]++
		if a.status == http.StatusTooManyRequests {
			require.Equal(t, "1", a.retryAfter)
		}
	}
	return counts, before, peak, elapsed
}

// Each API token has its own bucket: past its burst, 429 with Retry-After,
// before the database is asked; another token goes on.
func TestAPITokenRateLimit(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.APIRate = 0.01 // a request every 100 s: the test does not wait for one
		ui.APIBurst = 3
	})
	busy, _ := s.apiToken(t, s.user)
	calm, _ := s.apiToken(t, s.other)
	for range 3 {
		require.Equal(t, http.StatusOK, s.call(t, nil, busy, http.MethodGet, "/cases", "", nil).status)
	}
	a := s.call(t, nil, busy, http.MethodGet, "/cases", "", http.Header{"Accept-Language": {"en"}})
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Regexp(t, `^(99|100)$`, a.header.Get("Retry-After"), "whole seconds until the bucket lets one through")
	require.Equal(t, "rate_limited", a.errorField("code"))
	require.Equal(t, "Too many requests for this token: wait as long as the Retry-After header says.", a.errorField("message"))
	require.Equal(t, http.StatusOK, s.call(t, nil, calm, http.MethodGet, "/cases", "", nil).status, "another token")
	require.Equal(t, http.StatusUnauthorized, s.call(t, nil, "", http.MethodGet, "/cases", "", nil).status, "no token: 401, not limited")
}

// Behind a reverse proxy on another host every client comes from the
// proxy's address. Not trusted, the proxy is one address: a guesser's wrong
// passwords hold back everyone's attempts on the account. Trusted
// (--trusted-proxies), its X-Forwarded-For names each client, and only the
// guesser waits.
func TestBehindATrustedProxyOnlyTheGuesserWaits(t *testing.T) {
	t.Parallel()
	for _, trusted := range []bool{false, true} {
		s := setup(t, func(ui *web.Server) {
			if trusted {
				ui.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			}
		})
		s.behindProxy(t, "10.1.2.3")
		for range 5 {
			require.Equal(t, http.StatusUnauthorized, s.signInFrom(t, "198.51.100.10", elise, "wrong password!").status)
		}
		got := s.signInFrom(t, "203.0.113.20", elise, password).status
		if trusted {
			require.Equal(t, http.StatusSeeOther, got, "trusted proxy: Élise at another address signs in")
		} else {
			require.Equal(t, http.StatusUnauthorized, got, "untrusted proxy: one address for all")
		}
	}
}

// behindProxy serves the site as a proxy at ip would reach it: every
// request's peer is ip (no other host can connect here).
func (s *site) behindProxy(t *testing.T, ip string) {
	h := s.srv.Config.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = net.JoinHostPort(ip, "443")
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
}
