package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

func (a *app) user(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return &usageError{"usage: wellcheck user add --email EMAIL --name NAME --role listener|coordinator|admin[,…] [--password-stdin]"}
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
		return err
	}
	u, err := wellcheck.NewUser(*email, *name, strings.Split(*roles, ","), strings.Split(*langs, ","), *capacity)
	var ps wellcheck.Problems
	if v, ok := errors.AsType[*wellcheck.ValidationError](err); ok {
		ps = v.Problems
	}
	password, generated := "", false
	if *passwordStdin {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = rand.Text(), true // 26 characters, 130 bits
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		ps.Add("user.password", "password_length", web.MinPassword, web.MaxPassword)
	}
	if err := ps.Err(); err != nil {
		return err
	}
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	var created wellcheck.User
	err = st.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if created, err = q.CreateUserWithPassword(ctx, u, hash, time.Now()); err != nil {
			return err
		}
		return q.Audit(ctx, wellcheck.Actor{Label: "cli"}, "user.add", nil, nil, map[string]any{"user_id": created.ID})
	})
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
