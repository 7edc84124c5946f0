package web

import (
	"testing"

	"github.com/wellcheck/wellcheck"
)

func TestDeviceInWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ua, fr, en string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox sur Windows", "Firefox on Windows"},
		{"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari sur iPad", "Safari on iPad"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome sur Android", "Chrome on Android"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge sur Windows", "Edge on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari sur macOS", "Safari on macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1", "Chrome sur iPhone", "Chrome on iPhone"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome sur Linux", "Chrome on Linux"},
		{"", "Appareil inconnu", "Unknown device"},
		{"Go-http-client/1.1", "Appareil inconnu", "Unknown device"},
	} {
		if got := device(wellcheck.French, tc.ua); got != tc.fr {
			t.Errorf("device(fr, %q) = %q, want %q", tc.ua, got, tc.fr)
		}
		if got := device(wellcheck.English, tc.ua); got != tc.en {
			t.Errorf("device(en, %q) = %q, want %q", tc.ua, got, tc.en)
		}
	}
}
