package dialer

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
)

func TestReadSessionExpires(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		header, value string
		interval      time.Duration
		refresher     string
		ok            bool
	}{
		{"Session-Expires", "1800;refresher=uac", 30 * time.Minute, "uac", true},
		{"Session-Expires", "90; refresher=UAS", 90 * time.Second, "uas", true},
		{"session-expires", "120", 2 * time.Minute, "", true},
		{"x", "600;refresher=uac", 10 * time.Minute, "uac", true}, // the compact form
		{"Session-Expires", "0;refresher=uac", 0, "", false},
		{"Session-Expires", "soon", 0, "", false},
		{"Min-SE", "90", 0, "", false},
	} {
		res := sip.NewResponse(200, "OK")
		res.AppendHeader(sip.NewHeader(tt.header, tt.value))
		interval, refresher, ok := readSessionExpires(res)
		require.Equal(t, tt.ok, ok, "%s: %s", tt.header, tt.value)
		require.Equal(t, tt.interval, interval, "%s: %s", tt.header, tt.value)
		require.Equal(t, tt.refresher, refresher, "%s: %s", tt.header, tt.value)
	}

	res := sip.NewResponse(statusIntervalTooSmall, "Session Interval Too Small")
	res.AppendHeader(sip.NewHeader("Min-SE", "300"))
	min, ok := minSE(res)
	require.True(t, ok)
	require.Equal(t, 5*time.Minute, min)

	res = sip.NewResponse(200, "OK")
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE"))
	res.AppendHeader(sip.NewHeader("Allow", "update"))
	require.True(t, allows(res, sip.UPDATE))
	require.False(t, allows(res, sip.INFO))
}

func FuzzReadSessionExpires(f *testing.F) {
	f.Add("1800;refresher=uac")
	f.Add("90")
	f.Add("120;refresher=uas;x=y")
	f.Fuzz(func(t *testing.T, value string) {
		res := sip.NewResponse(200, "OK")
		res.AppendHeader(sip.NewHeader("Session-Expires", value))
		interval, refresher, ok := readSessionExpires(res)
		if ok && interval <= 0 {
			t.Fatalf("interval %s from %q", interval, value)
		}
		if !ok && (interval != 0 || refresher != "") {
			t.Fatalf("%s, %q without ok", interval, refresher)
		}
	})
}
