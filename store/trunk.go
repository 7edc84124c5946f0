package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// TrunkLimits enforces a trunk's limits across every process that dials through
// it: at most Channels calls at once, at most CPS new calls a second, and nobody
// calling while a backoff is in force. It satisfies dialer.Limiter.
type TrunkLimits struct {
	store    *Store
	trunk    string
	channels int32
	gap      time.Duration // 1/CPS
	lease    time.Duration
	poll     time.Duration
	node     string
}

// TrunkLimitsConfig sets a trunk's limits.
type TrunkLimitsConfig struct {
	Trunk    string  // the trunk's name, the same on every node (e.g. its host:port)
	Channels int     // simultaneous calls
	CPS      float64 // new calls per second
	// Lease is how long a channel stays held if its node dies mid-call: longer than
	// the longest call.
	Lease time.Duration
	// Poll is how often a call waiting for a free channel looks again (default 100 ms).
	Poll time.Duration
}

// NewTrunkLimits registers the trunk and its channels.
func (s *Store) NewTrunkLimits(ctx context.Context, cfg TrunkLimitsConfig) (*TrunkLimits, error) {
	if cfg.Trunk == "" {
		return nil, errors.New("trunk limits: no trunk name")
	}
	if cfg.Channels < 1 {
		return nil, fmt.Errorf("trunk limits: %d channels: need at least 1", cfg.Channels)
	}
	if cfg.CPS <= 0 {
		return nil, fmt.Errorf("trunk limits: %g calls per second: need more than 0", cfg.CPS)
	}
	if cfg.Lease <= 0 {
		return nil, errors.New("trunk limits: no channel lease")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	host, _ := os.Hostname()
	t := &TrunkLimits{
		store: s, trunk: cfg.Trunk, channels: int32(cfg.Channels),
		gap:   time.Duration(float64(time.Second) / cfg.CPS),
		lease: cfg.Lease, poll: cfg.Poll,
		node: host + ":" + strconv.Itoa(os.Getpid()),
	}
	err := s.WithTx(ctx, func(q *Queries) error {
		if err := q.q.EnsureTrunk(ctx, t.trunk); err != nil {
			return err
		}
		return q.q.EnsureTrunkChannels(ctx, dbsqlc.EnsureTrunkChannelsParams{Trunk: t.trunk, Channels: t.channels})
	})
	if err != nil {
		return nil, translate(err, "register trunk limits")
	}
	return t, nil
}

// Acquire waits for a free channel and then for the call's reserved start, which
// keeps every node together under the calls-per-second limit and after any backoff.
// The returned function frees the channel.
func (t *TrunkLimits) Acquire(ctx context.Context) (func(), error) {
	holder := t.node + "/" + strconv.FormatUint(rand.Uint64(), 36)
	q := t.store.Queries().q
	var slot int32
	for {
		var err error
		slot, err = q.TakeTrunkChannel(ctx, dbsqlc.TakeTrunkChannelParams{
			Holder: &holder, Lease: interval(t.lease), Trunk: t.trunk, Channels: t.channels,
		})
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, translate(err, "take a trunk channel")
		}
		if err := sleep(ctx, t.poll/2+rand.N(t.poll)); err != nil {
			return nil, err
		}
	}
	release := func() { t.release(context.WithoutCancel(ctx), slot, holder) }
	for {
		r, err := q.ReserveTrunkStart(ctx, dbsqlc.ReserveTrunkStartParams{Gap: interval(t.gap), Trunk: t.trunk})
		if err != nil {
			release()
			return nil, translate(err, "reserve a call start")
		}
		if err := sleep(ctx, r.StartAt.Sub(r.Now)); err != nil {
			release()
			return nil, err
		}
		// A backoff set while we waited wins over our reservation.
		b, err := q.TrunkBackoffUntil(ctx, t.trunk)
		if err != nil {
			release()
			return nil, translate(err, "read the trunk's backoff")
		}
		if b.BackoffUntil.After(b.Now) {
			continue
		}
		_, err = q.RenewTrunkChannel(ctx, dbsqlc.RenewTrunkChannelParams{Lease: interval(t.lease), Trunk: t.trunk, Slot: slot, Holder: &holder})
		if errors.Is(err, pgx.ErrNoRows) {
			return t.Acquire(ctx) // waited past our lease: take a channel afresh
		}
		if err != nil {
			release()
			return nil, translate(err, "renew a trunk channel")
		}
		return t.keep(ctx, slot, holder, release), nil
	}
}

// keep renews the channel's lease while the call holds it — a check-in
// put through to a listener, a listener's own call, may last far longer
// than a check-in — so that the lease runs out only when its node dies (or
// ctx, the call's, ends without a release). It returns the release to call
// once, when the call is over.
func (t *TrunkLimits) keep(ctx context.Context, slot int32, holder string, release func()) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(t.lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(t.lease/3, 5*time.Second))
				// An error (the database away a moment) leaves the lease as
				// it was: the next tick tries again well before it ends.
				_, _ = t.store.Queries().q.RenewTrunkChannel(ctx, dbsqlc.RenewTrunkChannelParams{Lease: interval(t.lease), Trunk: t.trunk, Slot: slot, Holder: &holder})
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			release()
		})
	}
}

// release frees a channel. A database away keeps it held until its lease
// runs out, and the trunk's calls with it: a call that ended during an
// outage would hold its channel minutes after the database came back. So a
// release that cannot be made is tried again, in the background, until it
// is made or the lease is over.
func (t *TrunkLimits) release(ctx context.Context, slot int32, holder string) {
	params := dbsqlc.ReleaseTrunkChannelParams{Trunk: t.trunk, Slot: slot, Holder: &holder}
	try := func() bool {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return t.store.Queries().q.ReleaseTrunkChannel(ctx, params) == nil
	}
	if try() {
		return
	}
	go func() {
		for wait, end := 200*time.Millisecond, time.Now().Add(t.lease); time.Now().Before(end); wait = min(wait*2, 5*time.Second) {
			time.Sleep(wait)
			if try() {
				return
			}
		}
	}()
}

// Backoff stops every node from starting calls for wait.
func (t *TrunkLimits) Backoff(ctx context.Context, wait time.Duration) error {
	err := t.store.Queries().q.BackOffTrunk(ctx, dbsqlc.BackOffTrunkParams{Wait: interval(wait), Trunk: t.trunk})
	return translate(err, "back off from the trunk")
}

// InUse counts the channels held now, by every node.
func (t *TrunkLimits) InUse(ctx context.Context) (int, error) {
	n, err := t.store.Queries().q.TrunkChannelsInUse(ctx, t.trunk)
	return int(n), translate(err, "count trunk channels in use")
}

func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
