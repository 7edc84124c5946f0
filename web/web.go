// Package web is wellcheck's web interface: signing in, server-side sessions,
// CSRF protection and security headers now; the listeners', coordinators' and
// admins' pages and the JSON API as they are built.
package web

import (
	"cmp"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/switchboard"
)

//go:embed static
var staticFiles embed.FS

// Server serves the web interface.
type Server struct {
	Store *store.Store
	// Cases is the case service the pages act through (care.Cases).
	Cases *care.Cases
	// Enrol enrols persons and changes their enrolment (enroll.Service).
	Enrol *enroll.Service
	// Admin is the administration's use cases: users, the calendar and
	// settings, partners, listeners' profiles (admin.Service).
	Admin *admin.Service
	// Jobs enqueues the test calls an admin asks for.
	Jobs   *jobs.Jobs
	Logger *slog.Logger
	// SecureCookies marks cookies Secure (sent over HTTPS only); serve sets it
	// unless it listens on loopback.
	SecureCookies bool
	// IdleTimeout ends a session unused this long (default 2 h); MaxAge ends
	// any session this long after sign-in (default 12 h, a working day).
	IdleTimeout, MaxAge time.Duration
	// SignIn is how failed sign-ins hold back further attempts (default
	// wellcheck.DefaultSignInPolicy).
	SignIn wellcheck.SignInPolicy
	// Hashes is how many passwords this node checks at once, at most
	// (argon2id takes 19 MiB each; default GOMAXPROCS); a sign-in that finds
	// no turn within HashWait (default 1 s) is answered 429.
	Hashes   int
	HashWait time.Duration
	// APIRate and APIBurst are each API token's token bucket on this node
	// (defaults 10 requests a second, 50 at once).
	APIRate  float64
	APIBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client, besides one on this host (a loopback address).
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	// ListPoll is how often an open list asks whether it changed (default 10 s).
	ListPoll time.Duration
	// RiverUI, if set, is River's job dashboard (RiverDashboard), shown to
	// admins at /admin/river/.
	RiverUI http.Handler
	// Line is the telephone line the settings page shows and places test
	// calls through; nil, the page says there is none.
	Line *Line
	// Demo says on every page that this is wellcheck demo: fictitious
	// persons, a simulated telephone, a service open at all hours.
	Demo bool
	// PublicURL is the service's address as its users' browsers reach it
	// (--public-url, checked by admin.ParsePublicURL): passkeys are bound
	// to its host name. Unset, passkeys are not offered.
	PublicURL string
	// Phone puts listeners on the telephone from their browser: the phone
	// bar on their pages, a call button on cases, and its signalling at
	// /phone. Nil, no page offers to call.
	Phone *switchboard.Switchboard
	// RawAudio has the browser phone send the microphone as it is, without
	// echo cancellation, noise suppression or gain control (tests: their
	// fake microphone plays a tone those would filter).
	RawAudio bool

	once     sync.Once
	pages    pages
	passkeys *admin.RelyingParty // nil without PublicURL
	served   []string            // the routes' patterns (routeTable)
	hashing  hashGate
	pace     refusalPace
	tokens   tokenBuckets
	// zones are every time zone's name, once asked (zoneNames).
	zones struct {
		sync.Mutex
		names []string
	}
}

const (
	sessionCookie = "wellcheck_session"
	loginCSRF     = "wellcheck_login_csrf" // double-submit token of the sign-in form
)

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// defaults fills in the settings left unset.
func (s *Server) defaults() {
	s.once.Do(func() {
		s.IdleTimeout = cmp.Or(s.IdleTimeout, 2*time.Hour)
		s.MaxAge = cmp.Or(s.MaxAge, 12*time.Hour)
		s.signInDefaults()
		s.APIRate = cmp.Or(s.APIRate, 10)
		s.APIBurst = cmp.Or(s.APIBurst, 50)
		s.ListPoll = cmp.Or(s.ListPoll, 10*time.Second)
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Routes returns the web interface's routes, behind the security headers
// and the cross-origin check. It parses every page's template first: one
// missing or broken is an error here, at start, rather than a failure on a
// reader's request.
func (s *Server) Routes() (http.Handler, error) {
	return s.routes(templateFiles)
}

// Handler is Routes for a caller with no use for a server without its
// pages: it panics if a template is missing or broken. They are embedded,
// so that is a mistake of the program's, which its tests find.
func (s *Server) Handler() http.Handler {
	h, err := s.Routes()
	if err != nil {
		panic(err)
	}
	return h
}

// routes is Routes with the pages' templates from fsys.
func (s *Server) routes(fsys fs.FS) (http.Handler, error) {
	pages, err := parsePages(fsys)
	if err != nil {
		return nil, fmt.Errorf("web pages: %w", err)
	}
	s.defaults()
	s.pages = pages
	if s.PublicURL != "" {
		if s.passkeys, err = admin.NewRelyingParty(s.PublicURL); err != nil {
			return nil, err
		}
	}
	mux := &routeTable{ServeMux: http.NewServeMux()}
	static, _ := fs.Sub(staticFiles, "static")
	mux.handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.handle("GET /login", s.handle(s.loginForm))
	mux.handle("GET /lang", s.handle(s.chooseLang))
	mux.handle("POST /login", s.handle(s.login))
	mux.handle("GET "+secondStepPath, s.handle(s.secondStepForm))
	mux.handle("POST "+secondStepPath, s.handle(s.checkSecondStep))
	mux.handle("POST "+secondStepPath+"/passkey/begin", s.handle(s.beginPasskeySignIn))
	mux.handle("POST "+secondStepPath+"/passkey/finish", s.handle(s.finishPasskeySignIn))
	mux.handle("POST /logout", s.signedIn(s.logout))
	mux.handle("POST /logout/everywhere", s.signedIn(s.logoutEverywhere))
	mux.handle("GET /{$}", s.signedIn(s.home))
	mux.handle("GET /list", s.signedIn(s.list))
	mux.handle("GET /account", s.signedIn(s.account))
	mux.handle("POST /account/sessions/{id}/end", s.signedIn(s.endSession))
	mux.handle("POST /account/second-factor", s.signedIn(s.startEnrolment))
	mux.handle("POST /account/second-factor/confirm", s.signedIn(s.confirmEnrolment))
	mux.handle("POST /account/second-factor/recovery-codes", s.signedIn(s.newRecoveryCodes))
	mux.handle("POST /account/second-factor/disable", s.signedIn(s.disableSecondFactor))
	mux.handle("POST /account/passkeys/begin", s.signedIn(s.beginPasskey))
	mux.handle("POST /account/passkeys/finish", s.signedIn(s.finishPasskey))
	mux.handle("POST /account/passkeys/{id}/delete", s.signedIn(s.deletePasskey))
	mux.handle("POST /me/presence", s.only(s.presence, wellcheck.RoleListener))
	mux.handle("GET /list/version", s.polled(s.listVersion))
	if s.Phone != nil {
		mux.handle("GET /phone", s.only(s.phone, wellcheck.RoleListener, wellcheck.RoleCoordinator, wellcheck.RoleAdmin))
	}
	mux.handle("GET /cases/{id}", s.signedIn(s.casePage))
	mux.handle("POST /cases/{id}/claim", s.signedIn(s.claim))
	mux.handle("POST /cases/{id}/follow-up", s.signedIn(s.recordFollowUp))
	mux.handle("POST /cases/{id}/reassign", s.signedIn(s.reassign))
	staff := []wellcheck.Role{wellcheck.RoleCoordinator, wellcheck.RoleAdmin}
	mux.handle("GET /persons/new", s.only(s.enrolForm, staff...))
	mux.handle("POST /persons", s.only(s.enrol, staff...))
	mux.handle("GET /plan/preview", s.only(s.planPreview, staff...))
	mux.handle("GET /persons", s.only(s.searchPersons, staff...))
	mux.handle("GET /persons/import", s.only(s.importForm, staff...))
	mux.handle("POST /persons/import", limitBody(maxUpload+1<<20, s.only(s.checkImport, staff...)))
	mux.handle("POST /persons/import/{id}", s.only(s.confirmImport, staff...))
	mux.handle("GET /persons/import/{format}", s.only(s.importModel, staff...))
	mux.handle("GET /persons/{id}", s.only(s.personPage, staff...))
	mux.handle("POST /persons/{id}/{action}", s.only(s.changePerson, staff...))
	mux.handle("GET /partners", s.only(s.partners, staff...))
	mux.handle("POST /partners", s.only(s.savePartner, staff...))
	mux.handle("GET /partners/{id}", s.only(s.partnerPage, staff...))
	mux.handle("POST /partners/{id}", s.only(s.savePartner, staff...))
	mux.handle("GET /queue", s.only(s.queue, staff...))
	mux.handle("GET /listeners", s.only(s.listeners, staff...))
	mux.handle("GET /listeners/{id}", s.only(s.listenerPage, staff...))
	mux.handle("POST /listeners/{id}", s.only(s.saveListener, staff...))
	mux.handle("GET /dashboard", s.only(s.dashboard, staff...))
	mux.handle("GET /dashboard/export", s.only(s.export, staff...))
	mux.handle("POST /queue/issues/{id}/resolve", s.only(s.resolveIssue, staff...))
	mux.handle("GET /admin/settings", s.only(s.settingsPage, wellcheck.RoleAdmin))
	mux.handle("POST /admin/settings/hours", s.only(s.setHours, wellcheck.RoleAdmin))
	mux.handle("POST /admin/settings/service", s.only(s.setService, wellcheck.RoleAdmin))
	mux.handle("POST /admin/settings/second-factor", s.only(s.setSecondFactorRoles, wellcheck.RoleAdmin))
	mux.handle("POST /admin/closures", s.only(s.addClosure, wellcheck.RoleAdmin))
	mux.handle("POST /admin/closures/{id}/delete", s.only(s.deleteClosure, wellcheck.RoleAdmin))
	mux.handle("GET /admin/test-calls", s.polled(s.allowed(s.testCallsFragment, wellcheck.RoleAdmin)))
	mux.handle("POST /admin/test-calls", s.only(s.testCall, wellcheck.RoleAdmin))
	mux.handle("GET /admin/audit", s.only(s.audit, wellcheck.RoleAdmin))
	if s.RiverUI != nil {
		mux.handle(riverPrefix+"/", s.only(func(w http.ResponseWriter, r *http.Request, _ session) error {
			// River's dashboard inserts <style> elements.
			w.Header().Set("Content-Security-Policy", contentPolicy("'self' 'unsafe-inline'"))
			s.RiverUI.ServeHTTP(w, r)
			return nil
		}, wellcheck.RoleAdmin))
	}
	mux.handle("GET /admin/users", s.only(s.users, wellcheck.RoleAdmin))
	mux.handle("POST /admin/users", s.only(s.addUser, wellcheck.RoleAdmin))
	mux.handle("GET /admin/users/{id}", s.only(s.userPage, wellcheck.RoleAdmin))
	mux.handle("POST /admin/users/{id}", s.only(s.saveUser, wellcheck.RoleAdmin))
	mux.handle("POST /admin/users/{id}/password", s.only(s.resetPassword, wellcheck.RoleAdmin))
	mux.handle("POST /admin/users/{id}/second-factor/reset", s.only(s.resetSecondFactor, wellcheck.RoleAdmin))
	s.api(mux) // the JSON API: a bearer token, never the session cookie (api.go)
	s.served = mux.patterns
	return headers(s.crossOrigin(mux), s.Phone != nil), nil
}

// routeTable is the mux the routes are registered on, keeping their
// patterns, pages' and API's alike: a ServeMux cannot list them, and the
// authorisation test tries every one (authorisation_test.go), so a route
// registered any other way would escape it.
type routeTable struct {
	*http.ServeMux
	patterns []string
}

// handle registers h for pattern and notes the pattern.
func (t *routeTable) handle(pattern string, h http.Handler) {
	t.Handle(pattern, h)
	t.patterns = append(t.patterns, pattern)
}

// overTLS is whether the browser reached us over HTTPS: directly, or through
// a proxy that says so (X-Forwarded-Proto), such as one on the same host that
// talks to a loopback address. Trusting the header is safe here: a client
// that fakes it only gets cookies its browser will not send over plain HTTP,
// and an HSTS header browsers ignore over plain HTTP.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// contentPolicy is the Content-Security-Policy of every page, styles from
// the sources style names: no inline script, no framing, forms only to us.
func contentPolicy(style string) string {
	return "default-src 'self'; script-src 'self'; style-src " + style + "; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// headers sets what every response carries: no inline script or style, no
// framing, no referrer to other sites, no sniffing, nothing cached of a person's data.
// The microphone is the pages' own with a phone, and nobody's without.
func headers(next http.Handler, phone bool) http.Handler {
	permissions := "camera=(), microphone=(), geolocation=()"
	if phone {
		permissions = "camera=(), microphone=(self), geolocation=()"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentPolicy("'self'"))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer browsers send
		// "Origin: null" with the pages' own forms, which crossOrigin
		// refuses from a browser without Sec-Fetch-Site; and the oldest
		// browsers, without Origin either, are checked by their Referer.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", permissions)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if overTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses a state-changing request another site's page sent,
// by Go's CrossOriginProtection: the browser's Sec-Fetch-Site must say it
// comes from this site, or, from a browser without it, Origin must be this
// host. A browser older still, sending neither, is held to its Referer
// (sameReferer). What passes still needs its CSRF token: the session's
// (signedIn), or the sign-in form's (login).
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	protection := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := protection.Check(r)
		if err == nil {
			err = sameReferer(r)
		}
		if err != nil {
			s.fail(w, r, s.forbidden(r, err.Error()))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameReferer refuses a state-changing request that carries neither
// Sec-Fetch-Site nor Origin, which CrossOriginProtection lets through,
// when its Referer names another host.
func sameReferer(r *http.Request) error {
	from := r.Header.Get("Referer")
	if safeMethod(r.Method) || from == "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return nil
	}
	if u, err := url.Parse(from); err == nil && u.Host == r.Host {
		return nil
	}
	return errors.New("cross-origin request detected: Sec-Fetch-Site and Origin are missing, and Referer does not match Host")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// forbidden logs why r is refused, and returns the refusal: the reader is
// told only that it was refused.
func (s *Server) forbidden(r *http.Request, why string) error {
	s.Logger.WarnContext(r.Context(), "web request refused", "why", why, "path", r.URL.Path)
	return &refusal{status: http.StatusForbidden, code: wellcheck.EForbidden, key: "forbidden"}
}

// handle serves h, and answers what it returns as an error (fail): the one
// place where a page's failure becomes a response.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The services called for the page write "web" in the audit log. (A
		// copy of the request, once routed: the metrics read the pattern the
		// mux set on the one it was given.)
		r = r.WithContext(wellcheck.WithVia(r.Context(), wellcheck.ViaWeb))
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail answers the error a handler returned instead of an answer: a refusal
// with its status and words; anything else is the service's failure,
// logged, and the reader told only that it failed.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ref *refusal
	if errors.As(err, &ref) {
		http.Error(w, text(langOf(r), ref.key, ref.args...), ref.status)
		return
	}
	s.Logger.ErrorContext(r.Context(), "web request failed", "path", r.URL.Path, "err", err)
	http.Error(w, text(langOf(r), "internal"), http.StatusInternalServerError)
}

// notFound refuses a request for what is not there, or not the reader's to
// see, in the words of key.
func notFound(key string) error {
	return &refusal{status: http.StatusNotFound, code: wellcheck.ENotFound, key: key}
}

// session is a request's signed-in session, with its user.
type session = store.Session

// pageHandler serves a signed-in user's request. It returns an error rather
// than answer one: handle answers it.
type pageHandler func(http.ResponseWriter, *http.Request, session) error

// signedIn runs h for a signed-in user: others go to the sign-in page. A
// state-changing request must carry the session's CSRF token. The request
// is the person's activity: it keeps the session alive (IdleTimeout).
func (s *Server) signedIn(h pageHandler) http.Handler {
	return s.session(h, true)
}

// polled is signedIn for what a page asks by itself, without anyone doing
// anything (htmx's "every" triggers: the list's news, the test calls'
// progress): it reads the session without keeping it alive, so that a tab
// left open still signs out after IdleTimeout.
func (s *Server) polled(h pageHandler) http.Handler {
	return s.session(h, false)
}

func (s *Server) session(h pageHandler, activity bool) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		sess, ok := s.current(r, activity)
		if !ok {
			switch {
			case fromPage(r):
				// A page's own question: the browser would follow a redirect
				// and htmx put the sign-in form inside the page; this takes
				// the whole page there.
				w.Header().Set("HX-Redirect", "/login")
			case safeMethod(r.Method):
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return nil
			}
			return &refusal{status: http.StatusUnauthorized, code: "unauthorized", key: "signed_out"}
		}
		if !safeMethod(r.Method) && !sameToken(csrfOf(r), sess.CSRFToken) {
			return s.forbidden(r, "missing or wrong CSRF token")
		}
		return h(w, r, sess)
	})
}

// only runs h for a signed-in user with one of roles; others are refused.
func (s *Server) only(h pageHandler, roles ...wellcheck.Role) http.Handler {
	return s.signedIn(s.allowed(h, roles...))
}

// allowed runs h when the session's user has one of roles, and refuses
// the others.
func (s *Server) allowed(h pageHandler, roles ...wellcheck.Role) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !slices.ContainsFunc(roles, sess.User.Has) {
			s.Logger.WarnContext(r.Context(), "web request refused", "why", "role", "path", r.URL.Path, "user_id", sess.UserID)
			return &refusal{status: http.StatusForbidden, code: wellcheck.EForbidden, key: "not_allowed"}
		}
		return h(w, r, sess)
	}
}

// current reads the request's live session; activity marks it seen now,
// which keeps it alive.
func (s *Server) current(r *http.Request, activity bool) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	now := s.now()
	read := s.Store.Queries().ReadSession
	if activity {
		read = s.Store.Queries().TouchSession
	}
	sess, err := read(r.Context(), admin.HashSecret(c.Value), now, now.Add(-s.IdleTimeout))
	if err != nil {
		if !errors.Is(err, wellcheck.ErrNotFound) {
			s.Logger.ErrorContext(r.Context(), "read a session", "err", err)
		}
		return session{}, false
	}
	return sess, true
}

func csrfOf(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (s *Server) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || overTLS(r), MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	return c
}

// page is what a template sees: the layout's part, and the page's own Data.
type page struct {
	Lang   wellcheck.Lang
	Title  string
	User   *wellcheck.User
	CSRF   string
	Error  string
	Notice string
	// Problems are an input's problems by field, shown beside each field.
	Problems map[string]string
	Email    string
	Data     any
	// Here is the page's address, to come back to after choosing a language.
	Here string
	Demo bool
	// River is whether River's dashboard is served, for the admin's menu.
	River bool
	// Typed is what a refused form held as it was sent, and Posted where it
	// was sent (the form's action): the form shows it again, so that
	// nothing typed is lost (form, field, typed and ticked in text.go).
	Typed  url.Values
	Posted string
	// Action is where the form a template draws posts (set by form).
	Action string
	// Phone is whether the page has the phone bar (Server.Phone, and a
	// user who works on cases); RawAudio, Server.RawAudio; PersonFiles
	// whether the user may open persons' files (the bar links to the file
	// of the person a call is with).
	Phone, RawAudio, PersonFiles bool
}

// refuse shows the problems of err with the form r sent, beside its fields,
// and the form again as it was sent: every value typed, every choice, every
// box ticked or not.
func (p *page) refuse(r *http.Request, err error) {
	p.Error, p.Problems = problemsOf(err, langOf(r))
	p.keep(r)
}

// keep shows the form r sent again as it was sent.
func (p *page) keep(r *http.Request) {
	p.Typed, p.Posted = r.PostForm, r.URL.Path
	if p.Typed == nil {
		p.Typed = url.Values{}
	}
}

// OtherLang is the language the page offers to switch to.
func (p page) OtherLang() wellcheck.Lang {
	if p.Lang == wellcheck.English {
		return wellcheck.French
	}
	return wellcheck.English
}

// signedInPage is a page for sess's user.
func signedInPage(title string, sess session, data any) page {
	return page{Title: title, User: &sess.User, CSRF: sess.CSRFToken, Data: data}
}

// list is a user's list as the page shows it. Shown is the cases it shows
// (their ids, comma-separated), which the page sends back when it asks
// whether the list changed; Update says, when it did, what changed.
type list struct {
	Version string
	Poll    int64 // milliseconds between the page's questions
	Items   []listItem
	Shown   string
	Update  string
}

// listItem is a follow-up on the list: Phone is the person's number
// formatted (the link dials ListItem.Phone.E164); Shape marks the priority
// beside its word and colour; EscalationText says how the case's latest
// escalation went, if it had one; Overdue, whether its time is past.
type listItem struct {
	store.ListItem
	Phone                                    string
	PriorityText, ReasonText, LocalTime, Due string
	Shape                                    string
	EscalationText                           string
	Overdue                                  bool
}

// priorityShapes mark priorities by shape as well as by colour and word.
var priorityShapes = map[wellcheck.Priority]string{
	wellcheck.PriorityUrgent: "▲", wellcheck.PriorityHigh: "◆",
	wellcheck.PriorityNormal: "●", wellcheck.PriorityLow: "○",
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok := s.current(r, true); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.showLogin(w, r, http.StatusOK, "", "")
}

// showLogin renders the sign-in form with a fresh double-submit token.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, problem, email string) error {
	token := admin.NewSecret()
	http.SetCookie(w, s.cookie(r, loginCSRF, token, time.Hour))
	lang := langOf(r)
	return s.render(w, r, pageLogin, status, page{Title: text(lang, "sign_in"), CSRF: token, Error: problem, Email: email})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := s.Store.Queries().DeleteSession(r.Context(), sess.TokenHash); err != nil {
		s.Logger.ErrorContext(r.Context(), "sign out", "err", err)
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// account is the user's own page: who they are to the service, their
// language, their sessions, their second factor, and signing out on every
// device (account.go).
func (s *Server) account(w http.ResponseWriter, r *http.Request, sess session) error {
	return s.showAccount(w, r, sess, http.StatusOK, nil)
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, sess session) error {
	q := s.Store.Queries()
	if _, err := q.DeleteUserSessions(r.Context(), sess.UserID); err != nil {
		s.Logger.ErrorContext(r.Context(), "sign out everywhere", "err", err)
	}
	_ = q.Audit(r.Context(), actorOf(sess), "user.logout_everywhere", nil, nil, nil)
	http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// home is where a user lands: what they act on. A listener, whatever their
// other roles, lands on their list; a coordinator on the queue (what waits
// for them); an admin who is nothing else on the dashboard. A redirect
// keeps the query, so that what an action came back to say (?done=) is
// still said there.
func (s *Server) home(w http.ResponseWriter, r *http.Request, sess session) error {
	if target := landing(sess.User); target != "/" {
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return s.list(w, r, sess)
}

// landing is the page u lands on.
func landing(u wellcheck.User) string {
	switch {
	case u.Has(wellcheck.RoleListener):
		return "/"
	case u.Has(wellcheck.RoleCoordinator):
		return "/queue"
	case u.Has(wellcheck.RoleAdmin):
		return "/dashboard"
	}
	return "/"
}

// list is the user's list: their follow-ups and the shared pool's, most
// pressing first, each with why it is there and the person's own time. A
// listener has it at /, a coordinator or an admin at /list. What an action
// came back to say (?done=) is said above it.
func (s *Server) list(w http.ResponseWriter, r *http.Request, sess session) error {
	l, err := s.myList(r, sess)
	if err != nil {
		return err
	}
	lang := langOf(r)
	p := signedInPage(text(lang, "my_list"), sess, l)
	switch r.URL.Query().Get("done") {
	case "closed":
		p.Notice = text(lang, "done.case_closed")
	case "recorded":
		p.Notice = text(lang, "done.follow_up")
	}
	return s.render(w, r, pageHome, http.StatusOK, p)
}

// myList reads the session's user's list as the page shows it.
func (s *Server) myList(r *http.Request, sess session) (*list, error) {
	lang := langOf(r)
	items, err := s.Store.Queries().MyList(r.Context(), sess.UserID)
	if err != nil {
		return nil, err
	}
	phones, err := s.phones(r)
	if err != nil {
		return nil, err
	}
	now := s.now()
	l := &list{Version: store.ListVersion(items), Poll: s.ListPoll.Milliseconds()}
	shown := make([]string, 0, len(items))
	for _, it := range items {
		loc := personZone(it.TimeZone)
		item := listItem{ListItem: it, Phone: phones.Format(it.Phone),
			PriorityText: text(lang, "priority."+string(it.Priority)), ReasonText: text(lang, "reason."+string(it.Reason)),
			Shape: priorityShapes[it.Priority], LocalTime: clock(lang, now.In(loc)), Due: dayAndClock(lang, it.DueAt.In(loc)),
			Overdue: it.DueAt.Before(now)}
		if it.Escalation != nil {
			item.EscalationText = escalationLine(lang, *it.Escalation, loc, now)
		}
		l.Items = append(l.Items, item)
		shown = append(shown, strconv.FormatInt(it.CaseID, 10))
	}
	l.Shown = strings.Join(shown, ",")
	return l, nil
}

// phones formats numbers for the service's region.
func (s *Server) phones(r *http.Request) (phone.Parser, error) {
	settings, err := s.Store.Queries().Settings(r.Context())
	return phone.Parser{Region: settings.DefaultRegion}, err
}

// personZone is a person's time zone (UTC should it no longer load).
func personZone(name string) *time.Location {
	loc, err := scheduler.LoadZone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// listVersion tells the list page whether the list changed: the version of
// the list it would show now. The page itself (htmx) gets nothing while the
// list is the one it shows (?seen=), then the list as it is now and, for its
// live region, what changed since the cases it shows (?shown=).
func (s *Server) listVersion(w http.ResponseWriter, r *http.Request, sess session) error {
	if !fromPage(r) {
		items, err := s.Store.Queries().MyList(r.Context(), sess.UserID)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"version": store.ListVersion(items)})
		return nil
	}
	l, err := s.myList(r, sess)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("seen") == l.Version {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	lang := langOf(r)
	l.Update = listUpdate(lang, r.URL.Query().Get("shown"), l.Items)
	return s.renderFragment(w, fragmentListUpdate, page{Lang: lang, Data: l, Phone: s.Phone != nil && mayPhone(sess.User)})
}

// listUpdate says what changed on a list that showed the cases shown
// (comma-separated ids) and now shows items: "Liste mise à jour : 1 nouveau
// suivi, 1 suivi retiré".
func listUpdate(lang wellcheck.Lang, shown string, items []listItem) string {
	before := map[int64]bool{}
	for id := range strings.SplitSeq(shown, ",") {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			before[n] = true
		}
	}
	added, now := 0, map[int64]bool{}
	for _, it := range items {
		now[it.CaseID] = true
		if !before[it.CaseID] {
			added++
		}
	}
	removed := 0
	for id := range before {
		if !now[id] {
			removed++
		}
	}
	var what []string
	switch {
	case added == 1:
		what = append(what, text(lang, "list_added_one"))
	case added > 1:
		what = append(what, text(lang, "list_added", added))
	}
	switch {
	case removed == 1:
		what = append(what, text(lang, "list_removed_one"))
	case removed > 1:
		what = append(what, text(lang, "list_removed", removed))
	}
	if len(what) == 0 {
		return text(lang, "list_updated")
	}
	return text(lang, "list_updated_with", strings.Join(what, ", "))
}

// localPath is where a redirect may take the reader when the request names
// the place (?next=): target if it is a path of this site, else "/". Every
// redirect whose target comes from a request goes through it.
//
// Browsers forgive what a prefix check misses: they drop tabs and line
// breaks anywhere in a URL and read a backslash as a slash, so "/\t/x" and
// "/\\x" are "//x", another site. A target with a control character,
// a space or a backslash anywhere is refused, as is anything that is not a
// bare path (a scheme, a host, an authority "//x").
func localPath(target string) string {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") ||
		strings.ContainsFunc(target, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return "/"
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return target
}

// fromPage tells a page's own question (htmx's) from an API client's.
func fromPage(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// clock and dayAndClock write a time the reader's way.
func clock(lang wellcheck.Lang, t time.Time) string {
	if lang == wellcheck.English {
		return t.Format("3:04 pm")
	}
	return t.Format("15:04")
}

func dayAndClock(lang wellcheck.Lang, t time.Time) string {
	if lang == wellcheck.English {
		return day(lang, t) + ", " + clock(lang, t)
	}
	return day(lang, t) + " " + clock(lang, t)
}

// day writes a day short, the reader's way: "lun. 30/11", "Mon 30 Nov".
func day(lang wellcheck.Lang, t time.Time) string {
	if lang == wellcheck.English {
		return t.Format("Mon 2 Jan")
	}
	return frenchDays[t.Weekday()] + " " + t.Format("02/01")
}

var frenchDays = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// clientAddr is the browser's IP: the peer's, unless the peer is a proxy
// this server trusts (one on this host, or in TrustedProxies). Then its
// X-Forwarded-For is read from the end, the addresses trusted proxies added
// stepped over, and the first other one is the client: what comes before it
// the client may have written itself.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err != nil || !s.trustedProxy(ip) {
		return host
	}
	forwarded := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := host
	for i := len(forwarded) - 1; i >= 0; i-- {
		f := strings.TrimSpace(forwarded[i])
		if f == "" {
			break
		}
		client = forwardedAddr(f)
		if ip, err := netip.ParseAddr(client); err != nil || !s.trustedProxy(ip) {
			break
		}
	}
	return client
}

// trustedProxy reports whether ip is a proxy whose X-Forwarded-For is
// believed: one on this host, or one the operator names.
func (s *Server) trustedProxy(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedAddr is the client a proxy names: an address, with a port or in
// brackets as some proxies write it; anything else ("unknown") stands for
// itself, so that such clients share one count rather than loopback's.
func forwardedAddr(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return ip.Unmap().String()
	}
	return "forwarded:" + s
}

// actorOf is the signed-in user acting through the pages, for the audit log.
func actorOf(sess session) wellcheck.Actor { return wellcheck.UserActor(sess.UserID, wellcheck.ViaWeb) }
