package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Calendars keeps the service's calendar and settings for the calls and the
// care that follows them, read again at most every 30 seconds: an admin's
// change reaches them within that. No lock is held while reading: a worker
// holding a connection never waits for another that needs one.
type Calendars struct {
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string

	mu   sync.Mutex
	cal  *Calendar
	set  wellcheck.Settings
	read time.Time
}

// At returns the calendar and settings as of now, read in q's transaction
// when the copy kept is older than 30 seconds.
func (c *Calendars) At(ctx context.Context, q *store.Queries, now time.Time) (*Calendar, wellcheck.Settings, error) {
	c.mu.Lock()
	cal, set, read := c.cal, c.set, c.read
	c.mu.Unlock()
	if cal != nil && now.Sub(read).Abs() < 30*time.Second {
		return cal, set, nil
	}
	cal, set, err := ReadCalendar(ctx, q, now, c.TimeZone)
	if err != nil {
		return nil, set, fmt.Errorf("read the service's calendar: %w", err)
	}
	c.mu.Lock()
	c.cal, c.set, c.read = cal, set, now
	c.mu.Unlock()
	return cal, set, nil
}
