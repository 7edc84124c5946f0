package netsim_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/netsim"
)

func endpoint(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func addr(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// The line loses its share of packets, delays the others within its
// bounds, reorders some, and carries both ways.
func TestAPoorLine(t *testing.T) {
	t.Parallel()
	a, b := endpoint(t), endpoint(t)
	r, err := netsim.New(netsim.Config{Loss: 0.1, Delay: 10 * time.Millisecond, Jitter: 60 * time.Millisecond, Seed: 1}, addr(a), addr(b))
	require.NoError(t, err)
	defer r.Close()

	const n = 1000
	var sent [n]time.Time
	type arrival struct {
		i    int
		at   time.Time
		from netip.AddrPort
	}
	arrivals := make(chan []arrival)
	go func() {
		var got []arrival
		buf := make([]byte, 16)
		for {
			_ = b.SetReadDeadline(time.Now().Add(time.Second))
			m, from, err := b.ReadFromUDPAddrPort(buf)
			if err != nil {
				arrivals <- got
				return
			}
			got = append(got, arrival{int(binary.BigEndian.Uint32(buf[:m])), time.Now(), from})
		}
	}()
	for i := range n {
		sent[i] = time.Now()
		_, err := a.WriteToUDPAddrPort(binary.BigEndian.AppendUint32(nil, uint32(i)), r.AddrForA())
		require.NoError(t, err)
		time.Sleep(time.Millisecond)
	}
	all := <-arrivals
	got, reordered, last := len(all), 0, -1
	for _, x := range all {
		require.Equal(t, r.AddrForB(), x.from, "B hears A from the relay")
		took := x.at.Sub(sent[x.i])
		require.GreaterOrEqual(t, took, 10*time.Millisecond)
		require.Less(t, took, 150*time.Millisecond)
		if x.i < last {
			reordered++
		}
		last = max(last, x.i)
	}
	require.InDelta(t, 0.9*n, got, 0.04*n, "about 10 %% lost")
	require.Positive(t, reordered, "jitter reorders")
	require.EqualValues(t, n, r.Stats().Forwarded+r.Stats().Lost)

	buf := make([]byte, 16)
	_, err = b.WriteToUDPAddrPort([]byte("back"), r.AddrForB())
	require.NoError(t, err)
	require.NoError(t, a.SetReadDeadline(time.Now().Add(2*time.Second)))
	for { // the way back loses its share too: send until one arrives
		m, from, err := a.ReadFromUDPAddrPort(buf)
		if err == nil {
			require.Equal(t, "back", string(buf[:m]))
			require.Equal(t, r.AddrForA(), from)
			break
		}
		_, err = b.WriteToUDPAddrPort([]byte("back"), r.AddrForB())
		require.NoError(t, err)
		require.NoError(t, a.SetReadDeadline(time.Now().Add(time.Second)))
	}
}

func TestAPoorLineIsChecked(t *testing.T) {
	_, err := netsim.New(netsim.Config{Loss: 1.5}, netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2"))
	require.ErrorContains(t, err, "loss 1.5")
}
