package wellcheck

import "math"

// CallQuality is what a call's audio was like, as its RTP and RTCP told: the
// share of packets lost each way, the jitter, the round trip and an estimated
// MOS. A nil figure was not learned: no audio came from the person's side
// (nothing to measure), or their side sent no RTCP reports (nothing about our
// audio, no round trip).
type CallQuality struct {
	// LossReceivedPct is the share of the person's side's packets that never
	// reached us, in percent.
	LossReceivedPct *float64 `json:"loss_received_pct,omitempty"`
	// LossSentPct is the share of ours that never reached them, in percent,
	// as their reports say.
	LossSentPct *float64 `json:"loss_sent_pct,omitempty"`
	// JitterMS is the interarrival jitter (RFC 3550 A.8) of the worse of the
	// two directions known, in milliseconds.
	JitterMS *float64 `json:"jitter_ms,omitempty"`
	// RTTMS is the round trip from their reports (RFC 3550 §6.4.1), in
	// milliseconds.
	RTTMS *float64 `json:"rtt_ms,omitempty"`
	// MOS is EstimateMOS's, from the figures known.
	MOS *float64 `json:"mos,omitempty"`
}

// Known reports whether anything was learned of the call's audio.
func (q CallQuality) Known() bool {
	return q.LossReceivedPct != nil || q.LossSentPct != nil || q.JitterMS != nil || q.RTTMS != nil || q.MOS != nil
}

// Checked returns q without the figures that cannot be right (not finite,
// or out of their range): a garbled figure must never stop an outcome from
// being recorded.
func (q CallQuality) Checked() CallQuality {
	keep := func(v *float64, lo, hi float64) *float64 {
		if v == nil || math.IsNaN(*v) || *v < lo || *v > hi {
			return nil
		}
		return v
	}
	return CallQuality{
		LossReceivedPct: keep(q.LossReceivedPct, 0, 100), LossSentPct: keep(q.LossSentPct, 0, 100),
		JitterMS: keep(q.JitterMS, 0, math.MaxFloat64), RTTMS: keep(q.RTTMS, 0, math.MaxFloat64), MOS: keep(q.MOS, 1, 5),
	}
}

// EstimateMOS estimates how a G.711 call sounded, from the packets lost (in
// percent, the worse direction), the jitter and the round trip (in
// milliseconds), with a simplified ITU-T G.107 E-model (docs/calls.md):
//
//	d      = rtt/2 + 2·jitter + 20            one-way delay: half the round trip, a jitter buffer, packetisation
//	Id     = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)
//	Ie,eff = 95·loss / (loss + 25.1)          G.711 (Ie = 0) with concealment (Bpl = 25.1), random loss
//	R      = 93.2 − Id − Ie,eff
//	MOS    = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R), 1 below R = 0, 4.5 above R = 100
//
// It returns R and the MOS (1 to 4.5; G.711 at its best scores 4.40).
func EstimateMOS(lossPct, jitterMS, rttMS float64) (r, mos float64) {
	lossPct = min(max(lossPct, 0), 100)
	d := max(rttMS, 0)/2 + 2*max(jitterMS, 0) + 20
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ie := 95 * lossPct / (lossPct + 25.1)
	r = 93.2 - id - ie
	switch {
	case r <= 0:
		return r, 1
	case r >= 100:
		return r, 4.5
	}
	return r, 1 + 0.035*r + 7e-6*r*(r-60)*(100-r)
}
