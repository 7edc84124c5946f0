package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/phone"
)

// SIPConfig is how calls are placed.
type SIPConfig struct {
	Trunk, Transport, Proxy string
	Username, Password      string
	Listen, ExternalAddr    string
	// Allow lists addresses or networks, besides the trunk's and the
	// proxy's, whose SIP requests are answered.
	Allow                    string
	CallerNumber, CallerName string
	RingTimeout, MaxCall     time.Duration
	PromptsDir               string
	Channels                 int
	CPS                      float64
	// Register says whether worker nodes register with the registrar (the
	// trunk unless Registrar is set), asking for RegisterExpires.
	Register        bool
	Registrar       string
	RegisterExpires time.Duration
	// Keepalive is how often worker nodes send the trunk an OPTIONS (0: never).
	Keepalive time.Duration
}

// dialerConfig turns the settings into the dialer's; limits are added by whoever
// has a database, the registration and keep-alives by a worker node
// (lineConfig): a one-off call must not register the node's address, nor
// unregister it when it ends.
func (c SIPConfig) dialerConfig() (dialer.Config, error) {
	host, port, err := dialer.SplitHostPort(c.Trunk)
	if err == nil && host == "" {
		err = fmt.Errorf("no host")
	}
	if err != nil {
		return dialer.Config{}, &usageError{fmt.Sprintf("sip trunk %q: %v", c.Trunk, err)}
	}
	allow, err := parseNetworks("sip allow", c.Allow)
	if err != nil {
		return dialer.Config{}, err
	}
	return dialer.Config{
		Allow: allow,
		Trunk: dialer.Trunk{
			Host: host, Port: port, Transport: strings.ToLower(c.Transport), Proxy: c.Proxy,
			Username: c.Username, Password: c.Password,
		},
		CallerNumber: c.CallerNumber,
		CallerName:   c.CallerName,
		Listen:       c.Listen,
		ExternalAddr: c.ExternalAddr,
		RingTimeout:  c.RingTimeout,
		MaxDuration:  c.MaxCall,
	}, nil
}

// lineConfig adds to a worker node's dialer configuration its registration
// and keep-alives.
func (c SIPConfig) lineConfig(dc *dialer.Config) {
	dc.Keepalive = c.Keepalive
	if c.Register {
		dc.Register = &dialer.Register{Registrar: c.Registrar, Expires: c.RegisterExpires}
	}
}

// parseNetworks reads a comma-separated list of IP addresses and networks
// (CIDR).
func parseNetworks(setting, s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if ip, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("%s %q: use IP addresses or networks, comma-separated, such as 203.0.113.10,198.51.100.0/28", setting, f)}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (c SIPConfig) prompts() (*dialer.Prompts, error) {
	if c.PromptsDir == "" {
		return dialer.DefaultPrompts()
	}
	p, err := dialer.LoadPromptsDir(c.PromptsDir)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}

// call places one real check-in call through the configured trunk and prints its
// outcome as one JSON object. Operators use it to test a trunk or a person's line.
// It exits 0 once the call has an outcome, whatever the outcome.
func (a *app) call(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	lang := fs.String("lang", "fr", "language of the prompts")
	trunk := fs.String("trunk", a.cfg.SIP.Trunk, "SIP trunk or PBX, host[:port]")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		return &usageError{"usage: wellcheck call [--lang fr] [--trunk host:port] NUMBER-OR-SIP-URI"}
	}
	sipCfg := a.cfg.SIP
	sipCfg.Trunk = *trunk
	cfg, err := sipCfg.dialerConfig()
	if err != nil {
		return err
	}
	cfg.Logger = a.logger
	target, err := dialer.Target(fs.Arg(0), phone.Parser{Region: cmp.Or(a.cfg.Region, "FR")})
	if err != nil {
		return err
	}
	prompts, err := sipCfg.prompts()
	if err != nil {
		return err
	}
	d, err := dialer.New(cfg, prompts)
	if err != nil {
		return &usageError{err.Error()}
	}
	defer d.Close()
	res, err := d.Call(ctx, target, *lang)
	if err != nil {
		return &usageError{err.Error()}
	}
	enc := json.NewEncoder(a.stdout)
	return enc.Encode(res)
}

// callee runs the SIP callee simulator until interrupted.
func (a *app) callee(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("callee", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	listen := fs.String("listen", "127.0.0.1:5070", "SIP address to answer on")
	network := fs.String("network", "udp", "udp or tcp")
	behaviour := fs.String("behaviour", string(callee.PressOne), "what every call gets, unless --weights or --number says otherwise: "+behaviourNames())
	weights := fs.String("weights", "", "a random mix instead, e.g. ok=80,help=10,no_answer=5,busy=5")
	keys := fs.String("keys", string(callee.RFC4733), "how keys are sent: rfc4733, info, info-dtmf or inband")
	ring := fs.Duration("ring", time.Second, "how long phones ring before answering")
	keyDelay := fs.Duration("key-delay", 2*time.Second, "how long after answering the key is pressed")
	seed := fs.Uint64("seed", 1, "seed of the random mix")
	noMux := fs.Bool("no-rtcp-mux", false, "refuse the offer's rtcp-mux: RTCP on a port of its own, as many phones and trunks do")
	comfortNoise := fs.Bool("comfort-noise", false, "send comfort noise (payload type 13, never negotiated) instead of silence, as phones with voice activity detection do")
	numbers := map[string]callee.Behaviour{}
	fs.Func("number", "fix one number's behaviour, NUMBER=BEHAVIOUR (repeatable)", func(s string) error {
		n, b, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want NUMBER=BEHAVIOUR")
		}
		bh, err := callee.ParseBehaviour(b)
		if err != nil {
			return err
		}
		numbers[n] = bh
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	cfg := callee.Config{Listen: *listen, Network: *network, Numbers: numbers, Seed: *seed, Ring: *ring, KeyDelay: *keyDelay,
		NoRTCPMux: *noMux, ComfortNoise: *comfortNoise, Logger: a.logger}
	var err error
	if cfg.Behaviour, err = callee.ParseBehaviour(*behaviour); err != nil {
		return &usageError{err.Error()}
	}
	if cfg.Keys, err = callee.ParseKeyMode(*keys); err != nil {
		return &usageError{err.Error()}
	}
	if *weights != "" {
		if cfg.Weights, err = callee.ParseWeights(*weights); err != nil {
			return &usageError{err.Error()}
		}
	}
	ce, err := callee.New(cfg)
	if err != nil {
		return &usageError{err.Error()}
	}
	fmt.Fprintf(a.stdout, "callee simulator answering on %s/%s; Ctrl-C to stop\n", ce.Addr(), *network)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	<-ctx.Done()
	recs := ce.Records()
	if err := ce.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d calls received\n", len(recs))
	return nil
}

func behaviourNames() string {
	names := make([]string, len(callee.Behaviours))
	for i, b := range callee.Behaviours {
		names[i] = string(b)
	}
	return strings.Join(names, ", ")
}
