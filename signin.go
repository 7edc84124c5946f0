package wellcheck

import "time"

// Signing in is throttled, never locked: failed sign-ins are counted per
// account and client address together (a pair), per address across
// accounts, and per account across addresses, and each count holds back
// only the attempts it names. A guesser at one address slows down itself,
// never the listener at another (OWASP's Authentication and Credential
// Stuffing cheat sheets: no lockout an attacker can trigger, growing
// delays instead).

// Backoff is a rule of growing delays: Free failures are allowed; then each
// attempt waits First after the last failure, twice as long for each failure
// more, at most Max (with Free 0, from the first failure). Failures are
// forgotten once the last is Forget old. An attempt held back is not
// checked, and not counted: only a wrong password makes the wait grow.
type Backoff struct {
	Free   int
	First  time.Duration
	Max    time.Duration
	Forget time.Duration
}

// FailedSignIns are failed sign-ins counted together, and when the last was.
type FailedSignIns struct {
	Count int
	Last  time.Time
}

// Current is how many of f still count at now: none once the last is
// Forget old.
func (b Backoff) Current(f FailedSignIns, now time.Time) int {
	if f.Count <= 0 || !now.Before(f.Last.Add(b.Forget)) {
		return 0
	}
	return f.Count
}

// Next is when an attempt after the failures f may be checked; at or
// before now, it may be checked now.
func (b Backoff) Next(f FailedSignIns, now time.Time) time.Time {
	n := b.Current(f, now)
	if n == 0 || n < b.Free {
		return now
	}
	delay := b.Max
	if shift := n - max(b.Free, 1); shift < 30 {
		delay = min(b.First<<shift, b.Max)
	}
	return f.Last.Add(delay)
}

// SignInPolicy is how sign-ins are throttled.
type SignInPolicy struct {
	// Pair is for one account from one address: the listener who mistypes,
	// or a guesser at one address.
	Pair Backoff
	// Address is for one address across every account, known or not:
	// password spraying.
	Address Backoff
	// AccountCeiling failures on one account from every address within
	// AccountForget mean it is under a distributed attack: then each pair
	// waits from its first failure (Pair.Free is 0). An address that has
	// not failed on the account is still checked at once, so the right
	// password from a new address always gets in.
	AccountCeiling int
	AccountForget  time.Duration
}

// DefaultSignInPolicy: 3 failures free per pair, then 1 s, 2 s, 4 s … up to
// 15 min, forgotten after a day; 20 per address, then the same delays,
// forgotten after an hour; 50 on one account within an hour.
func DefaultSignInPolicy() SignInPolicy {
	return SignInPolicy{
		Pair:           Backoff{Free: 3, First: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour},
		Address:        Backoff{Free: 20, First: time.Second, Max: 15 * time.Minute, Forget: time.Hour},
		AccountCeiling: 50,
		AccountForget:  time.Hour,
	}
}

// SignInFailures are the failures that bear on one attempt; Pair and
// Account are zero for an e-mail no account has.
type SignInFailures struct {
	Pair, Address, Account FailedSignIns
}

// Throttle is what holds an attempt back.
type Throttle string

// What holds an attempt back: nothing, its address, or its pair.
const (
	NotThrottled     Throttle = ""
	ThrottledAddress Throttle = "address"
	ThrottledPair    Throttle = "pair"
)

// AccountFailures is how many of an account's failures from every address
// still count at now.
func (p SignInPolicy) AccountFailures(account FailedSignIns, now time.Time) int {
	return Backoff{Forget: p.AccountForget}.Current(account, now)
}

// UnderAttack is whether an account's failures from every address reach
// the ceiling.
func (p SignInPolicy) UnderAttack(account FailedSignIns, now time.Time) bool {
	return p.AccountCeiling > 0 && p.AccountFailures(account, now) >= p.AccountCeiling
}

// Check says whether an attempt with failures f may have its password
// checked at now, or what holds it back until when. An attempt held back
// is refused without checking the password.
func (p SignInPolicy) Check(f SignInFailures, now time.Time) (Throttle, time.Time) {
	if next := p.Address.Next(f.Address, now); next.After(now) {
		return ThrottledAddress, next
	}
	pair := p.Pair
	if p.UnderAttack(f.Account, now) {
		pair.Free = 0
	}
	if next := pair.Next(f.Pair, now); next.After(now) {
		return ThrottledPair, next
	}
	return NotThrottled, now
}
