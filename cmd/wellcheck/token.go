package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
)

const tokenUsage = `usage:
  wellcheck token add --email EMAIL --name NAME   a token for the JSON API, acting as that user (printed once)
  wellcheck token list                            id, user, name, created, last used, revoked (- if not), one per line
  wellcheck token revoke ID`

// token manages the JSON API's tokens.
func (a *app) token(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{tokenUsage}
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "add":
		return a.tokenAdd(ctx, rest)
	case "list":
		if len(rest) > 0 {
			return &usageError{tokenUsage}
		}
		return a.tokenList(ctx)
	case "revoke":
		if len(rest) != 1 {
			return &usageError{tokenUsage}
		}
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || id < 1 {
			return &usageError{fmt.Sprintf("token revoke: %q is not a token number", rest[0])}
		}
		return a.tokenRevoke(ctx, id)
	}
	return &usageError{fmt.Sprintf("token: unknown command %q\n%s", verb, tokenUsage)}
}

// maxTokenName is the longest name a token may have (the table's limit).
const maxTokenName = 100

// tokenAdd makes a token for an enabled user and prints it, once: only its
// SHA-256 is kept.
func (a *app) tokenAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token add", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	email := fs.String("email", "", "e-mail of the user the token acts as, with their roles (required)")
	name := fs.String("name", "", "what the token is for, e.g. \"CRM of the social services\" (required, up to 100 characters)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	n := strings.TrimSpace(*name)
	if *email == "" || n == "" || fs.NArg() > 0 {
		return &usageError{"token add: --email EMAIL and --name NAME are required\n" + tokenUsage}
	}
	if utf8.RuneCountInString(n) > maxTokenName {
		return &usageError{fmt.Sprintf("token add: --name is longer than %d characters", maxTokenName)}
	}
	_, office, err := a.office(ctx)
	if err != nil {
		return err
	}
	token, created, err := office.AddAPIToken(ctx, wellcheck.Operator, *email, n)
	if err != nil {
		return err
	}
	a.say("cli_token_added", created.ID, n, created.UserEmail)
	fmt.Fprintln(a.stdout, token)
	return nil
}

func (a *app) tokenList(ctx context.Context) error {
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	tokens, err := st.Queries().APITokens(ctx)
	if err != nil {
		return err
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, t := range tokens {
		fmt.Fprintf(a.stdout, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserEmail, t.Name, when(&t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
	}
	return nil
}

// tokenRevoke revokes a token at once: the next request with it is refused.
func (a *app) tokenRevoke(ctx context.Context, id int64) error {
	_, office, err := a.office(ctx)
	if err != nil {
		return err
	}
	revoked, err := office.RevokeAPIToken(ctx, wellcheck.Operator, id)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return wellcheck.Errorf(wellcheck.ENotFound, "cli_token_unknown", id)
	}
	if err != nil {
		return err
	}
	a.say("cli_token_revoked", revoked.ID, revoked.Name)
	return nil
}
