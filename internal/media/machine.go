package media

import (
	"math"
	"time"
)

// Answering machines. A person who answers says a word or two ("Allô ?",
// "Oui, bonjour") and waits for whoever called to speak; a machine plays a
// greeting of several seconds ("Bonjour, vous êtes bien chez…, laissez un
// message après le bip") and then, usually, a beep. The detector listens to
// the first seconds after the answer, frame by frame (20 ms), and tells them
// apart two ways:
//
//   - A beep (one steady pure tone) is conclusive, heard at any time: the
//     dialer stops its menu and leaves its message or hangs up.
//   - The first utterance (speech, pauses shorter than machineGap bridged)
//     only labels the answer: one that goes on past machineGreeting is a
//     machine's, a shorter one followed by machineWait of silence a
//     person's, and nothing decided by machineWindow (a silent line) a
//     person's. A person who says a long sentence may be taken for a
//     machine, so this verdict never cuts the menu short: the person still
//     hears it and their key still counts; only when no key comes is the
//     call a voicemail rather than a no response.
//
// The figures were set on a corpus of synthesised greetings and people
// answering (TestMachineDetection: voices of both sexes, French and English,
// two speeds, quiet and noisy lines, through G.711); docs/calls.md gives the
// rates.
const (
	machineFrame    = 160 // samples per frame, 20 ms
	machineGap      = 600 * time.Millisecond
	machineGreeting = 3200 * time.Millisecond
	machineWait     = 900 * time.Millisecond
	machineWindow   = 6 * time.Second
	// machineQuietAfter is how long a machine's greeting must have stopped,
	// without a beep, for a message to start (greetings without a beep).
	machineQuietAfter = 1500 * time.Millisecond
)

// Speech: a frame at least machineSpeechAbove the quietest frames heard (the
// line's noise floor), and at least machineSpeechMin loud.
const (
	machineSpeechAbove = 12.0  // dB
	machineSpeechMin   = -48.0 // dBFS
)

// A beep: one pure tone between beepLow and beepHigh Hz carrying at least
// beepPurity of the energy of beepFrames frames in a row (160 ms), its
// frequency steady within one bin. Speech spreads its energy over several
// harmonics and formants, and its pitch glides: it never holds that long.
// A key's two tones, even 6 dB apart as a line's twist leaves them, put no
// more than 80 % in one (the tone detector takes keys up to 8 dB apart).
const (
	beepLow    = 350.0
	beepHigh   = 2500.0
	beepStep   = 50.0 // Hz between the filters: one bin of a 20 ms frame
	beepPurity = 0.85
	beepFrames = 8
	beepMin    = -40.0 // dBFS
)

// Verdict is who answered, as far as the detector can tell.
type Verdict int

const (
	Undecided Verdict = iota
	Human
	Machine
)

func (v Verdict) String() string {
	switch v {
	case Human:
		return "human"
	case Machine:
		return "machine"
	}
	return "undecided"
}

// beepCoeff are the beep filters' Goertzel coefficients, 2cos(2πf/rate)
// for f from beepLow to beepHigh, beepStep apart: the same for every call.
var beepCoeff = func() []float64 {
	var c []float64
	for f := beepLow; f <= beepHigh; f += beepStep {
		c = append(c, 2*math.Cos(2*math.Pi*f/SampleRate))
	}
	return c
}()

// MachineDetector tells an answering machine from a person in 8 kHz linear
// PCM, and hears a machine's beep. Create it with NewMachineDetector; it is
// not safe for concurrent use.
type MachineDetector struct {
	coeff []float64 // Goertzel coefficients of the beep filters
	frame []int16   // samples of the frame so far

	frames  int     // frames heard
	floor   float64 // noise floor, dBFS
	verdict Verdict

	// The latest utterance: its first and last speech frames (frame
	// numbers; started is false before any speech).
	started           bool
	first, lastSpeech int

	beepBin, beepRun int // the tone held in the latest frames and for how many
	beeps            int // beeps heard
}

// NewMachineDetector returns a detector that has heard nothing yet.
func NewMachineDetector() *MachineDetector {
	return &MachineDetector{coeff: beepCoeff, frame: make([]int16, 0, machineFrame), beepBin: -1}
}

// Write hears pcm, the audio that follows what was written before, and
// returns the verdict so far.
func (d *MachineDetector) Write(pcm []int16) Verdict {
	for len(pcm) > 0 {
		n := min(machineFrame-len(d.frame), len(pcm))
		d.frame = append(d.frame, pcm[:n]...)
		pcm = pcm[n:]
		if len(d.frame) == machineFrame {
			d.hear(d.frame)
			d.frame = d.frame[:0]
		}
	}
	return d.verdict
}

// Verdict is who answered, as far as heard.
func (d *MachineDetector) Verdict() Verdict { return d.verdict }

// Beeps is how many beeps were heard, each counted when it ends, having
// held beepFrames frames or more.
func (d *MachineDetector) Beeps() int { return d.beeps }

// Quiet reports whether speech was heard and has stopped for
// machineQuietAfter: a machine's greeting that ends without a beep.
func (d *MachineDetector) Quiet() bool {
	return d.started && frames(d.frames-1-d.lastSpeech) >= machineQuietAfter && d.beepRun == 0
}

// Level is how loud pcm is, in dBFS as a sine's peak is measured (a full
// scale sine is 0 dBFS).
func Level(pcm []int16) float64 {
	energy := 0.0
	for _, v := range pcm {
		energy += float64(v) * float64(v)
	}
	return levelOf(energy, len(pcm))
}

func levelOf(energy float64, n int) float64 {
	return 10*math.Log10(energy/float64(max(n, 1))/(32768*32768)+1e-12) + 3
}

// frames is the duration of n frames.
func frames(n int) time.Duration { return time.Duration(n) * machineFrame * time.Second / SampleRate }

func (d *MachineDetector) hear(frame []int16) {
	energy := 0.0
	for _, v := range frame {
		energy += float64(v) * float64(v)
	}
	level := levelOf(energy, len(frame))
	now := d.frames
	d.frames++

	if d.tone(frame, energy, level) {
		d.verdict = Machine // even after a pause took it for a person
	}

	// The floor starts at the first frame's level (a phone just picked up:
	// the line's noise, usually), follows quieter frames at once and louder
	// ones slowly (2.5 dB a second), so that a long greeting does not raise
	// it to its own level.
	if level < d.floor || now == 0 {
		d.floor = level
	} else {
		d.floor += min(level-d.floor, 0.05)
	}
	if level >= machineSpeechMin && level-d.floor >= machineSpeechAbove {
		if !d.started || frames(now-d.lastSpeech) > machineGap {
			d.first = now // a new utterance
		}
		d.started, d.lastSpeech = true, now
	}
	if d.verdict != Undecided {
		return
	}
	switch {
	case d.started && frames(d.lastSpeech-d.first+1) > machineGreeting:
		d.verdict = Machine
	case d.started && frames(now-d.lastSpeech) >= machineWait, frames(d.frames) >= machineWindow:
		d.verdict = Human
	}
}

// tone runs the beep filters over frame and reports whether a beep has
// just ended.
func (d *MachineDetector) tone(frame []int16, energy, level float64) bool {
	bin, best := -1, 0.0
	if level >= beepMin {
		for i, c := range d.coeff {
			var s1, s2 float64
			for _, v := range frame {
				s1, s2 = float64(v)+c*s1-s2, s1
			}
			p := s1*s1 + s2*s2 - c*s1*s2
			if p > best {
				bin, best = i, p
			}
		}
		// A sine of amplitude A over N samples gives p ≈ (N·A/2)² and an
		// energy of N·A²/2: their ratio, 2p/(N·energy), is its share.
		if 2*best/(float64(len(frame))*energy) < beepPurity {
			bin = -1
		}
	}
	// A beep counts when it ends: a message left then is recorded whole.
	ended := false
	switch {
	case d.beepBin >= 0 && bin >= 0 && bin-d.beepBin <= 1 && d.beepBin-bin <= 1:
		d.beepRun++
		return false
	case d.beepRun >= beepFrames:
		d.beeps++
		ended = true
	}
	d.beepBin, d.beepRun = bin, 0
	if bin >= 0 {
		d.beepRun = 1
	}
	return ended
}
