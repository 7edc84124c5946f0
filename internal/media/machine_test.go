package media_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
	"golang.org/x/sync/errgroup"

	"github.com/wellcheck/wellcheck/internal/media"
)

// Recorded answers, synthesised: espeak-ng speaks them in several voices
// (both sexes, French and English) and speeds, sox brings them to the
// telephone's 8 kHz. A machine's greeting is followed by a beep (several
// pitches and lengths; some have none); a person says "allô ?" or a few
// words, sometimes twice, and listens. Each goes through G.711 with the
// line's noise, as the dialer hears it. espeak-ng and sox are test
// dependencies: `make test-deps` installs them.

var (
	machineTexts = map[string][]string{
		"fr": {
			"Bonjour, vous êtes bien chez Marie et Paul. Nous sommes absents, laissez-nous un message.",
			"Bonjour, c'est Jeanne. Laissez un message après le bip.",
			"Votre correspondant n'est pas disponible. Veuillez laisser un message après le signal sonore.",
			"Bonjour, vous êtes sur le répondeur de Monsieur Bernard Lefèvre. Je ne peux pas vous répondre pour le moment, merci de me laisser un message et je vous rappellerai dès que possible.",
			"Laissez un message.",
		},
		"en": {
			"Hi, you've reached Mary and John. We can't come to the phone right now, please leave a message.",
			"Hello, this is Anne. Leave a message after the tone.",
			"The person you are calling is not available. Please leave a message after the tone.",
			"Leave a message.",
		},
	}
	humanTexts = map[string][]string{
		"fr": {"Allô ?", "Oui, allô ?", "Allô, oui ?", "Oui ?", "Allô, bonjour.", "Oui, j'écoute.", "Allô, qui est à l'appareil ?", "Allô ? Allô ?", "Allô, oui, bonjour, c'est à quel sujet ?"},
		"en": {"Hello?", "Yes, hello?", "Hello, who's this?", "Hi.", "Hello? Hello?", "Hello, yes, good morning, who is calling please?"},
	}
	voices = map[string][]string{
		"fr": {"fr+m1", "fr+f2", "fr+m3", "fr+f4"},
		"en": {"en+m1", "en+f2", "en-us+m3", "en-us+f4"},
	}
	speeds = []int{150, 180}
	// beeps: Hz and length; 0 Hz is a greeting without one.
	beeps = []struct {
		hz float64
		d  time.Duration
	}{{1000, 400 * time.Millisecond}, {1400, 250 * time.Millisecond}, {850, 600 * time.Millisecond}, {440, 500 * time.Millisecond}, {0, 0}}
)

// speak returns text said by voice at speed (words a minute) as 8 kHz PCM.
func speak(t *testing.T, voice string, speed int, text string) []int16 {
	t.Helper()
	espeak, err := exec.LookPath("espeak-ng")
	require.NoError(t, err, "espeak-ng is needed for these tests: run make test-deps (or apt-get install espeak-ng sox)")
	sox, err := exec.LookPath("sox")
	require.NoError(t, err, "sox is needed for these tests: run make test-deps")
	wav, err := exec.Command(espeak, "-v", voice, "-s", fmt.Sprint(speed), "--stdout", text).Output()
	require.NoError(t, err, "espeak-ng %s", voice)
	cmd := exec.Command(sox, "-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-", "gain", "-n", "-6")
	cmd.Stdin = bytes.NewReader(wav)
	raw, err := cmd.Output()
	require.NoError(t, err, "sox")
	pcm := make([]int16, len(raw)/2)
	require.NoError(t, binary.Read(bytes.NewReader(raw), binary.LittleEndian, pcm))
	return pcm
}

func silence(d time.Duration) []int16 { return make([]int16, int(d.Seconds()*media.SampleRate)) }

func sine(hz float64, d time.Duration, dbfs float64) []int16 {
	a := 32767 * math.Pow(10, dbfs/20)
	out := make([]int16, int(d.Seconds()*media.SampleRate))
	for n := range out {
		out[n] = int16(a * math.Sin(2*math.Pi*hz*float64(n)/media.SampleRate))
	}
	return out
}

// line adds the line's noise at dbfs and passes pcm through G.711 μ-law.
func line(pcm []int16, dbfs float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	sigma := 32767 * math.Pow(10, dbfs/20) / math.Sqrt2
	lin := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		x := float64(v) + r.NormFloat64()*sigma
		binary.LittleEndian.PutUint16(lin[2*i:], uint16(int16(max(min(x, 32767), -32768))))
	}
	dec := g711.DecodeUlaw(g711.EncodeUlaw(lin))
	out := make([]int16, len(pcm))
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(dec[2*i:]))
	}
	return out
}

type answer struct {
	name    string
	machine bool
	pcm     []int16
}

// answers builds the corpus.
func answers(t *testing.T) []answer {
	t.Helper()
	var (
		mu  sync.Mutex
		out []answer
		g   errgroup.Group
	)
	g.SetLimit(4)
	add := func(a answer) {
		mu.Lock()
		out = append(out, a)
		mu.Unlock()
	}
	n := 0
	for lang, vs := range voices {
		for vi, voice := range vs {
			for _, speed := range speeds {
				for ti, text := range machineTexts[lang] {
					n++
					seed, beep := uint64(n), beeps[(ti+vi)%len(beeps)]
					g.Go(func() error {
						pcm := append(silence(400*time.Millisecond), speak(t, voice, speed, text)...)
						pcm = append(pcm, silence(300*time.Millisecond)...)
						if beep.hz > 0 {
							pcm = append(pcm, sine(beep.hz, beep.d, -10)...)
						}
						pcm = append(pcm, silence(3*time.Second)...)
						add(answer{fmt.Sprintf("machine %s %d %q beep %.0f Hz", voice, speed, text, beep.hz), true, line(pcm, noiseOf(seed), seed)})
						return nil
					})
				}
				for _, text := range humanTexts[lang] {
					n++
					seed := uint64(n)
					g.Go(func() error {
						// The phone picked up, a word or two, then listening.
						pcm := append(silence(600*time.Millisecond), speak(t, voice, speed, text)...)
						pcm = append(pcm, silence(6*time.Second)...)
						add(answer{fmt.Sprintf("person %s %d %q", voice, speed, text), false, line(pcm, noiseOf(seed), seed)})
						return nil
					})
				}
			}
		}
	}
	require.NoError(t, g.Wait())
	return out
}

// noiseOf is a quiet line for most answers and a noisy one (-45 dBFS) for
// one in three.
func noiseOf(seed uint64) float64 {
	if seed%3 == 0 {
		return -45
	}
	return -65
}

// The detector on the corpus: how many machines it finds; how many persons
// it takes for machines (which only labels a call they press no key in)
// and, the harm, how many it hears a beep from (which cuts the menu short);
// and how soon it decides. The figures go to docs/calls.md.
func TestMachineDetection(t *testing.T) {
	t.Parallel()
	corpus := answers(t)
	var machines, persons, found, beeped, falseMachine, falseBeep int
	var decided []time.Duration
	for _, a := range corpus {
		d := media.NewMachineDetector()
		verdict, at := media.Undecided, time.Duration(0)
		for i := 0; i < len(a.pcm); i += 160 {
			v := d.Write(a.pcm[i:min(i+160, len(a.pcm))])
			if v == media.Machine && verdict != media.Machine {
				verdict, at = v, time.Duration(i+160)*time.Second/media.SampleRate
			}
		}
		switch {
		case a.machine:
			machines++
			if verdict == media.Machine {
				found++
				decided = append(decided, at)
			} else {
				t.Logf("missed: %s", a.name)
			}
			if d.Beeps() > 0 {
				beeped++
			}
		default:
			persons++
			if verdict == media.Machine {
				falseMachine++
				t.Logf("taken for a machine: %s (beeps %d)", a.name, d.Beeps())
			}
			if d.Beeps() > 0 {
				falseBeep++
			}
		}
	}
	slicesSort(decided)
	t.Logf("%d machines: %d found (%.1f %%), %d missed, a beep heard from %d; %d persons: %d taken for machines (%.1f %%), a beep heard from %d; machines found after a median %v",
		machines, found, 100*float64(found)/float64(machines), machines-found, beeped, persons, falseMachine,
		100*float64(falseMachine)/float64(persons), falseBeep, decided[len(decided)/2])
	require.GreaterOrEqual(t, float64(found)/float64(machines), 0.9, "machines found")
	require.LessOrEqual(t, float64(falseMachine)/float64(persons), 0.06, "persons taken for machines")
	require.Zero(t, falseBeep, "a beep from a person: their menu would be cut short")
}

func slicesSort(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// A beep is heard at any of the usual pitches, and only a steady tone is
// one: speech, a DTMF key (two tones) and a short blip are not.
func TestBeep(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		pcm  []int16
		want int
	}{
		{"1000 Hz, 400 ms", sine(1000, 400*time.Millisecond, -10), 1},
		{"440 Hz, 200 ms", sine(440, 200*time.Millisecond, -20), 1},
		{"2100 Hz, 300 ms, quiet", sine(2100, 300*time.Millisecond, -35), 1},
		{"1000 Hz, 100 ms: a blip", sine(1000, 100*time.Millisecond, -10), 0},
		{"too quiet", sine(1000, 400*time.Millisecond, -50), 0},
		{"a key", mustTone(t, '5'), 0},
		{"a key whose high tone the line weakened by 6 dB", twisted(697, 1209, 6), 0},
	} {
		d := media.NewMachineDetector()
		d.Write(silence(200 * time.Millisecond))
		d.Write(line(c.pcm, -65, 1))
		d.Write(silence(200 * time.Millisecond))
		require.Equal(t, c.want, d.Beeps(), c.name)
	}
}

// twisted is key 1's two tones for 400 ms, the high one db weaker than the
// low one (-10 dBFS), as a line's twist leaves them.
func twisted(low, high, db float64) []int16 {
	pcm := sine(low, 400*time.Millisecond, -10)
	for i, v := range sine(high, 400*time.Millisecond, -10-db) {
		pcm[i] += v
	}
	return pcm
}

func mustTone(t *testing.T, key byte) []int16 {
	pcm, ok := media.GenerateTone(key, 400*time.Millisecond)
	require.True(t, ok)
	return pcm
}
