package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/migrations"
	"github.com/wellcheck/wellcheck/store"
)

// cli runs wellcheck commands against one database, like a shell would.
type cli struct {
	t   *testing.T
	env map[string]string
}

type result struct {
	code           int
	stdout, stderr string
}

func newCLI(t *testing.T, dbURL string) *cli {
	return &cli{t: t, env: map[string]string{"WELLCHECK_DATABASE_URL": dbURL, "WELLCHECK_STATE_DIR": t.TempDir()}}
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &stdout, &stderr)
	return result{code: exitCode(err), stdout: stdout.String(), stderr: stderr.String()}
}

// withCoordinator returns a CLI on a fresh database with one coordinator.
func withCoordinator(t *testing.T) *cli {
	c := newCLI(t, dbtest.NewURL(t))
	r := c.run("", "user", "add", "--email", "claire@example.org", "--name", "Claire Coordinatrice", "--role", "coordinator")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Utilisateur ajouté : Claire Coordinatrice <claire@example.org> (n° 1), rôles : coordinator")
	return c
}

var jeanne = []string{"enroll", "--by", "claire@example.org",
	"--name", "Jeanne Martin", "--phone", "06 12 34 56 78",
	"--referral-source", "family", "--referrer-name", "Paul Martin",
	"--consent-by", "person", "--consent-at", "2026-01-15", "--consent-method", "phone",
	"--contact", "Paul Martin|fils|06 98 76 54 32",
	"--cron", "0 10 * * MON,WED,FRI", "--window", "09:30-12:00"}

func TestMigrateCreatesTheDatabaseAndIsIdempotent(t *testing.T) {
	t.Parallel()
	c := newCLI(t, dbtest.AbsentURL(t))

	r := c.run("", "enroll", "--by", "x@example.org")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "the database does not exist yet", "before migrate, commands say what to do")

	// Two processes migrating at once, then once more: all succeed.
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Go(func() { results[i] = c.run("", "migrate") })
	}
	wg.Wait()
	for _, r := range results {
		require.Equal(t, exitOK, r.code, r.stderr)
	}
	all, err := migrations.All()
	require.NoError(t, err)
	applied := strings.Count(results[0].stderr+results[1].stderr, "migration applied")
	require.Equal(t, len(all), applied, "one process applies each migration, the other finds it done")

	r = c.run("", "migrate")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stderr, "schema up to date")
}

func TestEnrollFromFlags(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)

	r := c.run("", jeanne...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Inscription enregistrée : Jeanne Martin (personne n° 1), 06 12 34 56 78 — appels « 0 10 * * MON,WED,FRI », 09:30–12:00 (Europe/Paris)\n", r.stdout)
	require.Contains(t, r.stderr, "phone=••••••78", "the log masks the number down to its last two digits")
	require.NotContains(t, r.stderr, "12 34 56 78")
	require.NotContains(t, r.stderr, "612345678")

	// The same line again is a conflict that names who holds it.
	r = c.run("", jeanne...)
	require.Equal(t, exitConflict, r.code)
	require.Equal(t, "ce numéro est déjà inscrit pour Jeanne Martin (personne n° 1)\n", r.stderr)

	// Bad input: every problem, in the coordinator's language, exit code 3.
	r = c.run("", "--lang", "en", "enroll", "--by", "claire@example.org", "--name", "Jean Dupont", "--phone", "0899 12 34 56",
		"--referral-source", "self", "--cron", "0 20 * * *")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "phone: \"0899 12 34 56\" cannot be called for a check-in (premium-rate number)\n"+
		"consent: the person's consent is required to enrol them\n"+
		"plan: \"every day around 20:00\" calls at 20:00, outside the call window 09:00–17:00\n", r.stderr)

	// Without an emergency contact: enrolled, with a warning.
	args := append([]string{}, jeanne...)
	args[6] = "01 43 55 12 34"
	args = append(args[:17], args[19:]...) // drop --contact
	r = c.run("", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Attention : contacts d'urgence : aucun contact d'urgence")
}

func TestEnrollFromJSON(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	dir := t.TempDir()
	good := `{
  "person": {"full_name": "Élise Dubois", "phone": "+33 1 43 55 12 34", "language": "fr", "postcode": "75011"},
  "referral": {"source": "doctor", "referrer_name": "Dr Morel"},
  "consent": {"given_by": "legal_representative", "representative_name": "UDAF 75", "given_at": "2026-10-01", "method": "paper"},
  "emergency_contacts": [{"full_name": "Marc Dubois", "relation": "neveu", "phone": "06 11 22 33 44"}],
  "plan": {"cron": "30 9 * * TUE", "window": "09:00-11:00", "max_attempts": 2, "retry_minutes": "20"}
}`
	path := filepath.Join(dir, "elise.json")
	require.NoError(t, os.WriteFile(path, []byte(good), 0o600))
	r := c.run("", "enroll", "--by", "claire@example.org", "--file", path, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var out struct {
		PersonID int64    `json:"person_id"`
		Warnings []string `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.EqualValues(t, 1, out.PersonID)
	require.Empty(t, out.Warnings)

	// From standard input, with a misspelt field: refused, saying which;
	// a value of the wrong kind: refused, saying where.
	bad := strings.Replace(good, `"postcode"`, `"post_code"`, 1)
	r = c.run(bad, "enroll", "--by", "claire@example.org", "--file", "-")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "champ inconnu : « post_code »\n", r.stderr)
	r = c.run(`{"person": {"full_name": 12}}`, "enroll", "--by", "claire@example.org", "--file", "-")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "« person.full_name » (ligne 1) : il faut un texte, pas un nombre\n", r.stderr)

	// Flags and a file together are ambiguous.
	r = c.run("", "enroll", "--by", "claire@example.org", "--file", path, "--name", "X")
	require.Equal(t, exitUsage, r.code)
}

func TestImportReportsBadLines(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	csv := "full_name;phone;referral_source;consent_given_by;consent_given_at;consent_method;cron;contact1_name;contact1_phone\n" +
		"Jeanne Martin;06 12 34 56 78;famille;personne;2026-01-15;téléphone;0 10 * * MON;Paul;06 98 76 54 32\n" +
		"Jean Dupont;06 12 34;mairie;personne;2026-01-15;téléphone;0 10 * * MON;;\n" +
		"Élise Dubois;01 43 55 12 34;médecin;personne;2026-01-15;papier;0 10 * * MON;;\n"
	path := filepath.Join(t.TempDir(), "registre.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv), 0o600))

	r := c.run("", "import", "--by", "claire@example.org", "--dry-run", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "ligne 3 : colonne B (phone) : « 06 12 34 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +\n"+
		"1 ligne — attention : contacts d'urgence : aucun contact d'urgence : recommandé pour pouvoir alerter un proche si la personne reste injoignable (ligne 4)\n"+
		"Vérification seule : 3 lignes lues, 2 valides, 1 invalide ; rien n'a été importé.\n", r.stdout)

	r = c.run("", "import", "--by", "claire@example.org", path)
	require.Equal(t, exitInvalid, r.code)
	require.Contains(t, r.stdout, "ligne 3 : ")
	require.Contains(t, r.stderr, "1 ligne invalide : rien n'a été importé")

	r = c.run("", "--lang", "en", "import", "--by", "claire@example.org", "--skip-invalid", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "3 lines read, 2 persons enrolled, 1 invalid line left out.")

	r = c.run("", "import", "--by", "claire@example.org", filepath.Join(t.TempDir(), "missing.csv"))
	require.Equal(t, exitUsage, r.code)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"enroll", "--name", "X"}, "--by EMAIL"},
		{[]string{"import", "--by", "a@b.c"}, "give exactly one register, .xlsx or CSV"},
		{[]string{"--log-format", "xml", "version"}, `log format "xml"`},
		{[]string{"--time-zone", "Europe/Pari", "version"}, `time zone "Europe/Pari": use an IANA name`},
		{[]string{"--region", "France", "version"}, `region "FRANCE": use a two-letter country code`},
		{[]string{"--public-url", "wellcheck.example.org", "version"}, `public URL "wellcheck.example.org": not an absolute URL`},
		{[]string{"--public-url", "https://192.0.2.10", "version"}, `the host must be a name, not an IP address`},
		{[]string{"--public-url", "http://wellcheck.example.org", "version"}, `http only for localhost; use https`},
		{[]string{"--public-url", "ftp://wellcheck.example.org", "version"}, `the scheme must be https`},
		{[]string{"serve", "--roles", "web,boss"}, `roles "web,boss": use web, worker and scheduler, comma-separated`},
		{[]string{"serve", "--roles", " , "}, "roles: name at least one of web, worker, scheduler"},
		{[]string{"--soft-stop", "0s", "version"}, `soft stop "0s": use a duration between 1s and 1h`},
		{[]string{"--trunk-storm-percent", "40", "version"}, `trunk storm percent "40": use a whole number from 51 to 100`},
		{[]string{"--trunk-storm-calls", "6", "--trunk-storm-persons", "8", "version"}, `trunk storm persons "8": use a whole number from 2 to the storm's calls (6)`},
		{[]string{"--signin-hashes", "0", "version"}, `signin hashes "0": use a whole number from 1 to 256`},
		{[]string{"--api-rate", "0", "version"}, `api rate "0": use a number of requests per second from 0.1 to 10000`},
		{[]string{"--trunk-storm-window", "10s", "version"}, `trunk storm window "10s": use a duration between 1m and 1h`},
		{[]string{"--sip-allow", "203.0.113.10, sbc.example", "version"}, `sip allow "sbc.example": use IP addresses or networks`},
		{[]string{"--trusted-proxies", "10.0.0.0/8, proxy.example", "version"}, `trusted proxies "proxy.example": use IP addresses or networks`},
		{[]string{"--metrics-addr", "0.0.0.0:9464", "version"}, `metrics address "0.0.0.0:9464" is reachable beyond this machine: set --metrics-token too`},
		{[]string{"--metrics-token", "short", "version"}, `metrics token: use 16 characters or more`},
		{[]string{"--nope", "version"}, `flag provided but not defined: -nope`},
		{[]string{"call", "--sip-listen", "127.0.0.1:5062", "+33612345678"}, `global flags, such as --sip-trunk or --database-url, go before the command`},
		{[]string{"--sip-register", "maybe", "version"}, `sip register "maybe": use on or off`},
		{[]string{"--sip-register", "on", "version"}, `sip register: set --sip-user (and --sip-password)`},
		{[]string{"--sip-user", "u", "--sip-register", "on", "--sip-registrar", "a:b:c", "version"}, `sip registrar "a:b:c": use host[:port]`},
		{[]string{"--sip-register-expires", "5s", "version"}, `sip register expires "5s": use a duration between 30s and 24h`},
		{[]string{"--sip-keepalive", "100ms", "version"}, `sip keepalive "100ms": use 0 (off) or a duration between 1s and 1h`},
		{[]string{"--phone", "maybe", "version"}, `phone "maybe": use on or off`},
		{[]string{"--phone-port", "70000", "version"}, `phone port "70000": use a UDP port number from 1 to 65535, or 0 for a free one`},
		{[]string{"--phone-ips", "192.0.2.10, phone.example", "version"}, `phone ips "phone.example": use this node's IP addresses`},
		{[]string{"--phone-public-ip", "0.0.0.0", "version"}, `phone public ip "0.0.0.0": use an IP address`},
		{[]string{"--phone-tcp", "3479", "version"}, `phone tcp "3479": use address:port`},
		{[]string{"--phone-turn", "turn.example.org:3478", "version"}, `phone turn "turn.example.org:3478": use stun:, turn: or turns: URLs`},
		{[]string{"--phone-turn-user", "u", "version"}, `phone turn user: name the TURN server too (--phone-turn)`},
		{[]string{"user", "add", "--email", "a@b.c", "--name", "A", "--role", "listener"}, "cannot reach Postgres at postgres://postgres@127.0.0.1:1/none"},
	} {
		r := c.run("", tt.args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		require.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
	secret := newCLI(t, "postgres://wellcheck:s3cret@db.internal:5432/wellcheck")
	secret.env["WELLCHECK_PHONE_TURN"], secret.env["WELLCHECK_PHONE_TURN_PASSWORD"] = "turn:turn.example.org", "turn-s3cret"
	r := secret.run("", "help")
	require.Equal(t, exitOK, r.code)
	require.Contains(t, r.stdout, "postgres://wellcheck:xxxxx@db.internal:5432/wellcheck")
	require.NotContains(t, r.stdout+r.stderr, "s3cret", "help never prints the database's or TURN's password")

	r = c.run("", "user", "add", "--email", "not-an-email", "--name", "", "--role", "boss")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "e-mail : « not-an-email » n'est pas une adresse e-mail\nnom : obligatoire\nrôle : « boss » n'est pas un rôle (listener, coordinator, admin)\n", r.stderr)
}

// A worker node configured to register is not ready until the registrar
// holds its address, and /readyz says why; here the trunk (the callee
// simulator) is no registrar and refuses the REGISTER with 405, but answers
// the keep-alives (405 too: it is there).
func TestServeNotReadyUntilRegistered(t *testing.T) {
	t.Parallel()
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer ce.Close()
	c := newCLI(t, dbtest.AbsentURL(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	for k, v := range map[string]string{"WELLCHECK_HTTP_ADDR": addr, "WELLCHECK_SIP_LISTEN": "127.0.0.1:0", "WELLCHECK_SIP_TRUNK": ce.Addr().String(),
		"WELLCHECK_SIP_REGISTER": "on", "WELLCHECK_SIP_USER": "service", "WELLCHECK_SIP_PASSWORD": "s3cret-pass", "WELLCHECK_SIP_KEEPALIVE": "1s"} {
		c.env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return c.env[k] }, strings.NewReader(""), io.Discard, &logs)
	}()
	var body map[string]string
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if !assert.NoError(ct, err) {
			return
		}
		defer resp.Body.Close()
		body = nil
		assert.NoError(ct, json.NewDecoder(resp.Body).Decode(&body))
		assert.Equal(ct, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Equal(ct, "failing", body["sip_registration"])
		assert.Equal(ct, "up", body["trunk"])
	}, 60*time.Second, 50*time.Millisecond)
	require.Equal(t, "not registered with the SIP registrar: the registrar answered 405 Method Not Allowed", body["status"])
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, logs.String(), "SIP registration failed")
	require.NotContains(t, logs.String(), "s3cret-pass", "no password in the log")
}

func TestServeHealthAndShutdown(t *testing.T) {
	t.Parallel()
	c := newCLI(t, dbtest.AbsentURL(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c.env["WELLCHECK_HTTP_ADDR"] = addr
	c.env["WELLCHECK_SIP_LISTEN"] = "127.0.0.1:0"
	c.env["WELLCHECK_METRICS_TOKEN"] = "a-scrape-token-of-prometheus"

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return c.env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	}()

	// serve migrates a database that did not exist, then answers.
	var body map[string]string
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, "ready", body["status"])
	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// The web interface answers, signed out: its sign-in page.
	resp, err = http.Get("http://" + addr + "/login")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), "<h1>Connexion</h1>")
	// /metrics only with the token, even from this machine.
	resp, err = http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer a-scrape-token-of-prometheus")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	figures, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(figures), "wellcheck_build_info")

	// The scheduler role runs a planner pass at start (RunOnStart): a restart
	// never skips a day.
	pool, err := pgxpool.New(context.Background(), c.env["WELLCHECK_DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	require.Eventually(t, func() bool {
		until, err := store.New(pool).Queries().PlannedUntil(context.Background())
		return err == nil && time.Until(until) > 35*time.Hour
	}, 30*time.Second, 50*time.Millisecond, "the planner planned 36 hours ahead")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "Ctrl-C stops serve cleanly")
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestUserAddSetsAPassword(t *testing.T) {
	t.Parallel()
	c := newCLI(t, dbtest.NewURL(t))
	r := c.run("trop court\n", "user", "add", "--email", "admin@example.org", "--name", "Admin", "--role", "admin", "--password-stdin")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "mot de passe : le mot de passe doit compter de 12 à 256 caractères\n", r.stderr)

	r = c.run("une phrase de passe solide\n", "user", "add", "--email", "admin@example.org", "--name", "Admin", "--role", "admin", "--password-stdin")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NotContains(t, r.stdout, "une phrase de passe solide")

	r = c.run("", "user", "add", "--email", "ecoute@example.org", "--name", "Écoute", "--role", "listener")
	require.Equal(t, exitOK, r.code, r.stderr)
	m := regexp.MustCompile(`Mot de passe \(affiché une seule fois, à transmettre à la personne\) : (\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)

	pool, err := pgxpool.New(context.Background(), c.env["WELLCHECK_DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	q := store.New(pool).Queries()
	for email, password := range map[string]string{"admin@example.org": "une phrase de passe solide", "ecoute@example.org": m[1]} {
		login, err := q.LoginByEmail(context.Background(), email)
		require.NoError(t, err)
		require.True(t, admin.CheckPassword(login.PasswordHash, password), email)
		require.False(t, admin.CheckPassword(login.PasswordHash, password+"x"), email)
	}
	require.Equal(t, map[string]int{"cli user.add": 2}, auditActions(t, pool, "user.%"), "each account's creation is audited")
}

// The database pool bounds every wait and fits the node's roles, unless the
// URL says otherwise.
func TestPoolBoundsItsWaits(t *testing.T) {
	t.Parallel()
	cfg := Config{DatabaseURL: "postgres://postgres@127.0.0.1:5432/wellcheck", Roles: "web,worker,scheduler", SIP: SIPConfig{Channels: 30}}
	pc, err := poolConfig(cfg)
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, pc.ConnConfig.ConnectTimeout)
	require.Equal(t, "60s", pc.ConnConfig.RuntimeParams["statement_timeout"])
	require.Equal(t, "10s", pc.ConnConfig.RuntimeParams["lock_timeout"])
	require.Equal(t, 5*time.Second, pc.PingTimeout, "a ping lost with its connection's bytes holds nothing for ever")
	require.EqualValues(t, 34, pc.MaxConns)
	// As the server sees it.
	cfg.DatabaseURL = dbtest.ServerURL()
	pc, err = poolConfig(cfg)
	require.NoError(t, err)
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	require.NoError(t, err)
	defer pool.Close()
	var statement, lock string
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&statement, &lock))
	require.Equal(t, []string{"1min", "10s"}, []string{statement, lock})

	cfg.Roles = "web"
	pc, err = poolConfig(cfg)
	require.NoError(t, err)
	require.EqualValues(t, 11, pc.MaxConns)

	cfg.DatabaseURL = "postgres://postgres@127.0.0.1:5432/wellcheck?connect_timeout=2&statement_timeout=5000&pool_max_conns=7"
	pc, err = poolConfig(cfg)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, pc.ConnConfig.ConnectTimeout)
	require.Equal(t, "5000", pc.ConnConfig.RuntimeParams["statement_timeout"])
	require.Equal(t, 5*time.Second, pc.PingTimeout)
	require.EqualValues(t, 7, pc.MaxConns)
}

// The only admin lost their phone: the command line resets their second
// factor, ends their sessions and says so in the audit log.
func TestUserMFAReset(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	c.env["WELLCHECK_SECRET_KEY"] = "trop courte"
	r := c.run("", "user", "mfa-reset", "--email", "claire@example.org")
	require.Equal(t, exitUsage, r.code, "a secret key too short is refused")
	delete(c.env, "WELLCHECK_SECRET_KEY")

	pool, err := pgxpool.New(context.Background(), c.env["WELLCHECK_DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	ctx := context.Background()
	_, err = pool.Exec(ctx, `INSERT INTO second_factors (user_id, secret, created_at, confirmed_at) VALUES (1, 'plain:JBSWY3DPEHPK3PXP', now(), now())`)
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, store.New(pool).Queries().CreateSession(ctx, store.Session{TokenHash: admin.HashSecret("token"), UserID: 1,
		CSRFToken: admin.NewSecret(), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	_, err = store.New(pool).Queries().AddPasskey(ctx, store.Passkey{UserID: 1, CredentialID: []byte("credential"), PublicKey: []byte("key"),
		Name: "Clé d'accès 1", CreatedAt: now})
	require.NoError(t, err)

	r = c.run("", "user", "mfa-reset", "--email", "Claire@example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Double authentification de Claire Coordinatrice <claire@example.org> (n° 1) réinitialisée")
	var factors, passkeys, sessions int
	require.NoError(t, pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM second_factors), (SELECT count(*) FROM passkeys), (SELECT count(*) FROM sessions)").Scan(&factors, &passkeys, &sessions))
	require.Zero(t, factors)
	require.Zero(t, passkeys, "passkeys go too")
	require.Zero(t, sessions)
	require.Equal(t, map[string]int{"cli user.add": 1, "cli user.mfa_reset": 1}, auditActions(t, pool, "user.%"))

	r = c.run("", "user", "mfa-reset", "--email", "personne@example.org")
	require.NotEqual(t, exitOK, r.code)
	r = c.run("", "user", "mfa-reset")
	require.Equal(t, exitUsage, r.code)
}
