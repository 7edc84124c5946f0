package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/logctx"
	"github.com/wellcheck/wellcheck/scheduler"
)

// Config is every setting of a wellcheck process, parsed once from flags and the
// environment (flags win).
type Config struct {
	DatabaseURL string
	HTTPAddr    string
	// MetricsAddr, if set, serves /metrics there rather than on HTTPAddr;
	// MetricsToken, if set, is the bearer token a scrape must show (else
	// only this machine may scrape).
	MetricsAddr, MetricsToken string
	// SecretKey seals the second factors' secrets in the database (admin/mfa.go).
	SecretKey string
	// PublicURL is the address users' browsers reach the service at;
	// passkeys are bound to its host name, and not offered without it.
	PublicURL string
	Region    string // overrides the service's default phone region when set
	TimeZone  string // overrides the service's time zone when set
	Lang      wellcheck.Lang
	LogFormat string
	LogLevel  slog.Level
	// PlanHorizon is how far ahead check-ins are planned; PlanInterval how often
	// the planner passes.
	PlanHorizon, PlanInterval time.Duration
	// SIP is how calls are placed: the trunk, who we say we are, limits.
	SIP SIPConfig
	// Phone is the listeners' in-browser phone.
	Phone PhoneConfig
	// Roles is what serve runs (web, worker, scheduler); SoftStop how long a
	// stopping node lets its calls end.
	Roles    string
	SoftStop time.Duration
	// StateDir is the node's own directory: its outcome journal.
	StateDir string
	// MaxClockSkew is how far the machine's clock may be from the
	// database's before the node stops starting calls.
	MaxClockSkew time.Duration
	// TrunkStorm tells a trunk that fails everyone from persons who do not
	// answer.
	TrunkStorm wellcheck.TrunkRule
	// SignInHashes is how many passwords a web node checks at once (0: as
	// many as GOMAXPROCS); APIRate and APIBurst each API token's bucket.
	SignInHashes int
	APIRate      float64
	APIBurst     int
	// TrustedProxies are the proxies whose X-Forwarded-For names the client
	// (besides one on this host).
	TrustedProxies []netip.Prefix

	flags *flag.FlagSet
}

// DefaultDatabaseURL is the local cluster, database "wellcheck".
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/wellcheck?sslmode=disable"

type setting struct {
	name, env, def, help string
	dst                  *string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, []string, error) {
	var cfg Config
	var lang, level, horizon, interval string
	var ringTimeout, maxCall, channels, cps, softStop, skew string
	var stormWindow, stormCalls, stormPersons, stormPercent string
	var signInHashes, apiRate, apiBurst, trustedProxies string
	var register, registerExpires, keepalive string
	var phone phoneSettings
	settings := []setting{
		{"database-url", "WELLCHECK_DATABASE_URL", DefaultDatabaseURL, "Postgres URL", &cfg.DatabaseURL},
		{"http-addr", "WELLCHECK_HTTP_ADDR", "127.0.0.1:8080", "address the HTTP server listens on", &cfg.HTTPAddr},
		{"metrics-addr", "WELLCHECK_METRICS_ADDR", "", "address to serve /metrics on, apart from the web (default: on --http-addr)", &cfg.MetricsAddr},
		{"metrics-token", "WELLCHECK_METRICS_TOKEN", "", "bearer token a scrape of /metrics must show (default: none, and only this machine may scrape)", &cfg.MetricsToken},
		{"signin-hashes", "WELLCHECK_SIGNIN_HASHES", "", "passwords a web node checks at once, 19 MiB each (default: GOMAXPROCS); more sign-ins wait a second, then get 429", &signInHashes},
		{"api-rate", "WELLCHECK_API_RATE", "10", "API requests a second each token may send to a node", &apiRate},
		{"api-burst", "WELLCHECK_API_BURST", "50", "API requests each token may send in a row to a node", &apiBurst},
		{"trusted-proxies", "WELLCHECK_TRUSTED_PROXIES", "", "addresses or networks of the reverse proxies in front of the web, besides one on this machine, whose X-Forwarded-For names the client (comma-separated)", &trustedProxies},
		{"secret-key", "WELLCHECK_SECRET_KEY", "", "key that seals second factors' secrets in the database, 32 characters at least (openssl rand -base64 32); keep it apart from database backups", &cfg.SecretKey},
		{"public-url", "WELLCHECK_PUBLIC_URL", "", "the address users' browsers reach the web interface at, https://host[:port] (http only for localhost; a name, not an IP address); passkeys need it and are not offered without it", &cfg.PublicURL},
		{"region", "WELLCHECK_REGION", "", "phone region for numbers typed without country code (default: the service's, FR)", &cfg.Region},
		{"time-zone", "WELLCHECK_TIME_ZONE", "", "service time zone (default: the service's, Europe/Paris)", &cfg.TimeZone},
		{"lang", "WELLCHECK_LANG", "fr", "language of messages: fr or en", &lang},
		{"log-format", "WELLCHECK_LOG_FORMAT", "text", "log format: text or json", &cfg.LogFormat},
		{"log-level", "WELLCHECK_LOG_LEVEL", "info", "log level: debug, info, warn, error", &level},
		{"plan-horizon", "WELLCHECK_PLAN_HORIZON", "36h", "how far ahead check-ins are planned", &horizon},
		{"plan-interval", "WELLCHECK_PLAN_INTERVAL", "1h", "how often the planner passes", &interval},
		{"sip-trunk", "WELLCHECK_SIP_TRUNK", "127.0.0.1:5070", "SIP trunk or PBX, host[:port] (default: the callee simulator)", &cfg.SIP.Trunk},
		{"sip-transport", "WELLCHECK_SIP_TRANSPORT", "udp", "SIP transport to the trunk: udp, tcp or tls", &cfg.SIP.Transport},
		{"sip-proxy", "WELLCHECK_SIP_PROXY", "", "outbound SIP proxy, host[:port]", &cfg.SIP.Proxy},
		{"sip-user", "WELLCHECK_SIP_USER", "", "username for the trunk's digest authentication", &cfg.SIP.Username},
		{"sip-password", "WELLCHECK_SIP_PASSWORD", "", "password for the trunk's digest authentication", &cfg.SIP.Password},
		{"sip-register", "WELLCHECK_SIP_REGISTER", "off", "on: each worker node registers its SIP address with the registrar under --sip-user, and keeps it registered; off: no registration", &register},
		{"sip-registrar", "WELLCHECK_SIP_REGISTRAR", "", "registrar host[:port] (default: the trunk, through the outbound proxy if any)", &cfg.SIP.Registrar},
		{"sip-register-expires", "WELLCHECK_SIP_REGISTER_EXPIRES", "600s", "how long a registration is asked to last (the registrar may grant another); refreshed before it lapses", &registerExpires},
		{"sip-keepalive", "WELLCHECK_SIP_KEEPALIVE", "30s", "how often an OPTIONS asks whether the trunk (or outbound proxy) answers; 3 missed in a row and the node's calls wait until it does; 0 turns it off", &keepalive},
		{"sip-listen", "WELLCHECK_SIP_LISTEN", "0.0.0.0:5062", "local SIP address; RTP uses the same host", &cfg.SIP.Listen},
		{"sip-allow", "WELLCHECK_SIP_ALLOW", "", "addresses or networks, besides the trunk's and the proxy's, whose SIP requests are answered (comma-separated; an SBC's other addresses); any other gets no answer", &cfg.SIP.Allow},
		{"sip-external-addr", "WELLCHECK_SIP_EXTERNAL_ADDR", "", "address[:port] to advertise in SIP and SDP when behind NAT", &cfg.SIP.ExternalAddr},
		{"caller-number", "WELLCHECK_CALLER_NUMBER", "+33199000000", "the service's published number, shown to the person (E.164; the default is a fictional one)", &cfg.SIP.CallerNumber},
		{"caller-name", "WELLCHECK_CALLER_NAME", "wellcheck", "the name shown with the caller number", &cfg.SIP.CallerName},
		{"ring-timeout", "WELLCHECK_RING_TIMEOUT", "30s", "how long a call rings before it is cancelled", &ringTimeout},
		{"max-call", "WELLCHECK_MAX_CALL", "3m", "hard maximum length of a call, ringing included", &maxCall},
		{"prompts-dir", "WELLCHECK_PROMPTS_DIR", "", "directory of prompt WAV files (fr/, en/…; default: the shipped ones)", &cfg.SIP.PromptsDir},
		{"trunk-channels", "WELLCHECK_TRUNK_CHANNELS", "30", "calls at once through the trunk, across every node", &channels},
		{"trunk-cps", "WELLCHECK_TRUNK_CPS", "5", "new calls per second through the trunk, across every node", &cps},
		{"trunk-storm-window", "WELLCHECK_TRUNK_STORM_WINDOW", "5m", "a trunk storm is judged on the calls that ended within this time", &stormWindow},
		{"trunk-storm-calls", "WELLCHECK_TRUNK_STORM_CALLS", "10", "a trunk storm needs at least this many calls in its window", &stormCalls},
		{"trunk-storm-persons", "WELLCHECK_TRUNK_STORM_PERSONS", "5", "a trunk storm needs its failed calls to reach at least this many different persons", &stormPersons},
		{"trunk-storm-percent", "WELLCHECK_TRUNK_STORM_PERCENT", "80", "a trunk storm needs at least this share (in %) of the window's calls to fail the same way", &stormPercent},
		{"roles", "WELLCHECK_ROLES", "web,worker,scheduler", "what serve runs, comma-separated: web, worker, scheduler", &cfg.Roles},
		{"soft-stop", "WELLCHECK_SOFT_STOP", "1m", "on stop, how long calls in progress may go on before they are cut short and handed back", &softStop},
		{"max-clock-skew", "WELLCHECK_MAX_CLOCK_SKEW", "2s", "how far this machine's clock may be from the database's before the node stops starting calls", &skew},
		{"state-dir", "WELLCHECK_STATE_DIR", "", "this node's own directory, where it keeps the outcomes of its calls until the database has them (default: $STATE_DIRECTORY, else ~/.local/state/wellcheck); one node a directory", &cfg.StateDir},
	}
	settings = append(settings, phone.settings()...)
	fs := flag.NewFlagSet("wellcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.name, def, fmt.Sprintf("%s [$%s]", s.help, s.env))
	}
	// Help text shows defaults, which may come from the environment: no password.
	fs.Lookup("database-url").DefValue = redact(fs.Lookup("database-url").DefValue)
	for _, secret := range []string{"sip-password", "metrics-token", "secret-key", "phone-turn-password"} {
		if fs.Lookup(secret).DefValue != "" {
			fs.Lookup(secret).DefValue = "(set)"
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, nil, err
		}
		return cfg, nil, &usageError{err.Error()}
	}
	cfg.flags = fs
	cfg.Lang = wellcheck.ParseLang(lang)
	cfg.Region = strings.ToUpper(strings.TrimSpace(cfg.Region))
	if cfg.TimeZone != "" {
		if _, err := scheduler.LoadZone(cfg.TimeZone); err != nil {
			return cfg, nil, &usageError{fmt.Sprintf("time zone %q: use an IANA name such as Europe/Paris", cfg.TimeZone)}
		}
	}
	if cfg.SecretKey != "" && len(cfg.SecretKey) < admin.MinSecretKey {
		return cfg, nil, &usageError{fmt.Sprintf("secret key: %d characters at least (openssl rand -base64 32)", admin.MinSecretKey)}
	}
	if cfg.PublicURL != "" {
		if _, err := admin.ParsePublicURL(cfg.PublicURL); err != nil {
			return cfg, nil, &usageError{err.Error()}
		}
	}
	if cfg.Region != "" && !regionCode.MatchString(cfg.Region) {
		return cfg, nil, &usageError{fmt.Sprintf("region %q: use a two-letter country code such as FR or BE", cfg.Region)}
	}
	var err error
	if cfg.PlanInterval, err = time.ParseDuration(interval); err != nil || cfg.PlanInterval < time.Minute || cfg.PlanInterval > 24*time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("plan interval %q: use a duration between 1m and 24h, such as 1h", interval)}
	}
	if cfg.PlanHorizon, err = time.ParseDuration(horizon); err != nil || cfg.PlanHorizon < cfg.PlanInterval+time.Hour || cfg.PlanHorizon > 14*24*time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("plan horizon %q: use a duration of at least the plan interval plus an hour and at most 336h, such as 36h", horizon)}
	}
	if cfg.SIP.RingTimeout, err = time.ParseDuration(ringTimeout); err != nil || cfg.SIP.RingTimeout < 5*time.Second || cfg.SIP.RingTimeout > 2*time.Minute {
		return cfg, nil, &usageError{fmt.Sprintf("ring timeout %q: use a duration between 5s and 2m, such as 30s", ringTimeout)}
	}
	if cfg.SIP.MaxCall, err = time.ParseDuration(maxCall); err != nil || cfg.SIP.MaxCall < cfg.SIP.RingTimeout+30*time.Second || cfg.SIP.MaxCall > time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("max call %q: use a duration of at least the ring timeout plus 30s and at most 1h, such as 3m", maxCall)}
	}
	if cfg.SIP.Register, err = parseOnOff(register); err != nil {
		return cfg, nil, &usageError{fmt.Sprintf("sip register %q: use on or off", register)}
	}
	if cfg.SIP.Register && cfg.SIP.Username == "" {
		return cfg, nil, &usageError{"sip register: set --sip-user (and --sip-password): the registration is made under that user"}
	}
	if cfg.SIP.Registrar != "" {
		if host, _, err := dialer.SplitHostPort(cfg.SIP.Registrar); err != nil || host == "" {
			return cfg, nil, &usageError{fmt.Sprintf("sip registrar %q: use host[:port], such as sip.example.net:5060", cfg.SIP.Registrar)}
		}
	}
	if cfg.SIP.RegisterExpires, err = time.ParseDuration(registerExpires); err != nil || cfg.SIP.RegisterExpires < 30*time.Second || cfg.SIP.RegisterExpires > 24*time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("sip register expires %q: use a duration between 30s and 24h, such as 600s", registerExpires)}
	}
	if cfg.SIP.Keepalive, err = time.ParseDuration(keepalive); err != nil || cfg.SIP.Keepalive < 0 || (cfg.SIP.Keepalive > 0 && cfg.SIP.Keepalive < time.Second) || cfg.SIP.Keepalive > time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("sip keepalive %q: use 0 (off) or a duration between 1s and 1h, such as 30s", keepalive)}
	}
	if cfg.SIP.Channels, err = strconv.Atoi(channels); err != nil || cfg.SIP.Channels < 1 || cfg.SIP.Channels > 10000 {
		return cfg, nil, &usageError{fmt.Sprintf("trunk channels %q: use a whole number from 1 to 10000", channels)}
	}
	if cfg.SIP.CPS, err = strconv.ParseFloat(cps, 64); err != nil || !(cfg.SIP.CPS >= 0.1 && cfg.SIP.CPS <= 1000) {
		return cfg, nil, &usageError{fmt.Sprintf("trunk cps %q: use a number of calls per second from 0.1 to 1000", cps)}
	}
	if cfg.SoftStop, err = time.ParseDuration(softStop); err != nil || cfg.SoftStop < time.Second || cfg.SoftStop > time.Hour {
		return cfg, nil, &usageError{fmt.Sprintf("soft stop %q: use a duration between 1s and 1h, such as 1m", softStop)}
	}
	if cfg.MaxClockSkew, err = time.ParseDuration(skew); err != nil || cfg.MaxClockSkew < 100*time.Millisecond || cfg.MaxClockSkew > time.Minute {
		return cfg, nil, &usageError{fmt.Sprintf("max clock skew %q: use a duration between 100ms and 1m, such as 2s", skew)}
	}
	if signInHashes != "" {
		if cfg.SignInHashes, err = strconv.Atoi(signInHashes); err != nil || cfg.SignInHashes < 1 || cfg.SignInHashes > 256 {
			return cfg, nil, &usageError{fmt.Sprintf("signin hashes %q: use a whole number from 1 to 256, such as 2", signInHashes)}
		}
	}
	if cfg.APIRate, err = strconv.ParseFloat(apiRate, 64); err != nil || !(cfg.APIRate >= 0.1 && cfg.APIRate <= 10000) {
		return cfg, nil, &usageError{fmt.Sprintf("api rate %q: use a number of requests per second from 0.1 to 10000, such as 10", apiRate)}
	}
	if cfg.APIBurst, err = strconv.Atoi(apiBurst); err != nil || cfg.APIBurst < 1 || cfg.APIBurst > 100000 {
		return cfg, nil, &usageError{fmt.Sprintf("api burst %q: use a whole number from 1 to 100000, such as 50", apiBurst)}
	}
	if cfg.TrunkStorm, err = parseStorm(stormWindow, stormCalls, stormPersons, stormPercent); err != nil {
		return cfg, nil, err
	}
	if err := checkMetrics(cfg.MetricsAddr, cfg.MetricsToken); err != nil {
		return cfg, nil, err
	}
	if _, err := parseNetworks("sip allow", cfg.SIP.Allow); err != nil {
		return cfg, nil, err
	}
	if cfg.TrustedProxies, err = parseNetworks("trusted proxies", trustedProxies); err != nil {
		return cfg, nil, err
	}
	if _, err := parseRoles(cfg.Roles); err != nil {
		return cfg, nil, err
	}
	if cfg.Phone, err = phone.parse(); err != nil {
		return cfg, nil, err
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return cfg, nil, &usageError{fmt.Sprintf("log level %q: use debug, info, warn or error", level)}
	}
	return cfg, fs.Args(), nil
}

var regionCode = regexp.MustCompile(`^[A-Z]{2}$`)

// parseOnOff reads a switch: on or off (true, false, yes, no, 1, 0 too).
func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither on nor off", s)
}

// checkMetrics refuses /metrics served beyond this machine without a token.
func checkMetrics(addr, token string) error {
	if token != "" && len(token) < 16 {
		return &usageError{"metrics token: use 16 characters or more (a random one: openssl rand -base64 24)"}
	}
	if addr == "" || token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &usageError{fmt.Sprintf("metrics address %q: use host:port, such as 127.0.0.1:9464", addr)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return &usageError{fmt.Sprintf("metrics address %q is reachable beyond this machine: set --metrics-token too", addr)}
	}
	return nil
}

// parseStorm reads the trunk storm rule's thresholds.
func parseStorm(window, calls, persons, percent string) (wellcheck.TrunkRule, error) {
	var r wellcheck.TrunkRule
	var err error
	if r.Window, err = time.ParseDuration(window); err != nil || r.Window < time.Minute || r.Window > time.Hour {
		return r, &usageError{fmt.Sprintf("trunk storm window %q: use a duration between 1m and 1h, such as 5m", window)}
	}
	if r.Calls, err = strconv.Atoi(calls); err != nil || r.Calls < 3 || r.Calls > 10000 {
		return r, &usageError{fmt.Sprintf("trunk storm calls %q: use a whole number from 3 to 10000, such as 10", calls)}
	}
	if r.Persons, err = strconv.Atoi(persons); err != nil || r.Persons < 2 || r.Persons > r.Calls {
		return r, &usageError{fmt.Sprintf("trunk storm persons %q: use a whole number from 2 to the storm's calls (%d), such as 5", persons, r.Calls)}
	}
	if r.Percent, err = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(percent), "%")); err != nil || r.Percent < 51 || r.Percent > 100 {
		return r, &usageError{fmt.Sprintf("trunk storm percent %q: use a whole number from 51 to 100, such as 80", percent)}
	}
	return r, nil
}

func (c Config) logger(w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	// Each line also names the request or the job it is about (logctx).
	switch c.LogFormat {
	case "text":
		return slog.New(logctx.Handler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(logctx.Handler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", c.LogFormat)
}

// buildVersion is the release's version, stamped by the release build
// (make release: -ldflags "-X main.buildVersion=…").
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return info.Main.Version + " " + s.Value[:12]
			}
		}
		return info.Main.Version
	}
	return "(devel)"
}
