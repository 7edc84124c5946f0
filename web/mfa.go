package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

// The second factor on the pages: the sign-in's second step (a pending
// sign-in, not a session: it opens no page), enrolment on the account page
// or, for a role that requires a factor, at the second step itself, new
// recovery codes, turning the factor off, and an admin's reset.

const (
	// secondStepCookie carries the token of a pending sign-in.
	secondStepCookie = "wellcheck_second_step"
	// secondStepFor is how long a second step waits.
	secondStepFor = 10 * time.Minute
	// secondStepPath is the second step's page.
	secondStepPath = "/login/second-factor"
)

// mfaView is the second-factor page: the code to type (verify), a secret
// to add to an app (enrol: its QR code as a PNG data URL, and the secret in
// groups), or the recovery codes shown once (codes).
type mfaView struct {
	Mode     string // "verify", "enrol", "codes"
	Action   string // where the form posts
	AtSignIn bool   // the second step of a sign-in
	QR       template.URL
	Secret   string
	Codes    []string
	Next     string // where to go once the codes are noted
	// TOTP and Passkey are the factors the second step asks for: a code
	// from the app, a passkey's button (recovery codes always).
	TOTP, Passkey bool
}

// secondStep is the hook login calls once the password is right: a user
// with a second factor, or whose role requires one, gets a pending sign-in
// and is sent to the second step; done says so. Others sign in at once.
func (s *Server) secondStep(w http.ResponseWriter, r *http.Request, userID int64, now time.Time) (done bool, err error) {
	q := s.Store.Queries()
	u, err := q.User(r.Context(), userID)
	if err != nil {
		return false, err
	}
	has, err := s.Admin.HasSecondFactor(r.Context(), userID)
	if err != nil {
		return false, err
	}
	required, err := s.Admin.SecondFactorRequired(r.Context(), u)
	if err != nil || (!has && !required) {
		return false, err
	}
	token := admin.NewSecret()
	err = s.Store.WithTx(r.Context(), func(q *store.Queries) error {
		if err := q.DeleteExpiredPendingLogins(r.Context(), now); err != nil {
			return err
		}
		return q.CreatePendingLogin(r.Context(), store.PendingLogin{TokenHash: admin.HashSecret(token), UserID: userID,
			CSRFToken: admin.NewSecret(), CreatedAt: now, ExpiresAt: now.Add(secondStepFor), UserAgent: truncate(r.UserAgent(), 200)})
	})
	if err != nil {
		return false, fmt.Errorf("start a second step: %w", err)
	}
	http.SetCookie(w, s.cookie(r, loginCSRF, "", -1))
	http.SetCookie(w, s.cookie(r, secondStepCookie, token, secondStepFor))
	http.Redirect(w, r, secondStepPath, http.StatusSeeOther)
	return true, nil
}

// pending reads the request's pending sign-in.
func (s *Server) pending(r *http.Request) (store.PendingLogin, bool) {
	c, err := r.Cookie(secondStepCookie)
	if err != nil || c.Value == "" {
		return store.PendingLogin{}, false
	}
	p, err := s.Store.Queries().PendingLogin(r.Context(), admin.HashSecret(c.Value), s.now())
	if err != nil {
		if !errors.Is(err, wellcheck.ErrNotFound) {
			s.Logger.ErrorContext(r.Context(), "read a second step", "err", err)
		}
		return store.PendingLogin{}, false
	}
	return p, true
}

// secondStepForm is the second step: the code, or, for a user whose role
// requires a factor they do not have, its enrolment. Without a pending
// sign-in, the sign-in form.
func (s *Server) secondStepForm(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.pending(r)
	if !ok {
		target := "/login"
		if _, signedIn := s.current(r, false); signedIn {
			target = "/"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return s.showSecondStep(w, r, p, http.StatusOK, nil)
}

// showSecondStep renders the second step of p with status and err's
// problem.
func (s *Server) showSecondStep(w http.ResponseWriter, r *http.Request, p store.PendingLogin, status int, problem error) error {
	lang := langOf(r)
	has, err := s.Admin.HasSecondFactor(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	v := mfaView{Mode: "verify", Action: secondStepPath, AtSignIn: true}
	title := text(lang, "mfa.verify_title")
	if has {
		if v.TOTP, err = s.Admin.HasTOTP(r.Context(), p.UserID); err != nil {
			return err
		}
		keys, err := s.Store.Queries().Passkeys(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		v.Passkey = s.passkeys != nil && len(keys) > 0
	} else {
		title = text(lang, "mfa.enrol_title")
		if v, err = s.enrolView(r, p.User, true); err != nil {
			return err
		}
	}
	pg := page{Title: title, CSRF: p.CSRFToken, Data: v}
	if problem != nil {
		pg.Error, pg.Problems = problemsOf(problem, lang)
		capitalise(pg.Problems)
	}
	return s.render(w, r, pageSecondFactor, status, pg)
}

// enrolView is the enrolment of u's pending secret, made now if none waits.
func (s *Server) enrolView(r *http.Request, u wellcheck.User, atSignIn bool) (mfaView, error) {
	e, err := s.Admin.PendingTOTP(r.Context(), u)
	if errors.Is(err, wellcheck.ErrNotFound) {
		e, err = s.Admin.StartTOTP(r.Context(), u)
	}
	if err != nil {
		return mfaView{}, err
	}
	qr, err := qrCode(e.URL)
	if err != nil {
		return mfaView{}, err
	}
	v := mfaView{Mode: "enrol", AtSignIn: atSignIn, QR: qr, Secret: e.Grouped(), Action: "/account/second-factor/confirm"}
	if atSignIn {
		v.Action = secondStepPath
	}
	return v, nil
}

// qrCode is the QR code of an otpauth:// URL as a PNG data URL, drawn
// here: the secret goes to no other service.
func qrCode(url string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", fmt.Errorf("draw a QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), nil
}

// checkSecondStep takes the second step's code: the factor's, or, for a
// user enrolling, the first code of their new secret. Right, the session
// starts; wrong, the step comes back, until MaxCodeFailures wrong codes end
// it (back to the password).
func (s *Server) checkSecondStep(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	p, ok := s.pending(r)
	if !ok {
		return &refusal{status: http.StatusUnauthorized, code: "unauthorized", key: "signed_out"}
	}
	if !sameToken(r.PostFormValue("csrf"), p.CSRFToken) {
		return s.forbidden(r, "second step without its CSRF token")
	}
	if p.Failures >= admin.MaxCodeFailures {
		return s.endSecondStep(w, r, p)
	}
	code := r.PostFormValue("mfa.code")
	has, err := s.Admin.HasSecondFactor(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	actor := wellcheck.UserActor(p.UserID, wellcheck.ViaWeb)
	var codes []string
	how := "totp"
	if has {
		var recovery bool
		recovery, err = s.Admin.VerifySecondFactor(r.Context(), p.UserID, code)
		if recovery {
			how = "recovery_code"
		}
	} else {
		how = "enrolled"
		codes, err = s.Admin.ConfirmTOTP(r.Context(), actor, p.User, code)
	}
	if err != nil {
		return s.refuseSecondStep(w, r, p, err)
	}
	csrf, err := s.startSession(w, r, p, map[string]any{"second_factor": how})
	if err != nil {
		return err
	}
	if codes != nil {
		return s.render(w, r, pageSecondFactor, http.StatusOK, page{Title: text(lang, "mfa.codes_title"), CSRF: csrf, User: &p.User,
			Data: mfaView{Mode: "codes", Codes: codes, Next: "/", AtSignIn: true}})
	}
	target := "/"
	if how == "recovery_code" {
		target = "/account?done=recovery_used#second-factor"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// refuseSecondStep answers a second step whose code or passkey was
// refused: locked, the step comes back saying so; wrong, it is counted
// against the sign-in, audited, and the step comes back, until
// MaxCodeFailures end it (back to the password).
func (s *Server) refuseSecondStep(w http.ResponseWriter, r *http.Request, p store.PendingLogin, err error) error {
	q := s.Store.Queries()
	problem := codeProblemOf(err)
	if passkeyFailed(err) {
		problem = passkeyProblemOf(err, "passkey")
	}
	switch {
	case errors.Is(err, admin.ErrCodeLocked):
		s.Logger.InfoContext(r.Context(), "second step locked", "user_id", p.UserID)
		return s.showSecondStep(w, r, p, http.StatusTooManyRequests, problem)
	case errors.Is(err, admin.ErrWrongCode) || passkeyFailed(err):
		n, ferr := q.RecordPendingFailure(r.Context(), p.TokenHash)
		if ferr != nil {
			return ferr
		}
		step := "second_factor"
		if passkeyFailed(err) {
			step = "passkey"
		}
		_ = q.Audit(r.Context(), wellcheck.UserActor(p.UserID, wellcheck.ViaWeb), "user.login_failed", nil, nil, map[string]any{"step": step})
		if n >= admin.MaxCodeFailures {
			return s.endSecondStep(w, r, p)
		}
		return s.showSecondStep(w, r, p, http.StatusUnprocessableEntity, problem)
	}
	return err
}

// passkeyFailed is whether err is a passkey's answer refused at a second
// step.
func passkeyFailed(err error) bool {
	return errors.Is(err, admin.ErrWrongPasskey) || errors.Is(err, admin.ErrPasskeyCounter) || errors.Is(err, admin.ErrNoPasskeyCeremony)
}

// capitalise starts each problem with a capital: the second factor's page
// says it alone, not after its field's name.
func capitalise(problems map[string]string) {
	for k, v := range problems {
		if r, n := utf8.DecodeRuneInString(v); n > 0 {
			problems[k] = string(unicode.ToUpper(r)) + v[n:]
		}
	}
}

// codeProblemOf is a code's refusal (wrong, or locked) as a problem of
// the code field; any other error as it is.
func codeProblemOf(err error) error {
	if !errors.Is(err, admin.ErrWrongCode) && !errors.Is(err, admin.ErrCodeLocked) {
		return err
	}
	var ps wellcheck.Problems
	ps.AddErr("mfa.code", err)
	return ps.Err()
}

// endSecondStep ends a second step with too many wrong codes: back to the
// password.
func (s *Server) endSecondStep(w http.ResponseWriter, r *http.Request, p store.PendingLogin) error {
	if err := s.Store.Queries().DeletePendingLogin(r.Context(), p.TokenHash); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, secondStepCookie, "", -1))
	return s.showLogin(w, r, http.StatusTooManyRequests, text(langOf(r), "too_many_attempts"), p.User.Email)
}

// startSession signs in p's user once their second step is done, as login
// does for a user without one, with details of how for the audit log, and
// returns the session's CSRF token.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p store.PendingLogin, how map[string]any) (string, error) {
	csrf, err := s.openSession(w, r, p.UserID, s.now(), how,
		func(q *store.Queries) error { return q.DeletePendingLogin(r.Context(), p.TokenHash) })
	if err != nil {
		return "", err
	}
	http.SetCookie(w, s.cookie(r, secondStepCookie, "", -1))
	return csrf, nil
}

// startEnrolment shows a new secret to add to an app, from the account
// page.
func (s *Server) startEnrolment(w http.ResponseWriter, r *http.Request, sess session) error {
	if _, err := s.Admin.StartTOTP(r.Context(), sess.User); err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, err)
	}
	return s.showEnrolment(w, r, sess, http.StatusOK, nil)
}

func (s *Server) showEnrolment(w http.ResponseWriter, r *http.Request, sess session, status int, problem error) error {
	v, err := s.enrolView(r, sess.User, false)
	if err != nil {
		return err
	}
	p := signedInPage(text(langOf(r), "mfa.enrol_title"), sess, v)
	if problem != nil {
		p.Error, p.Problems = problemsOf(problem, langOf(r))
		capitalise(p.Problems)
	}
	return s.render(w, r, pageSecondFactor, status, p)
}

// confirmEnrolment makes the secret the user's factor once they type a
// code from it, and shows their recovery codes once.
func (s *Server) confirmEnrolment(w http.ResponseWriter, r *http.Request, sess session) error {
	codes, err := s.Admin.ConfirmTOTP(r.Context(), actorOf(sess), sess.User, r.PostFormValue("mfa.code"))
	switch {
	case errors.Is(err, admin.ErrWrongCode):
		return s.showEnrolment(w, r, sess, http.StatusUnprocessableEntity, codeProblemOf(err))
	case err != nil && statusOf(err) != http.StatusInternalServerError:
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, err)
	case err != nil:
		return err
	case codes == nil: // beside a passkey: the codes stay as they were
		http.Redirect(w, r, "/account?done=app_added#app", http.StatusSeeOther)
		return nil
	}
	return s.showCodes(w, r, sess, codes)
}

func (s *Server) showCodes(w http.ResponseWriter, r *http.Request, sess session, codes []string) error {
	return s.render(w, r, pageSecondFactor, http.StatusOK, signedInPage(text(langOf(r), "mfa.codes_title"), sess,
		mfaView{Mode: "codes", Codes: codes, Next: "/account#second-factor"}))
}

// newRecoveryCodes replaces the user's recovery codes once they type a
// current code.
func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request, sess session) error {
	codes, err := s.Admin.NewRecoveryCodes(r.Context(), actorOf(sess), sess.User, r.PostFormValue("mfa.code"))
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, codeProblemOf(err))
	}
	return s.showCodes(w, r, sess, codes)
}

// disableSecondFactor turns the user's factor off once they type a current
// code, unless their role requires one.
func (s *Server) disableSecondFactor(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := s.Admin.DisableSecondFactor(r.Context(), actorOf(sess), sess.User, r.PostFormValue("mfa.code")); err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, codeProblemOf(err))
	}
	http.Redirect(w, r, "/account?done=mfa_off#second-factor", http.StatusSeeOther)
	return nil
}

// resetSecondFactor removes a user's second factor, for one who lost it:
// their sessions end; they enrol again at their next sign-in if their role
// requires it.
func (s *Server) resetSecondFactor(w http.ResponseWriter, r *http.Request, sess session) error {
	u, err := loadPath(r, "not_found_page", s.Store.Queries().User)
	if err != nil {
		return err
	}
	if err := s.Admin.ResetSecondFactor(r.Context(), actorOf(sess), u.ID); err != nil {
		return err
	}
	if u.ID == sess.UserID { // their own sessions ended with the others
		http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=mfa_reset", http.StatusSeeOther)
	return nil
}

// setSecondFactorRoles chooses the roles that must have a second factor.
func (s *Server) setSecondFactorRoles(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := s.Admin.SetSecondFactorRoles(r.Context(), actorOf(sess), r.PostForm["mfa.roles"]); err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return &refusal{status: http.StatusUnprocessableEntity, code: wellcheck.EInvalid, key: "invalid_form"}
	}
	http.Redirect(w, r, "/admin/settings?done=second_factor#second-factor", http.StatusSeeOther)
	return nil
}

// secondFactorRoles are the roles, each ticked if it must have a second
// factor.
func secondFactorRoles(r *http.Request, q *store.Queries) ([]checkOption, error) {
	required, err := q.SecondFactorRoles(r.Context())
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	out := make([]checkOption, len(wellcheck.Roles))
	for i, role := range wellcheck.Roles {
		out[i] = checkOption{Value: string(role), Text: text(lang, "role."+string(role)), Checked: slices.Contains(required, role)}
	}
	return out, nil
}
