// Command wellcheck runs the wellbeing-check service and its operator tools.
//
// This file only wires: it parses the configuration once, builds the pieces and
// runs the subcommand. run is what tests call.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // persons' time zones must resolve on hosts without zoneinfo

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wellcheck/wellcheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err))
}

// Exit codes, so scripts can tell bad input from a broken system.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
	exitInvalid  = 3
	exitConflict = 4
)

// usageError is a command line that cannot be run; the message says why.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// flagError is a command's flags that do not parse: a usage error (the flag
// package has printed the command's flags), or the request for help.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err.Error() + " (global flags, such as --sip-trunk or --database-url, go before the command: wellcheck [global flags] COMMAND [flags])"}
}

// reported marks an error whose message was already printed.
type reported struct{ err error }

func (e *reported) Error() string { return e.err.Error() }
func (e *reported) Unwrap() error { return e.err }

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return exitUsage
	}
	switch wellcheck.ErrorCode(err) {
	case wellcheck.EInvalid, wellcheck.ENotFound, wellcheck.EForbidden:
		return exitInvalid
	case wellcheck.EConflict:
		return exitConflict
	}
	return exitInternal
}

const usage = `wellcheck — outbound wellbeing-check calls for listening lines

Usage: wellcheck [global flags] COMMAND [flags]

Commands:
  demo           try it: a fresh demo database, fictitious persons called within minutes by
                 a telephone simulator, demo accounts printed with their passwords
  serve          run the service (migrates first unless --no-migrate)
  migrate        create the database if needed and apply migrations
  enroll         enrol one person referred by phone (flags or --file request.json)
  import FILE    enrol persons in bulk from a CSV register (--dry-run, --skip-invalid)
  user add       add a listener, coordinator or admin
  token          add, list or revoke the JSON API's tokens (a token acts as its user)
  person         change an enrolment: plan, pause, resume, withdraw; calls lists what is planned
  closure        add, list or delete the service's closures (re-plans everyone)
  schedule preview  the calls a plan would produce (holidays, moves, reasons)
  call TARGET    place one real check-in call (number or sip: URI); prints its outcome as JSON
  callee         run the SIP callee simulator (--listen, --behaviour, --keys, --weights)
  soak           two nodes, the callee simulator and the database cut at random for 30 minutes;
                 reports calls placed, outcomes recorded, lost and duplicate calls, outages
  version        print the version

Global flags (each also read from the environment variable shown):
`

// run is the whole program; stdout gets results, stderr gets logs and errors.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, rest, err := parseConfig(args, getenv, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, err)
		}
		return err
	}
	logger, err := cfg.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return &usageError{err.Error()}
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		cfg.flags.PrintDefaults()
		fmt.Fprintln(stderr, "\nwellcheck: no command given")
		return &usageError{"no command given"}
	}
	app := &app{cfg: cfg, logger: logger, stdin: stdin, stdout: stdout, stderr: stderr}
	defer app.close()

	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "serve":
		err = app.serve(ctx, cmdArgs)
	case "demo":
		err = app.demo(ctx, cmdArgs)
	case "migrate":
		err = app.migrate(ctx, cmdArgs)
	case "enroll", "enrol":
		err = app.enroll(ctx, cmdArgs)
	case "import":
		err = app.importCSV(ctx, cmdArgs)
	case "user":
		err = app.user(ctx, cmdArgs)
	case "token":
		err = app.token(ctx, cmdArgs)
	case "schedule":
		err = app.schedule(ctx, cmdArgs)
	case "person":
		err = app.person(ctx, cmdArgs)
	case "closure":
		err = app.closure(ctx, cmdArgs)
	case "call":
		err = app.call(ctx, cmdArgs)
	case "callee":
		err = app.callee(ctx, cmdArgs)
	case "soak":
		err = app.soak(ctx, cmdArgs)
	case "version":
		fmt.Fprintln(stdout, "wellcheck", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		cfg.flags.SetOutput(stdout)
		cfg.flags.PrintDefaults()
		return nil
	default:
		err = &usageError{fmt.Sprintf("unknown command %q (try: wellcheck help)", cmd)}
	}
	var r *reported
	if err != nil && !errors.As(err, &r) && !errors.Is(err, flag.ErrHelp) {
		app.printError(err)
	}
	return err
}

// app holds what the subcommands share.
type app struct {
	cfg    Config
	logger *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	pool   *pgxpool.Pool
}

func (a *app) close() {
	if a.pool != nil {
		a.pool.Close()
	}
}

// printError tells the user what went wrong in their language; internals go to
// the log.
func (a *app) printError(err error) {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(a.stderr, "wellcheck:", ue.msg)
		return
	}
	if wellcheck.ErrorCode(err) == wellcheck.EInternal {
		a.logger.Error("command failed", "err", err)
	}
	fmt.Fprintln(a.stderr, wellcheck.ErrorText(err, a.cfg.Lang))
}
