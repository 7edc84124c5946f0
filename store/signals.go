package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Signals is a channel of short messages between the nodes, over
// Postgres's LISTEN and NOTIFY: every node listening hears what any of them
// publishes, itself included, within milliseconds. Nothing is kept: a
// node that is not listening at that moment (its connection lost a while)
// misses it, so what travels here must be worth nothing a little later
// (a call ringing, taken, over).
type Signals struct {
	store   *Store
	channel string
}

// Signals is the channel named channel.
func (s *Store) Signals(channel string) *Signals { return &Signals{store: s, channel: channel} }

// Publish sends payload (at most 8000 bytes) to every node listening.
func (s *Signals) Publish(ctx context.Context, payload []byte) error {
	if _, err := s.store.pool.Exec(ctx, "SELECT pg_notify($1, $2)", s.channel, string(payload)); err != nil {
		return fmt.Errorf("publish on %s: %w", s.channel, err)
	}
	return nil
}

// Subscription hears a channel's messages on a connection of its own, outside
// the pool, until Close.
type Subscription struct {
	ready  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// listenRetry is how long a subscription waits before it connects again.
var listenRetry = []time.Duration{100 * time.Millisecond, time.Second, 5 * time.Second}

// Listen hands heard each message published on the channel, one at a time,
// from its own goroutine. A lost connection is made again (logged): the
// messages sent meanwhile are missed.
func (s *Signals) Listen(heard func(payload []byte), log *slog.Logger) *Subscription {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Subscription{ready: make(chan struct{}), cancel: cancel}
	var once sync.Once
	l.wg.Go(func() {
		failures := 0
		for ctx.Err() == nil {
			err := s.listen(ctx, heard, func() {
				failures = 0
				once.Do(func() { close(l.ready) })
			})
			if ctx.Err() != nil {
				return
			}
			log.Warn("listen to the other nodes: connecting again", "channel", s.channel, "error", err)
			select {
			case <-time.After(listenRetry[min(failures, len(listenRetry)-1)]):
			case <-ctx.Done():
				return
			}
			failures++
		}
	})
	return l
}

// listen holds one connection listening, until it fails or ctx ends.
func (s *Signals) listen(ctx context.Context, heard func([]byte), listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.store.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(closing)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		heard([]byte(n.Payload))
	}
}

// Ready is closed once the listener first listens.
func (l *Subscription) Ready() <-chan struct{} { return l.ready }

// Close stops listening, and returns once heard is no longer called.
func (l *Subscription) Close() {
	l.cancel()
	l.wg.Wait()
}
