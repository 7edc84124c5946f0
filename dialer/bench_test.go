package dialer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// calleeProcessEnv makes this test binary a callee simulator (see TestMain), so
// that a benchmark's CPU, memory and scheduling figures are the dialer's alone.
const calleeProcessEnv = "WELLCHECK_BENCH_CALLEE"

// calleeProcess answers every call by pressing 1 after the delay in the
// environment variable ("4s": RFC 4733; "1µs/info": SIP INFO), sending no
// silence, prints its address and runs until stdin closes.
func calleeProcess() {
	value, info := strings.CutSuffix(os.Getenv(calleeProcessEnv), "/info")
	delay, _ := time.ParseDuration(value)
	keys := callee.RFC4733
	if info {
		keys = callee.InfoRelay
	}
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne, Keys: keys,
		Ring: time.Microsecond, KeyDelay: delay, SuppressSilence: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ce.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	ce.Close()
}

// startCalleeProcess runs calleeProcess in a child process and returns its
// address; it presses its key after keyDelay, by SIP INFO if info.
func startCalleeProcess(b *testing.B, keyDelay time.Duration, info bool) netip.AddrPort {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	mode := keyDelay.String()
	if info {
		mode += "/info"
	}
	cmd.Env = append(os.Environ(), calleeProcessEnv+"="+mode)
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err)
	addr, err := netip.ParseAddrPort(strings.TrimSpace(line))
	require.NoError(b, err)
	return addr
}

// benchPair is a dialer and a callee simulator on loopback, in this process.
func benchPair(b *testing.B, cc callee.Config, dc dialer.Config, prompts *dialer.Prompts) (*dialer.Dialer, *callee.Callee) {
	cc.Listen = "127.0.0.1:0"
	ce, err := callee.New(cc)
	require.NoError(b, err)
	b.Cleanup(func() { ce.Close() })
	dc.Trunk = dialer.Trunk{Host: "127.0.0.1", Port: int(ce.Addr().Port())}
	dc.Listen, dc.CallerNumber = "127.0.0.1:0", callerNumber
	d, err := dialer.New(dc, prompts)
	require.NoError(b, err)
	b.Cleanup(func() { d.Close() })
	return d, ce
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCallSetup places short answered calls (INVITE, 100, 180, 200, ACK, a
// 20 ms prompt, the key, BYE) with many in flight and reports calls per second.
// Every call must end ok: a failed transaction fails the benchmark.
func BenchmarkCallSetup(b *testing.B) {
	blip := dialertest.Tone(20)
	set := &dialer.PromptSet{Greeting: blip, Menu: blip, OK: blip, Help: blip, NoResponse: blip}
	d, _ := benchPair(b,
		callee.Config{Behaviour: callee.PressOne, Keys: callee.InfoRelay, Ring: time.Microsecond, KeyDelay: time.Microsecond},
		dialer.Config{KeyTimeout: 5 * time.Second},
		dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set}))
	const inFlight = 64
	var failed atomic.Int64
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	cpu := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := d.Call(context.Background(), person, "fr")
			if err != nil || res.Outcome != wellcheck.OutcomeOK {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/call")
	b.ReportMetric(float64(failed.Load()), "failed")
	require.Zero(b, failed.Load(), "calls that did not end ok")
}

// lateness is a histogram of how late RTP packets left, in 100 µs buckets.
type lateness struct{ buckets [1001]atomic.Int64 }

func (l *lateness) record(d time.Duration) {
	i := int(d / (100 * time.Microsecond))
	l.buckets[max(0, min(i, len(l.buckets)-1))].Add(1)
}

func (l *lateness) quantile(q float64) (time.Duration, int64) {
	var total int64
	for i := range l.buckets {
		total += l.buckets[i].Load()
	}
	want, seen := int64(q*float64(total)), int64(0)
	for i := range l.buckets {
		if seen += l.buckets[i].Load(); seen > want {
			return time.Duration(i+1) * 100 * time.Microsecond, total
		}
	}
	return time.Duration(len(l.buckets)) * 100 * time.Microsecond, total
}

// BenchmarkConcurrentCalls holds many answered calls at once, each streaming a
// 6 s prompt while the callee (another process, sending no silence) presses 1
// (RFC 4733) after 4 s, and reports the
// RTP send lateness (p50, p99) against each packet's due time, the memory held
// per call at the peak, and the CPU time per call.
func BenchmarkConcurrentCalls(b *testing.B) {
	for _, calls := range []int{1000} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			var late lateness
			set := &dialer.PromptSet{Greeting: dialertest.Tone(6000), Menu: dialertest.Tone(1000), OK: dialertest.Tone(500), Help: dialertest.Tone(500), NoResponse: dialertest.Tone(500)}
			addr := startCalleeProcess(b, 4*time.Second, false)
			d, err := dialer.New(dialer.Config{
				Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: int(addr.Port())},
				Listen: "127.0.0.1:0", CallerNumber: callerNumber,
				SendLateness: late.record, MaxDuration: time.Minute,
			}, dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set}))
			require.NoError(b, err)
			defer d.Close()
			var failed, active, peakActive atomic.Int64
			var peakMem uint64
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse + ms.StackInuse
			done := make(chan struct{})
			go func() {
				t := time.NewTicker(250 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-done:
						return
					case <-t.C:
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						if m := ms.HeapInuse + ms.StackInuse; m > peakMem && active.Load() >= peakActive.Load() {
							peakMem = m
						}
					}
				}
			}()
			cpu := cpuTime()
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for range calls {
					wg.Go(func() {
						n := active.Add(1)
						for p := peakActive.Load(); n > p && !peakActive.CompareAndSwap(p, n); p = peakActive.Load() {
						}
						defer active.Add(-1)
						res, err := d.Call(context.Background(), person, "fr")
						if err != nil || res.Outcome != wellcheck.OutcomeOK {
							failed.Add(1)
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			close(done)
			p50, _ := late.quantile(0.50)
			p99, packets := late.quantile(0.99)
			b.ReportMetric(float64(p50.Microseconds())/1000, "late-p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "late-p99-ms")
			b.ReportMetric(float64(packets)/float64(b.N), "packets/op")
			b.ReportMetric(float64(peakMem-base)/1024/float64(calls), "KiB/call")
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N*calls), "cpu-ms/call")
			b.ReportMetric(float64(failed.Load()), "failed")
			b.ReportMetric(float64(peakActive.Load()), "peak-calls")
			require.Zero(b, failed.Load(), "calls that did not end ok")
		})
	}
}

// BenchmarkVersusSIPp places the same short calls (answered at once, the key
// by SIP INFO, our BYE) against one callee process, first from our dialer,
// then from SIPp (testdata/sipp/uac_short.xml, which plays no audio: the
// calling side's SIP cost alone), b.N calls each with 64 in flight, and
// reports each side's calls per second and CPU per call, and the ratio of
// the two CPUs. Every call must end ok on both sides.
func BenchmarkVersusSIPp(b *testing.B) {
	bin, err := exec.LookPath("sipp")
	require.NoError(b, err, "SIPp is needed: run make test-deps")
	const inFlight = 64
	addr := startCalleeProcess(b, time.Microsecond, true)
	blip := dialertest.Tone(20)
	set := &dialer.PromptSet{Greeting: blip, Menu: blip, OK: blip, Help: blip, NoResponse: blip}
	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(addr.Port())}, Listen: "127.0.0.1:0",
		CallerNumber: callerNumber, KeyTimeout: 5 * time.Second}, dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set}))
	require.NoError(b, err)
	defer d.Close()

	var failed atomic.Int64
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu, start := cpuTime(), time.Now()
	for range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := d.Call(context.Background(), person, "fr")
			if err != nil || res.Outcome != wellcheck.OutcomeOK {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	ours, ourCPU := time.Since(start), cpuTime()-cpu
	require.Zero(b, failed.Load(), "our calls that did not end ok")

	port := freePorts(b, 1)[0]
	cmd := exec.Command(bin, "-sf", "testdata/sipp/uac_short.xml", "-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-m", fmt.Sprint(b.N), "-l", fmt.Sprint(inFlight), "-r", "100000", "-nostdin", "-nd", "-trace_err",
		"-error_file", b.TempDir()+"/errors.log", addr.String())
	start = time.Now()
	out, err := cmd.CombinedOutput()
	theirs := time.Since(start)
	require.NoError(b, err, "SIPp: every call must end as scripted\n%s", out)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	theirCPU := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	b.StopTimer()

	per := func(cpu time.Duration) float64 { return float64(cpu.Microseconds()) / float64(b.N) }
	b.ReportMetric(float64(b.N)/ours.Seconds(), "ours-calls/s")
	b.ReportMetric(per(ourCPU), "ours-cpu-µs/call")
	b.ReportMetric(float64(b.N)/theirs.Seconds(), "sipp-calls/s")
	b.ReportMetric(per(theirCPU), "sipp-cpu-µs/call")
	b.ReportMetric(per(ourCPU)/per(theirCPU), "cpu-ratio")
}
