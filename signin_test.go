package wellcheck_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// After three failures a pair waits 1 s, 2 s, 4 s … at most 15 min, and a
// day without failure forgets them.
func TestPairBackoffGrows(t *testing.T) {
	t.Parallel()
	b := wellcheck.DefaultSignInPolicy().Pair
	last := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for n, wait := range map[int]time.Duration{
		0: 0, 1: 0, 2: 0, 3: time.Second, 4: 2 * time.Second, 5: 4 * time.Second,
		12: 512 * time.Second, 13: 15 * time.Minute, 40: 15 * time.Minute, 1000: 15 * time.Minute,
	} {
		now := last.Add(time.Millisecond)
		next := b.Next(wellcheck.FailedSignIns{Count: n, Last: last}, now)
		if wait == 0 {
			require.Equal(t, now, next, "%d failures", n)
		} else {
			require.Equal(t, last.Add(wait), next, "%d failures", n)
		}
	}
	later := last.Add(24 * time.Hour)
	require.Equal(t, later, b.Next(wellcheck.FailedSignIns{Count: 40, Last: last}, later), "forgotten after a day")
}

// A guesser at one address holds back that address's attempts on that
// account, never another address's; spraying holds back the address; a
// distributed attack takes away a pair's free failures, never a fresh
// address's first attempt.
func TestSignInPolicyCheck(t *testing.T) {
	t.Parallel()
	p := wellcheck.DefaultSignInPolicy()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ago := now.Add(-time.Millisecond)
	for name, tc := range map[string]struct {
		f    wellcheck.SignInFailures
		want wellcheck.Throttle
	}{
		"nothing failed":                        {wellcheck.SignInFailures{}, wellcheck.NotThrottled},
		"another address failed, this pair not": {wellcheck.SignInFailures{Account: wellcheck.FailedSignIns{Count: 5, Last: ago}}, wellcheck.NotThrottled},
		"the pair failed three times":           {wellcheck.SignInFailures{Pair: wellcheck.FailedSignIns{Count: 3, Last: ago}, Account: wellcheck.FailedSignIns{Count: 3, Last: ago}}, wellcheck.ThrottledPair},
		"the pair failed twice":                 {wellcheck.SignInFailures{Pair: wellcheck.FailedSignIns{Count: 2, Last: ago}, Account: wellcheck.FailedSignIns{Count: 2, Last: ago}}, wellcheck.NotThrottled},
		"the address sprayed":                   {wellcheck.SignInFailures{Address: wellcheck.FailedSignIns{Count: 20, Last: ago}}, wellcheck.ThrottledAddress},
		"under attack, the pair failed once":    {wellcheck.SignInFailures{Pair: wellcheck.FailedSignIns{Count: 1, Last: ago}, Account: wellcheck.FailedSignIns{Count: 50, Last: ago}}, wellcheck.ThrottledPair},
		"under attack, a fresh address":         {wellcheck.SignInFailures{Account: wellcheck.FailedSignIns{Count: 5000, Last: ago}}, wellcheck.NotThrottled},
		"an attack an hour ago":                 {wellcheck.SignInFailures{Pair: wellcheck.FailedSignIns{Count: 1, Last: now.Add(-time.Hour)}, Account: wellcheck.FailedSignIns{Count: 500, Last: now.Add(-time.Hour)}}, wellcheck.NotThrottled},
	} {
		got, until := p.Check(tc.f, now)
		require.Equal(t, tc.want, got, name)
		require.Equal(t, tc.want != wellcheck.NotThrottled, until.After(now), name)
	}
}
