package dialer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-audio/wav"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/media"
)

// baresip (Debian's, 1.0) plays the person's phone: it answers by itself,
// says what its audio source holds (silence, or a key as tones), presses a
// key as RFC 4733 events when told to (its control socket), and records what
// it hears (the sndfile module), which must hold our prompt. Its SDP names
// the machine's network address while its media leaves from loopback, as a
// phone behind NAT does: the dialer latches onto it. baresip 1.0 cannot send
// a key by SIP INFO; the callee simulator and SIPp cover that. A test
// dependency: `make test-deps` installs it.

// phoneBaresip is a running baresip and its control connection.
type phoneBaresip struct {
	addr   net.Addr // its SIP address
	ctl    net.Conn
	events *bufio.Reader
	rec    string // where it records
}

// startBaresip starts baresip answering automatically, with source as its
// microphone (8 kHz PCM, which must outlast the call: baresip hangs up when
// its source ends).
func startBaresip(t *testing.T, source []int16) *phoneBaresip {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	require.NoError(t, err, "baresip is needed for these tests: run make test-deps (or apt-get install baresip)")
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	require.NoError(t, os.Mkdir(rec, 0o755))
	writeWAV(t, filepath.Join(dir, "source.wav"), source)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"),
		[]byte("<sip:"+person+"@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU\n"), 0o644))
	// Ports found free may be taken by the time baresip binds them: it then
	// exits, and is started again on others.
	for try := 1; ; try++ {
		ports := freePorts(t, 2)
		sipPort, rtp, ctlPort := ports[0], ports[1], freeTCPPort(t)
		config := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
sip_transports udp
audio_source aufile,%s
audio_srate 8000
audio_channels 1
rtp_ports %d-%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
snd_path %s
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
`, sipPort, filepath.Join(dir, "source.wav"), rtp, rtp+1, rec, ctlPort)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o644))
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "-f", dir)
		out, err := os.Create(filepath.Join(dir, "out.log"))
		require.NoError(t, err)
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			cancel()
			<-exited
			out.Close()
		}
		var ctl net.Conn
		deadline := time.Now().Add(10 * time.Second)
		for ctl == nil && time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			case <-time.After(50 * time.Millisecond):
			}
			ctl, _ = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctlPort))
		}
		if ctl == nil {
			stop()
			log, _ := os.ReadFile(filepath.Join(dir, "out.log"))
			require.Less(t, try, 3, "baresip did not start:\n%s", log)
			continue
		}
		t.Cleanup(func() {
			ctl.Close()
			stop()
			if t.Failed() {
				log, _ := os.ReadFile(filepath.Join(dir, "out.log"))
				t.Logf("baresip's output:\n%s", log)
			}
		})
		return &phoneBaresip{addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort}, ctl: ctl, events: bufio.NewReader(ctl), rec: rec}
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// established waits for baresip to say the call is up.
func (p *phoneBaresip) established(t *testing.T) {
	t.Helper()
	require.NoError(t, p.ctl.SetReadDeadline(time.Now().Add(20*time.Second)))
	for {
		msg := p.netstring(t)
		var ev struct {
			Event bool   `json:"event"`
			Type  string `json:"type"`
		}
		if json.Unmarshal(msg, &ev) == nil && ev.Event && ev.Type == "CALL_ESTABLISHED" {
			return
		}
	}
}

// press has baresip send key as RFC 4733 events.
func (p *phoneBaresip) press(t *testing.T, key byte) {
	t.Helper()
	cmd, err := json.Marshal(map[string]string{"command": "sndcode", "params": string(key), "token": "press"})
	require.NoError(t, err)
	_, err = fmt.Fprintf(p.ctl, "%d:%s,", len(cmd), cmd)
	require.NoError(t, err)
}

// netstring reads one message from the control socket.
func (p *phoneBaresip) netstring(t *testing.T) []byte {
	t.Helper()
	n, err := p.events.ReadString(':')
	require.NoError(t, err, "baresip's control socket")
	size, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(n), ":"))
	require.NoError(t, err)
	msg := make([]byte, size+1) // and the trailing comma
	_, err = io.ReadFull(p.events, msg)
	require.NoError(t, err)
	return msg[:size]
}

// heard is what baresip recorded of the call: the decoded audio it received.
func (p *phoneBaresip) heard(t *testing.T) []int16 {
	t.Helper()
	var pcm []int16
	require.Eventually(t, func() bool {
		files, _ := filepath.Glob(filepath.Join(p.rec, "*-dec.wav"))
		if len(files) != 1 {
			return false
		}
		f, err := os.Open(files[0])
		if err != nil {
			return false
		}
		defer f.Close()
		buf, err := wav.NewDecoder(f).FullPCMBuffer()
		if err != nil {
			return false
		}
		pcm = make([]int16, len(buf.Data))
		for i, v := range buf.Data {
			pcm[i] = int16(v)
		}
		return len(pcm) > 0
	}, 5*time.Second, 50*time.Millisecond, "baresip's recording")
	return pcm
}

func writeWAV(t *testing.T, path string, pcm []int16) {
	t.Helper()
	var b bytes.Buffer
	data := 2 * len(pcm)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // PCM, mono, 8 kHz, 16 bits
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, pcm)
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// The person's phone is baresip: it answers, hears our prompt, and its key
// counts, pressed as RFC 4733 events or said as tones by its microphone.
func TestAgainstBaresip(t *testing.T) {
	t.Parallel()
	silence := make([]int16, 30*media.SampleRate)
	withTone := append([]int16(nil), silence...)
	tone, ok := media.GenerateTone('2', 200*time.Millisecond)
	require.True(t, ok)
	copy(withTone[int(1.5*media.SampleRate):], tone) // 1.5 s after the answer

	for _, c := range []struct {
		name    string
		source  []int16
		press   byte // sent as RFC 4733 once the call is up
		outcome wellcheck.Outcome
		digits  string
	}{
		{"a key as RFC 4733 events", silence, '1', wellcheck.OutcomeOK, "1"},
		{"a key as tones from its microphone", withTone, 0, wellcheck.OutcomeHelpRequested, "2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			phone := startBaresip(t, c.source)
			port := phone.addr.(*net.UDPAddr).Port
			d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: port}, Listen: "127.0.0.1:0",
				CallerNumber: callerNumber, RingTimeout: 5 * time.Second, KeyTimeout: 5 * time.Second}, dialertest.ShortPrompts())
			require.NoError(t, err)
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			type result struct {
				res dialer.Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := d.Call(ctx, person, "fr")
				done <- result{res, err}
			}()
			phone.established(t)
			if c.press != 0 {
				time.Sleep(300 * time.Millisecond)
				phone.press(t, c.press)
			}
			r := <-done
			require.NoError(t, r.err)
			require.Equal(t, c.outcome, r.res.Outcome, "%+v", r.res)
			require.Equal(t, c.digits, r.res.Digits)
			require.Equal(t, "us", r.res.HungUpBy)

			// ShortPrompts are 440 Hz tones: what baresip heard is mostly that.
			loud, ours := dialertest.ToneFrames(phone.heard(t), 440)
			require.GreaterOrEqual(t, loud, 5, "baresip heard our prompts (100 ms at least)")
			require.Greater(t, float64(ours)/float64(loud), 0.8, "and they were ours")
		})
	}
}
