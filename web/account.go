package web

import (
	"bytes"
	"cmp"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
)

// The account page: who the user is, their sessions one by one (each ended
// by its id, never its token), and their second factor (mfa.go).

// accountView is what the account page shows beside the user.
type accountView struct {
	Roles    string // the user's roles, in words
	Sessions []sessionRow
	Factor   factorState
	Zone     string // the zone the times are in
	// Anchor is the id of the input a refused form's problem is about,
	// for the summary's link: each form's code field has its own id.
	Anchor string
}

// sessionRow is one of the user's sessions: ID names it for its button;
// Device is the browser and system in words.
type sessionRow struct {
	ID                 int64
	Device             string
	SignedIn, LastSeen string
	Current            bool
}

// factorState is the user's second factor as the account page shows it.
type factorState struct {
	On       bool // a second factor: TOTP or a passkey
	TOTP     bool // a confirmed TOTP
	Required bool // their role requires one
	Unused   int  // recovery codes left
	// Offered is whether passkeys are (the service has a public address);
	// Passkeys are the user's, NewName the name proposed for another.
	Offered  bool
	Passkeys []passkeyRow
	NewName  string
}

// showAccount renders the account page with status, err's problems (a
// second-factor form refused) and a notice.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, sess session, status int, problem error) error {
	lang := langOf(r)
	roles := make([]string, len(sess.User.Roles))
	for i, role := range sess.User.Roles {
		roles[i] = text(lang, "role."+string(role))
	}
	v := accountView{Roles: strings.Join(roles, ", ")}
	q := s.Store.Queries()
	now := s.now()
	settings, err := q.Settings(r.Context())
	if err != nil {
		return err
	}
	zoneName := settings.TimeZone
	if s.Admin != nil {
		zoneName = cmp.Or(s.Admin.TimeZone, zoneName)
	}
	zone := personZone(zoneName)
	v.Zone = zoneName
	sessions, err := q.UserSessions(r.Context(), sess.UserID, now, now.Add(-s.IdleTimeout))
	if err != nil {
		return err
	}
	for _, us := range sessions {
		v.Sessions = append(v.Sessions, sessionRow{ID: us.ID, Device: device(lang, us.UserAgent),
			SignedIn: when(lang, us.CreatedAt, zone, now), LastSeen: when(lang, us.LastSeenAt, zone, now),
			Current: bytes.Equal(us.TokenHash, sess.TokenHash)})
	}
	if v.Factor.On, err = s.Admin.HasSecondFactor(r.Context(), sess.UserID); err != nil {
		return err
	}
	if v.Factor.TOTP, err = s.Admin.HasTOTP(r.Context(), sess.UserID); err != nil {
		return err
	}
	keys, err := q.Passkeys(r.Context(), sess.UserID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		row := passkeyRow{ID: k.ID, Name: k.Name, Created: when(lang, k.CreatedAt, zone, now)}
		if k.LastUsedAt != nil {
			row.LastUsed = when(lang, *k.LastUsedAt, zone, now)
		}
		v.Factor.Passkeys = append(v.Factor.Passkeys, row)
	}
	v.Factor.Offered = s.passkeys != nil
	v.Factor.NewName = text(lang, "passkey.default_name", len(keys)+1)
	if v.Factor.Required, err = s.Admin.SecondFactorRequired(r.Context(), sess.User); err != nil {
		return err
	}
	if v.Factor.On {
		if v.Factor.Unused, err = q.UnusedRecoveryCodes(r.Context(), sess.UserID); err != nil {
			return err
		}
	}
	if problem != nil {
		v.Anchor = anchorOf(r.URL.Path)
	}
	p := signedInPage(text(lang, "account"), sess, v)
	if problem != nil {
		p.refuse(r, problem)
	}
	if key := r.URL.Query().Get("done"); key != "" && problem == nil {
		p.Notice = textOr(lang, "done."+key, "")
	}
	return s.render(w, r, pageAccount, status, p)
}

// anchorOf is the id of the input whose problem a refused form of the
// account page (posted to path) shows: the code field of that form, or the
// new passkey's name.
func anchorOf(path string) string {
	switch {
	case path == "/account/second-factor/recovery-codes":
		return "codes-code"
	case path == "/account/second-factor/disable":
		return "off-code"
	case path == "/account/passkeys/finish":
		return "passkey.name"
	case strings.HasPrefix(path, "/account/passkeys/") && strings.HasSuffix(path, "/delete"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/account/passkeys/"), "/delete")
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			return "passkey-" + id + "-code"
		}
	}
	return ""
}

// endSession ends one of the user's sessions by its id: another's is not
// found. Ending the one in use signs this browser out.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("not_found_page")
	}
	q := s.Store.Queries()
	sessions, err := q.UserSessions(r.Context(), sess.UserID, s.now(), time.Time{})
	if err != nil {
		return err
	}
	current := false
	for _, us := range sessions {
		if us.ID == id {
			current = bytes.Equal(us.TokenHash, sess.TokenHash)
		}
	}
	if err := q.EndUserSession(r.Context(), sess.UserID, id); err != nil {
		return notFoundAs(err, "not_found_page")
	}
	_ = q.Audit(r.Context(), actorOf(sess), "session.end", nil, nil, map[string]any{"session_id": id, "own": current})
	if current {
		http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?done=session_ended#sessions", http.StatusSeeOther)
	return nil
}

// device names a browser and its system from its User-Agent, in words:
// "Firefox sur Windows", "Safari sur iPad", "Chrome sur Android". What it
// cannot tell is "navigateur inconnu".
func device(lang wellcheck.Lang, ua string) string {
	browser, system := browserOf(ua), systemOf(ua)
	switch {
	case browser == "" && system == "":
		return text(lang, "device_unknown")
	case browser == "":
		return text(lang, "device_on", text(lang, "device_browser"), system)
	case system == "":
		return browser
	}
	return text(lang, "device_on", browser, system)
}

// browserOf is the browser a User-Agent names. Order matters: Edge and
// Opera say Chrome too, Chrome says Safari, and every iOS browser is
// Safari underneath (CriOS, FxiOS name the app).
func browserOf(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"},
		{"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return ""
}

// systemOf is the system a User-Agent names.
func systemOf(ua string) string {
	for _, o := range []struct{ token, name string }{
		{"iPad", "iPad"}, {"iPhone", "iPhone"}, {"Android", "Android"},
		{"Windows", "Windows"}, {"CrOS", "ChromeOS"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return o.name
		}
	}
	return ""
}
