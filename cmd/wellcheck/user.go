package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
)

const userUsage = `usage:
  wellcheck user add --email EMAIL --name NAME --role listener|coordinator|admin[,…] [--password-stdin]
  wellcheck user mfa-reset --email EMAIL`

func (a *app) user(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "mfa-reset" {
		return a.mfaReset(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "add" {
		return &usageError{userUsage}
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	email := fs.String("email", "", "e-mail, used to sign in (required)")
	name := fs.String("name", "", "full name (required)")
	roles := fs.String("role", "", "roles, comma-separated: listener, coordinator, admin (required)")
	langs := fs.String("languages", "fr", "languages spoken, comma-separated (listeners)")
	capacity := fs.Int("capacity", 10, "open follow-ups a listener takes at most")
	ifMissing := fs.Bool("if-missing", false, "succeed without change when the e-mail already exists")
	passwordStdin := fs.Bool("password-stdin", false, "read the password (12 characters or more) from the first line of standard input; without it one is made up and printed once")
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	u, err := wellcheck.NewUser(*email, *name, strings.Split(*roles, ","), strings.Split(*langs, ","), *capacity)
	var ps wellcheck.Problems
	if v, ok := errors.AsType[*wellcheck.ValidationError](err); ok {
		ps = v.Problems
	} else if err != nil {
		return err
	}
	password, generated := admin.NewPassword(), true
	if *passwordStdin {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password, generated = strings.TrimRight(line, "\r\n"), false
	}
	if !admin.PasswordFits(password) { // every problem at once, before the database
		ps.Add("user.password", "password_length", admin.MinPassword, admin.MaxPassword)
	}
	if err := ps.Err(); err != nil {
		return err
	}
	st, svc, err := a.office(ctx)
	if err != nil {
		return err
	}
	created, err := svc.AddUser(ctx, wellcheck.Operator, u, password)
	if wellcheck.ErrorCode(err) == wellcheck.EConflict && *ifMissing {
		existing, err := st.Queries().UserByEmail(ctx, u.Email)
		if err != nil {
			return err
		}
		a.say("cli_user_exists", existing.Email, existing.ID)
		return nil
	}
	if err != nil {
		return err
	}
	names := make([]string, len(created.Roles))
	for i, r := range created.Roles {
		names[i] = string(r)
	}
	a.say("cli_user_added", created.FullName, created.Email, created.ID, strings.Join(names, ", "))
	if generated {
		a.say("cli_user_password", password)
	}
	return nil
}

// mfaReset removes a user's second factor, for one who lost it — the only
// admin, say, who cannot reach the users' page: their sessions end and they
// enrol again at their next sign-in if their role requires it. Audited as
// the command line's.
func (a *app) mfaReset(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("user mfa-reset", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	email := fs.String("email", "", "e-mail of the account (required)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if strings.TrimSpace(*email) == "" {
		return &usageError{userUsage}
	}
	st, svc, err := a.office(ctx)
	if err != nil {
		return err
	}
	u, err := st.Queries().UserByEmail(ctx, strings.TrimSpace(*email))
	if err != nil {
		return err
	}
	if err := svc.ResetSecondFactor(ctx, wellcheck.Operator, u.ID); err != nil {
		return err
	}
	a.say("cli_user_mfa_reset", u.FullName, u.Email, u.ID)
	return nil
}
