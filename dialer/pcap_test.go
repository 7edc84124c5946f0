package dialer_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

var updatePcap = flag.Bool("update-pcap", false, "rewrite testdata/sipp/dtmf_1_comfort_noise.pcap from SIPp's dtmf_2833_1.pcap")

const (
	sippKeyPcap          = "/usr/share/sip-tester/dtmf_2833_1.pcap"
	comfortNoisePcapPath = "testdata/sipp/dtmf_1_comfort_noise.pcap"
)

// comfortNoisePcap is SIPp's recording of key "1" (RFC 4733, payload type
// 101) as a phone with voice activity detection sends it: five comfort
// noise packets first (payload type 13, which nobody negotiated: the
// phone's keep-alives while silent), then the key's packets with comfort
// noise and a payload type 96 packet between them. The added packets copy
// the recording's Ethernet, IP and UDP headers with the lengths made right
// (SIPp rewrites addresses, ports and checksums when it replays).
func comfortNoisePcap(t *testing.T, src []byte) []byte {
	t.Helper()
	require.Greater(t, len(src), 24, "a pcap file")
	require.Equal(t, uint32(0xa1b2c3d4), binary.LittleEndian.Uint32(src), "a little-endian pcap")
	require.Equal(t, uint32(1), binary.LittleEndian.Uint32(src[20:]), "Ethernet frames")
	type record struct {
		sec, usec uint32
		frame     []byte
	}
	var recs []record
	for rest := src[24:]; len(rest) >= 16; {
		n := int(binary.LittleEndian.Uint32(rest[8:]))
		require.LessOrEqual(t, 16+n, len(rest))
		recs = append(recs, record{binary.LittleEndian.Uint32(rest), binary.LittleEndian.Uint32(rest[4:]), rest[16 : 16+n]})
		rest = rest[16+n:]
	}
	require.NotEmpty(t, recs)
	const eth, ip, udp = 14, 20, 8
	// like returns a frame with r's headers, RTP payload type pt, sequence
	// number seq and payload.
	like := func(r record, pt byte, seq uint16, payload []byte) []byte {
		f := append([]byte(nil), r.frame[:eth+ip+udp+12]...)
		f = append(f, payload...)
		binary.BigEndian.PutUint16(f[eth+2:], uint16(ip+udp+12+len(payload))) // IP total length
		binary.BigEndian.PutUint16(f[eth+ip+4:], uint16(udp+12+len(payload))) // UDP length
		f[eth+ip+udp+1] = pt                                                  // no marker
		binary.BigEndian.PutUint16(f[eth+ip+udp+2:], seq)
		return f
	}
	var out []record
	first := recs[0]
	for i := range 5 {
		usec := first.usec + uint32(i)*20000
		out = append(out, record{first.sec + usec/1e6 - first.usec/1e6, usec % 1e6, like(first, 13, uint16(7000+i), []byte{70})})
	}
	for i, r := range recs {
		out = append(out, r)
		if i%2 == 0 {
			out = append(out, record{r.sec, r.usec, like(r, 13, uint16(7100+i), []byte{70})})
		} else {
			out = append(out, record{r.sec, r.usec, like(r, 96, uint16(7200+i), []byte{1, 2, 3, 4})})
		}
	}
	// The keep-alives go 100 ms before the key: move the key's records.
	var buf bytes.Buffer
	buf.Write(src[:24])
	for i, r := range out {
		sec, usec := r.sec, r.usec
		if i >= 5 {
			usec += 100000
			sec, usec = sec+usec/1e6, usec%1e6
		}
		var h [16]byte
		binary.LittleEndian.PutUint32(h[0:], sec)
		binary.LittleEndian.PutUint32(h[4:], usec)
		binary.LittleEndian.PutUint32(h[8:], uint32(len(r.frame)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(r.frame)))
		buf.Write(h[:])
		buf.Write(r.frame)
	}
	return buf.Bytes()
}

// The recording answer_comfort_noise.xml plays is made from SIPp's own
// (go test ./dialer -run TestComfortNoisePcap -update-pcap writes it).
func TestComfortNoisePcap(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(sippKeyPcap)
	require.NoError(t, err, "SIPp's recordings come with it: make test-deps")
	want := comfortNoisePcap(t, src)
	if *updatePcap {
		require.NoError(t, os.WriteFile(comfortNoisePcapPath, want, 0o644))
	}
	got, err := os.ReadFile(comfortNoisePcapPath)
	require.NoError(t, err)
	require.Equal(t, want, got, "run go test ./dialer -run TestComfortNoisePcap -update-pcap")
}
