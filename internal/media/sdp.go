// Package media is the audio side of a check-in call, shared by the dialer and the
// callee simulator: SDP offers and answers (pion/sdp), RTP streams (pion/rtp) carrying
// G.711 audio, and DTMF as RFC 4733 events or in-band tones.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/sdp/v3"
)

// Codec is an audio codec both sides can speak: G.711 µ-law or A-law at 8 kHz.
type Codec struct {
	Name        string // "PCMU" or "PCMA"
	PayloadType uint8  // the number the peer chose for it
}

// The static payload types of RFC 3551, used in our offers.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0}
	PCMA = Codec{Name: "PCMA", PayloadType: 8}
)

// EventPayloadType is the dynamic payload type our offers give telephone-event/8000.
const EventPayloadType = 101

// DefaultPtime is the packetisation interval when a description names none.
const DefaultPtime = 20 * time.Millisecond

// Direction is an SDP media direction, as the describing side sees it.
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Description is what one side of a call says about its audio: where to send RTP,
// the codec to use, the payload type of telephone events (if any), the packet interval
// and the direction.
type Description struct {
	Addr      netip.AddrPort
	Codec     Codec
	Events    bool  // telephone-event/8000 was offered or accepted
	EventType uint8 // its payload type, when Events
	Ptime     time.Duration
	Direction Direction
	// RTCPMux says the side takes RTCP on its RTP port, demultiplexed by
	// payload type (RFC 5761): proposed in an offer, accepted in an answer.
	RTCPMux bool
	// RTCP is where the side takes RTCP when it is not multiplexed: a=rtcp
	// (RFC 3605), else the RTP port plus one (RFC 3550 §11).
	RTCP netip.AddrPort
}

// Receives reports whether the described side wants our audio.
func (d Description) Receives() bool { return d.Direction == SendRecv || d.Direction == RecvOnly }

// Sends reports whether the described side will send us audio.
func (d Description) Sends() bool { return d.Direction == SendRecv || d.Direction == SendOnly }

// ErrNoAudio means a description has no usable audio stream: no m=audio line, a
// rejected one (port 0), or no codec we speak.
var ErrNoAudio = errors.New("no usable audio stream")

// Offer returns the SDP body of our INVITE: PCMU, PCMA and telephone-event/8000 on
// addr, 20 ms packets, send and receive; RTCP multiplexed on addr if the answer
// accepts it (a=rtcp-mux), on rtcpPort otherwise (a=rtcp). sessionID should differ
// per call.
func Offer(addr netip.AddrPort, rtcpPort uint16, sessionID uint64) ([]byte, error) {
	if rtcpPort == 0 {
		return nil, errors.New("describe audio: no RTCP port")
	}
	return describe(addr, rtcpSide{port: rtcpPort, mux: true}, sessionID, sessionID, []Codec{PCMU, PCMA}, true, EventPayloadType, DefaultPtime, SendRecv)
}

// Answer returns an SDP answer to offer on addr: the offer's first codec, with the
// payload type numbers the offer chose, and telephone events when both want them.
// rtcpPort is where we take RTCP; 0 takes it on addr, accepting the offer's
// rtcp-mux (an offer that did not propose it is an error).
func Answer(offer Description, addr netip.AddrPort, rtcpPort uint16, sessionID uint64, events bool) ([]byte, error) {
	if rtcpPort == 0 && !offer.RTCPMux {
		return nil, errors.New("describe audio: the offer does not multiplex RTCP and we name no RTCP port")
	}
	return describe(addr, rtcpSide{port: rtcpPort, mux: rtcpPort == 0}, sessionID, sessionID, []Codec{offer.Codec}, events && offer.Events, offer.EventType, offer.Ptime, offer.Direction.Reciprocal())
}

// Reciprocal is the direction that answers d (RFC 3264 §6.1): what the
// offerer only sends, the answerer only receives.
func (d Direction) Reciprocal() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// rtcpSide is where a description takes RTCP: on port (a=rtcp) when set, and
// multiplexed with RTP (a=rtcp-mux) when mux.
type rtcpSide struct {
	port uint16
	mux  bool
}

// Session is our side of one call's SDP, offer after answer, for as long as
// the call lasts (RFC 3264 §8): one origin line, whose session id never
// changes and whose version goes up by one each time what we describe
// changes, and only then (a session refresh that changes nothing sends the
// same description back). It is safe for concurrent use.
//
// It carries where we take RTCP too, so that every description of the call
// names the same RTCP as the first: our first offer proposes rtcp-mux and
// names our RTCP port (a=rtcp); once the answer has settled which (see
// SettleRTCP), later offers and answers describe that, since a stream keeps
// the sockets it started with.
type Session struct {
	addr netip.AddrPort
	id   uint64

	mu      sync.Mutex
	rtcp    rtcpSide
	settled bool // SettleRTCP was called: rtcp.mux is what is in force
	version uint64
	last    []byte // the last description we gave, as given
}

// NewSession starts our side of a call's SDP: its media at addr, RTCP on
// rtcpPort unless multiplexed (0: only multiplexed), under session id (and
// first version) id.
func NewSession(addr netip.AddrPort, rtcpPort uint16, id uint64) *Session {
	return &Session{addr: addr, id: id, version: id, rtcp: rtcpSide{port: rtcpPort, mux: true}}
}

// SettleRTCP records what the call's first answer agreed: RTCP multiplexed
// on the media port when mux, on our RTCP port otherwise.
func (s *Session) SettleRTCP(mux bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settled = true
	if mux {
		s.rtcp = rtcpSide{mux: true}
	} else {
		s.rtcp.mux = false
	}
}

// Offer is our full offer: PCMU, PCMA and telephone-event/8000, 20 ms,
// send and receive, as in the INVITE (and in the 200 OK to a re-INVITE
// that carried no offer), with our RTCP.
func (s *Session) Offer() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rtcp.port == 0 && !s.rtcp.mux {
		return nil, errors.New("describe audio: no RTCP port")
	}
	return s.give(s.rtcp, []Codec{PCMU, PCMA}, true, EventPayloadType, DefaultPtime, SendRecv)
}

// Answer answers the peer's offer: its first codec we speak under its
// payload type, telephone events if it offers them, its ptime, and the
// direction that answers its own (hold: sendonly gets recvonly, inactive
// gets inactive). RTCP is as the call settled it: multiplexed, an offer that
// proposes rtcp-mux gets it back, and one that does not is told our RTP port
// as the RTCP port (a=rtcp), where we take RTCP all the same.
func (s *Session) Answer(offer Description) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rtcp := s.rtcp
	switch {
	case rtcp.mux && !offer.RTCPMux:
		rtcp = rtcpSide{port: s.addr.Port()}
	case rtcp.mux && !s.settled:
		rtcp.port = 0 // accepting the offer's mux: no second socket named
	case !rtcp.mux && rtcp.port == 0:
		return nil, errors.New("describe audio: the offer does not multiplex RTCP and we name no RTCP port")
	}
	return s.give(rtcp, []Codec{offer.Codec}, offer.Events, offer.EventType, offer.Ptime, offer.Direction.Reciprocal())
}

// Last is the last description given, as given (nil before any): what a
// session refresh offers again, its version unchanged.
func (s *Session) Last() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.last)
}

// Version is the version of the last description given.
func (s *Session) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// give describes, with s.mu held.
func (s *Session) give(rtcp rtcpSide, codecs []Codec, events bool, eventType uint8, ptime time.Duration, dir Direction) ([]byte, error) {
	body, err := describe(s.addr, rtcp, s.id, s.version, codecs, events, eventType, ptime, dir)
	if err != nil {
		return nil, err
	}
	if s.last != nil && !bytes.Equal(body, s.last) {
		s.version++
		if body, err = describe(s.addr, rtcp, s.id, s.version, codecs, events, eventType, ptime, dir); err != nil {
			return nil, err
		}
	}
	s.last = body
	return body, nil
}

func describe(addr netip.AddrPort, rtcp rtcpSide, sessionID, version uint64, codecs []Codec, events bool, eventType uint8, ptime time.Duration, dir Direction) ([]byte, error) {
	if !addr.IsValid() {
		return nil, fmt.Errorf("describe audio: invalid address %v", addr)
	}
	ip := addr.Addr().Unmap()
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	conn := &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()}}
	audio := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: int(addr.Port())}, Protos: []string{"RTP", "AVP"}},
	}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PayloadType))
		audio.MediaName.Formats = append(audio.MediaName.Formats, pt)
		audio.Attributes = append(audio.Attributes, sdp.NewAttribute("rtpmap", pt+" "+c.Name+"/8000"))
	}
	if events {
		pt := strconv.Itoa(int(eventType))
		audio.MediaName.Formats = append(audio.MediaName.Formats, pt)
		audio.Attributes = append(audio.Attributes,
			sdp.NewAttribute("rtpmap", pt+" telephone-event/8000"),
			sdp.NewAttribute("fmtp", pt+" 0-15"))
	}
	if ptime <= 0 {
		ptime = DefaultPtime
	}
	audio.Attributes = append(audio.Attributes,
		sdp.NewAttribute("ptime", strconv.Itoa(int(ptime/time.Millisecond))),
		sdp.NewPropertyAttribute(string(dir)))
	if rtcp.port != 0 {
		audio.Attributes = append(audio.Attributes, sdp.NewAttribute("rtcp", strconv.Itoa(int(rtcp.port))))
	}
	if rtcp.mux {
		audio.Attributes = append(audio.Attributes, sdp.NewPropertyAttribute("rtcp-mux"))
	}
	s := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "wellcheck", SessionID: sessionID, SessionVersion: version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.String(),
		},
		SessionName:           "wellcheck",
		ConnectionInformation: conn,
		TimeDescriptions:      []sdp.TimeDescription{{}},
		MediaDescriptions:     []*sdp.MediaDescription{audio},
	}
	return s.Marshal()
}

// Parse reads the peer's description (an offer or an answer): its first audio stream
// that is not rejected, the first codec in its list that we speak, under the payload
// type the peer chose, and its telephone-event payload type if it has one.
func Parse(body []byte) (Description, error) {
	var s sdp.SessionDescription
	if err := s.Unmarshal(body); err != nil {
		return Description{}, fmt.Errorf("parse SDP: %w", err)
	}
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if !slices.Equal(m.MediaName.Protos, []string{"RTP", "AVP"}) {
			continue // SRTP or WebRTC profiles: we send plain RTP only
		}
		return parseAudio(&s, m)
	}
	return Description{}, ErrNoAudio
}

func parseAudio(s *sdp.SessionDescription, m *sdp.MediaDescription) (Description, error) {
	d := Description{Ptime: DefaultPtime, Direction: SendRecv}
	for _, a := range s.Attributes { // a session-wide direction, unless the stream names its own
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			d.Direction = Direction(a.Key)
		}
	}

	conn := s.ConnectionInformation
	if m.ConnectionInformation != nil {
		conn = m.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return Description{}, errors.New("parse SDP: audio has no connection address")
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return Description{}, fmt.Errorf("parse SDP: connection address %q is not an IP address", conn.Address.Address)
	}
	port := m.MediaName.Port.Value
	if port < 1 || port > 65535 {
		return Description{}, fmt.Errorf("parse SDP: audio port %d out of range", port)
	}
	d.Addr = netip.AddrPortFrom(ip, uint16(port))
	if port < 65535 {
		d.RTCP = netip.AddrPortFrom(ip, uint16(port+1))
	}

	names := map[uint8]string{0: "PCMU", 8: "PCMA"} // static types need no rtpmap
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, enc, ok := strings.Cut(a.Value, " ")
			n, err := strconv.ParseUint(pt, 10, 7)
			if !ok || err != nil {
				continue
			}
			name, rate, _ := strings.Cut(strings.TrimSpace(enc), "/")
			if rate, _, _ = strings.Cut(rate, "/"); rate != "8000" {
				names[uint8(n)] = "" // not at 8 kHz: not something we can use
				continue
			}
			names[uint8(n)] = strings.ToUpper(name)
		case "ptime":
			ms, err := strconv.Atoi(strings.TrimSpace(a.Value))
			if err == nil && ms >= 10 && ms <= 60 && ms%10 == 0 {
				d.Ptime = time.Duration(ms) * time.Millisecond
			}
		case "sendrecv", "sendonly", "recvonly", "inactive":
			d.Direction = Direction(a.Key)
		case "rtcp-mux":
			d.RTCPMux = true
		case "rtcp":
			if at, ok := parseRTCPAttr(a.Value, ip); ok {
				d.RTCP = at
			}
		}
	}
	found := false
	for _, f := range m.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(n)
		switch names[pt] {
		case "PCMU", "PCMA":
			if !found {
				d.Codec, found = Codec{Name: names[pt], PayloadType: pt}, true
			}
		case "TELEPHONE-EVENT":
			if !d.Events {
				d.Events, d.EventType = true, pt
			}
		}
	}
	if !found {
		return Description{}, fmt.Errorf("%w: offered formats %s", ErrNoAudio, strings.Join(m.MediaName.Formats, " "))
	}
	if ip.IsUnspecified() {
		// The hold of RFC 2543 (c=0.0.0.0), which phones still send: the
		// side that says it wants nothing sent to it.
		switch d.Direction {
		case SendRecv:
			d.Direction = SendOnly
		case RecvOnly:
			d.Direction = Inactive
		}
	}
	return d, nil
}

// parseRTCPAttr reads a=rtcp (RFC 3605): a port, and optionally the network,
// address type and address, the media's address by default.
func parseRTCPAttr(v string, ip netip.Addr) (netip.AddrPort, bool) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, false
	}
	if len(f) == 4 && f[1] == "IN" {
		if at, err := netip.ParseAddr(f[3]); err == nil {
			ip = at
		}
	}
	return netip.AddrPortFrom(ip, uint16(port)), true
}
