package web

import (
	"errors"
	"net/http"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
)

// Passkeys on the pages (admin/passkey.go): each ceremony's first half is
// a JSON endpoint static/passkey.js asks for the browser's options; its
// second half is an ordinary form the script fills with the
// authenticator's answer and sends, so that what follows (the recovery
// codes shown once, a refusal beside its field, the session opened) is a
// page like any other. Without a public address (PublicURL), passkeys are
// not offered.

// passkeyRow is one of the user's passkeys on the account page.
type passkeyRow struct {
	ID       int64
	Name     string
	Created  string
	LastUsed string // "" if never used
}

// passkeyOptions answers a ceremony's first half: the options for
// navigator.credentials, or the reason there are none, in words, for the
// script to say.
func (s *Server) passkeyOptions(w http.ResponseWriter, r *http.Request, options []byte, err error) error {
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		lang := langOf(r)
		message, byField := problemsOf(err, lang)
		if m, ok := byField["passkey.name"]; ok {
			message = label(lang, "passkey.name") + " : " + m
			if lang == wellcheck.English {
				message = label(lang, "passkey.name") + ": " + m
			}
		}
		writeJSON(w, statusOf(err), map[string]string{"error": message})
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(options)
	return nil
}

// noPasskeys refuses a passkey request to a service without a public
// address.
var noPasskeys = &refusal{status: http.StatusNotFound, code: wellcheck.ENotFound, key: "not_found_page"}

// beginPasskey starts adding a passkey from the account page.
func (s *Server) beginPasskey(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.passkeys == nil {
		return noPasskeys
	}
	options, err := s.Admin.BeginPasskey(r.Context(), s.passkeys, sess.User, sess.TokenHash, r.PostFormValue("passkey.name"))
	return s.passkeyOptions(w, r, options, err)
}

// finishPasskey adds the passkey the authenticator made, and shows the
// recovery codes once if it is the user's first factor.
func (s *Server) finishPasskey(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.passkeys == nil {
		return noPasskeys
	}
	codes, err := s.Admin.FinishPasskey(r.Context(), actorOf(sess), s.passkeys, sess.User, sess.TokenHash,
		[]byte(r.PostFormValue("passkey.credential")))
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, passkeyProblemOf(err, "passkey.name"))
	}
	if codes != nil {
		return s.showCodes(w, r, sess, codes)
	}
	http.Redirect(w, r, "/account?done=passkey_added#passkeys", http.StatusSeeOther)
	return nil
}

// deletePasskey removes one of the user's passkeys once they type a code,
// unless it is their last factor and their role requires one.
func (s *Server) deletePasskey(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("not_found_page")
	}
	err := s.Admin.DeletePasskey(r.Context(), actorOf(sess), sess.User, id, r.PostFormValue("mfa.code"))
	switch {
	case errors.Is(err, wellcheck.ErrNotFound):
		return notFound("not_found_page")
	case err != nil && statusOf(err) == http.StatusInternalServerError:
		return err
	case err != nil:
		return s.showAccount(w, r, sess, http.StatusUnprocessableEntity, codeProblemOf(err))
	}
	http.Redirect(w, r, "/account?done=passkey_removed#passkeys", http.StatusSeeOther)
	return nil
}

// beginPasskeySignIn starts the passkey ceremony of a second step. The
// request carries the second step's CSRF token (X-CSRF-Token).
func (s *Server) beginPasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	if s.passkeys == nil {
		return noPasskeys
	}
	p, ok := s.pending(r)
	if !ok {
		return &refusal{status: http.StatusUnauthorized, code: "unauthorized", key: "signed_out"}
	}
	if !sameToken(csrfOf(r), p.CSRFToken) {
		return s.forbidden(r, "second step without its CSRF token")
	}
	options, err := s.Admin.BeginPasskeySignIn(r.Context(), s.passkeys, p.User, p.TokenHash)
	return s.passkeyOptions(w, r, options, err)
}

// finishPasskeySignIn takes the authenticator's answer at the second step:
// right, the session starts; wrong, it counts as a wrong code does.
func (s *Server) finishPasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	if s.passkeys == nil {
		return noPasskeys
	}
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
	id, err := s.Admin.VerifyPasskey(r.Context(), s.passkeys, p.User, p.TokenHash, []byte(r.PostFormValue("passkey.credential")))
	if err == nil {
		if _, err := s.startSession(w, r, p, map[string]any{"second_factor": "passkey", "passkey_id": id}); err != nil {
			return err
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.refuseSecondStep(w, r, p, err)
}

// passkeyProblemOf is a passkey's refusal as a problem of field (where the
// page shows it); any other error as it is.
func passkeyProblemOf(err error, field string) error {
	switch {
	case errors.Is(err, admin.ErrWrongPasskey), errors.Is(err, admin.ErrPasskeyCounter), errors.Is(err, admin.ErrNoPasskeyCeremony),
		wellcheck.ErrorCode(err) == wellcheck.EConflict:
		var ps wellcheck.Problems
		ps.AddErr(field, err)
		return ps.Err()
	}
	return err
}
