package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

// usersView is the admins' list of accounts, with the form to add one, or
// one account's form.
type usersView struct {
	Users    []accountRow
	New      userForm
	Edit     userForm
	Password string // a password just made, shown this once
	// HasFactor is whether the account has a second factor (mfa.go).
	HasFactor bool
	For       string // whose
}

type accountRow struct {
	store.Account
	RoleNames string
	// FailedSignIns are the account's failed sign-ins from every address in
	// the last hour (they lock nothing: a guesser slows down only
	// themselves).
	FailedSignIns int
}

// userForm is an account as typed.
type userForm struct {
	ID                         int64
	Email, FullName, Languages string
	Capacity                   string
	Roles                      []string
	Disabled                   bool
}

// roleOptions are the roles, for checkboxes.
func roleOptions(lang wellcheck.Lang) []option {
	out := make([]option, len(wellcheck.Roles))
	for i, r := range wellcheck.Roles {
		out[i] = option{string(r), text(lang, "role."+string(r))}
	}
	return out
}

// newUserForm is the form to add an account, as it first shows.
var newUserForm = userForm{Languages: "fr", Capacity: "10", Roles: []string{"listener"}}

func (s *Server) users(w http.ResponseWriter, r *http.Request, sess session) error {
	return s.showUsers(w, r, sess, http.StatusOK, usersView{New: newUserForm}, nil)
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, sess session, status int, v usersView, problem error) error {
	lang := langOf(r)
	accounts, err := s.Store.Queries().Users(r.Context())
	if err != nil {
		return err
	}
	now := s.now()
	for _, a := range accounts {
		names := make([]string, len(a.Roles))
		for i, role := range a.Roles {
			names[i] = text(lang, "role."+string(role))
		}
		v.Users = append(v.Users, accountRow{Account: a, RoleNames: strings.Join(names, ", "), FailedSignIns: s.SignIn.AccountFailures(a.FailedSignIns, now)})
	}
	p := signedInPage(text(lang, "users"), sess, v)
	if problem != nil {
		p.refuse(r, problem)
	}
	return s.render(w, r, pageUsers, status, p)
}

// addUser creates an account with a password made up here and shown once,
// for the admin to pass on; the user changes it… by asking an admin again
// (there is no e-mail here to send a link with).
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, sess session) error {
	f := userForm{Email: r.PostFormValue("user.email"), FullName: r.PostFormValue("user.full_name"), Languages: r.PostFormValue("user.languages"),
		Capacity: r.PostFormValue("user.capacity"), Roles: r.PostForm["user.roles"]}
	capacity, err := strconv.Atoi(strings.TrimSpace(f.Capacity))
	if err != nil {
		capacity = -1
	}
	u, err := wellcheck.NewUser(f.Email, f.FullName, f.Roles, strings.Split(f.Languages, ","), capacity)
	password := admin.NewPassword()
	if err == nil {
		u, err = s.Admin.AddUser(r.Context(), actorOf(sess), u, password)
	}
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showUsers(w, r, sess, statusOf(err), usersView{New: newUserForm}, err)
	}
	return s.showUsers(w, r, sess, http.StatusOK, usersView{New: newUserForm, Password: password, For: u.FullName + " <" + u.Email + ">"}, nil)
}

// userPage is one account's form.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, sess session) error {
	u, err := loadPath(r, "not_found_page", s.Store.Queries().User)
	if err != nil {
		return err
	}
	has, err := s.Admin.HasSecondFactor(r.Context(), u.ID)
	if err != nil {
		return err
	}
	p := signedInPage(u.FullName, sess, usersView{Edit: formOf(u), HasFactor: has})
	switch r.URL.Query().Get("done") {
	case "saved":
		p.Notice = text(langOf(r), "done.user")
	case "mfa_reset":
		p.Notice = text(langOf(r), "done.mfa_reset")
	}
	return s.render(w, r, pageUser, http.StatusOK, p)
}

func formOf(u wellcheck.User) userForm {
	f := userForm{ID: u.ID, Email: u.Email, FullName: u.FullName, Disabled: u.Disabled}
	for _, r := range u.Roles {
		f.Roles = append(f.Roles, string(r))
	}
	return f
}

// saveUser changes an account's name and roles, or disables it: a disabled
// user's sessions end at once. An admin cannot lock themselves out.
func (s *Server) saveUser(w http.ResponseWriter, r *http.Request, sess session) error {
	u, err := loadPath(r, "not_found_page", s.Store.Queries().User)
	if err != nil {
		return err
	}
	f := userForm{ID: u.ID, Email: u.Email, FullName: r.PostFormValue("user.full_name"), Roles: r.PostForm["user.roles"],
		Disabled: r.PostFormValue("user.disabled") == "yes"}
	checked, err := wellcheck.NewUser(u.Email, f.FullName, f.Roles, u.Languages, u.Capacity)
	if err == nil {
		checked.ID, checked.Disabled = u.ID, f.Disabled
		err = s.Admin.ChangeUser(r.Context(), actorOf(sess), checked)
	}
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		p := signedInPage(u.FullName, sess, usersView{Edit: formOf(u)})
		p.refuse(r, err)
		return s.render(w, r, pageUser, statusOf(err), p)
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

// resetPassword gives an account a new password, shown once; its sessions
// end and a lock from failed attempts is lifted.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, sess session) error {
	u, err := loadPath(r, "not_found_page", s.Store.Queries().User)
	if err != nil {
		return err
	}
	password, err := s.Admin.ResetPassword(r.Context(), actorOf(sess), u.ID)
	if err != nil {
		return err
	}
	if u.ID == sess.UserID { // their own sessions ended with the others
		http.SetCookie(w, s.cookie(r, sessionCookie, "", -1))
	}
	return s.render(w, r, pageUser, http.StatusOK, signedInPage(u.FullName, sess, usersView{Edit: formOf(u), Password: password, For: u.FullName + " <" + u.Email + ">"}))
}
