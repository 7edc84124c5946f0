package calling

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/wellcheck/wellcheck"
)

// A Journal keeps, on the node's own disk, the outcomes of its calls until
// the database has them: each is written and synced before the database is
// tried, and marked recorded after. A node that stops (or dies) with
// outcomes not yet recorded records them when it starts again
// (Calls.Replay), however long the database was away.
//
// Why a local file rather than the database or memory: the database is what
// may be away, and memory dies with the process; a file in the node's state
// directory survives both, costs one fsync a call, and needs nothing else to
// run. It holds ids, times, the outcome and the keys pressed, never a name
// or a number. It keeps the answers of emergency contacts too: a contact's
// "press 1" is a key pressed like any other.
type Journal struct {
	// Damaged is how many lines could not be read when it was opened.
	Damaged int

	mu       sync.Mutex
	f        *os.File
	path     string
	pending  map[int64]wellcheck.Attempt // by attempt id
	contacts map[int64]ContactOutcome    // by escalation call id
}

// journalLine is one line of the file: an outcome to record, or the id of one
// recorded; a check-in's attempt, or a call to an emergency contact.
type journalLine struct {
	Attempt         *journalAttempt `json:"attempt,omitempty"`
	Recorded        int64           `json:"recorded,omitempty"`
	Contact         *ContactOutcome `json:"contact,omitempty"`
	RecordedContact int64           `json:"recorded_contact,omitempty"`
}

// journalAttempt is an attempt as the file keeps it: a format of its own, so
// that a change to wellcheck.Attempt cannot make an old journal unreadable.
type journalAttempt struct {
	ID            int64     `json:"id"`
	CheckInID     int64     `json:"check_in_id"`
	Number        int       `json:"number"`
	StartedAt     time.Time `json:"started_at"`
	EndedAt       time.Time `json:"ended_at"`
	Outcome       string    `json:"outcome"`
	SIPStatus     int       `json:"sip_status,omitempty"`
	CallID        string    `json:"call_id,omitempty"`
	RingMs        int64     `json:"ring_ms,omitempty"`
	TalkMs        int64     `json:"talk_ms,omitempty"`
	Digits        string    `json:"digits,omitempty"`
	FailureReason string    `json:"failure_reason,omitempty"`
	// Quality's figures, absent from journals written before they existed.
	Quality wellcheck.CallQuality `json:"quality,omitzero"`
	// TakenBy, the listener a call was put through to.
	TakenBy *int64 `json:"taken_by,omitempty"`
}

func toJournal(a wellcheck.Attempt) *journalAttempt {
	ja := &journalAttempt{
		ID: a.ID, CheckInID: a.CheckInID, Number: a.Number, StartedAt: a.StartedAt, Outcome: string(a.Outcome),
		SIPStatus: a.SIPStatus, CallID: a.CallID, RingMs: a.Ring.Milliseconds(), TalkMs: a.Talk.Milliseconds(),
		Digits: a.Digits, FailureReason: a.FailureReason, Quality: a.Quality, TakenBy: a.TakenBy,
	}
	if a.EndedAt != nil {
		ja.EndedAt = *a.EndedAt
	}
	return ja
}

func (ja *journalAttempt) attempt() wellcheck.Attempt {
	ended := ja.EndedAt
	return wellcheck.Attempt{
		ID: ja.ID, CheckInID: ja.CheckInID, Number: ja.Number, StartedAt: ja.StartedAt, EndedAt: &ended,
		Outcome: wellcheck.Outcome(ja.Outcome), SIPStatus: ja.SIPStatus, CallID: ja.CallID,
		Ring: time.Duration(ja.RingMs) * time.Millisecond, Talk: time.Duration(ja.TalkMs) * time.Millisecond,
		Digits: ja.Digits, FailureReason: ja.FailureReason, Quality: ja.Quality, TakenBy: ja.TakenBy,
	}
}

// journalFile is the journal's name in its directory.
const journalFile = "outcomes.jsonl"

// OpenJournal opens the journal in dir (created if need be, readable by the
// service's user only) and reads the outcomes it holds that were not
// recorded. One node at a time may use a directory: a second one is refused.
func OpenJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outcome journal: %w", err)
	}
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outcome journal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("outcome journal %s is used by another node (give each node its own directory): %w", path, err)
	}
	j := &Journal{f: f, path: path, pending: map[int64]wellcheck.Attempt{}, contacts: map[int64]ContactOutcome{}}
	if err := j.read(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// read loads what the file holds. A last line cut short (the machine
// stopped while writing it) is cut off: its outcome had not been synced, so
// its call had not gone on as if it were kept.
func (j *Journal) read() error {
	data, err := os.ReadFile(j.path)
	if err != nil {
		return fmt.Errorf("outcome journal: %w", err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for _, line := range lines[:len(lines)-1] {
		var l journalLine
		if err := json.Unmarshal(line, &l); err != nil {
			// A line damaged by a failed write (a full disk): what it held
			// is lost, the rest is not; the node still starts.
			j.Damaged++
			continue
		}
		switch {
		case l.Attempt != nil:
			j.pending[l.Attempt.ID] = l.Attempt.attempt()
		case l.Recorded != 0:
			delete(j.pending, l.Recorded)
		case l.Contact != nil:
			j.contacts[l.Contact.Call] = *l.Contact
		case l.RecordedContact != 0:
			delete(j.contacts, l.RecordedContact)
		}
	}
	if cut := lines[len(lines)-1]; len(cut) > 0 {
		if err := j.f.Truncate(int64(len(data) - len(cut))); err != nil {
			return fmt.Errorf("outcome journal: %w", err)
		}
	}
	return nil
}

// Hold writes a's outcome and syncs it to disk: from here it survives the
// node.
func (j *Journal) Hold(a wellcheck.Attempt) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.append(journalLine{Attempt: toJournal(a)}, true); err != nil {
		return err
	}
	j.pending[a.ID] = a
	return nil
}

// Recorded marks attempt id's outcome as in the database. Once nothing is
// pending, the file starts again empty.
func (j *Journal) Recorded(id int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.pending[id]; !ok {
		return nil
	}
	delete(j.pending, id)
	return j.mark(journalLine{Recorded: id})
}

// HoldContact writes how a call to an emergency contact ended and syncs it.
func (j *Journal) HoldContact(o ContactOutcome) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.append(journalLine{Contact: &o}, true); err != nil {
		return err
	}
	j.contacts[o.Call] = o
	return nil
}

// RecordedContact marks the contact's call (its escalation call id) as in
// the database.
func (j *Journal) RecordedContact(call int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.contacts[call]; !ok {
		return nil
	}
	delete(j.contacts, call)
	return j.mark(journalLine{RecordedContact: call})
}

// mark writes that an outcome was recorded, j.mu held. Once nothing is
// pending, the file starts again empty. The mark is not synced: should it
// be lost, the outcome is recorded again, which its call refuses as
// already ended.
func (j *Journal) mark(l journalLine) error {
	if len(j.pending) == 0 && len(j.contacts) == 0 {
		if err := j.f.Truncate(0); err != nil {
			return fmt.Errorf("outcome journal: %w", err)
		}
		return j.f.Sync()
	}
	return j.append(l, false)
}

// append writes one line; a write that fails part way is cut off, so that
// the next line does not run on from it.
func (j *Journal) append(l journalLine, sync bool) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("outcome journal: %w", err)
	}
	info, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("outcome journal: %w", err)
	}
	if _, err = j.f.Write(append(b, '\n')); err == nil && sync {
		err = j.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("outcome journal: %w", errors.Join(err, j.f.Truncate(info.Size())))
	}
	return nil
}

// Pending is what the journal holds that was not recorded, oldest call first.
func (j *Journal) Pending() []wellcheck.Attempt {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]wellcheck.Attempt, 0, len(j.pending))
	for _, a := range j.pending {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b wellcheck.Attempt) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// PendingContacts is what the journal holds of calls to emergency contacts
// that was not recorded, oldest call first.
func (j *Journal) PendingContacts() []ContactOutcome {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]ContactOutcome, 0, len(j.contacts))
	for _, o := range j.contacts {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b ContactOutcome) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.Call, b.Call))
	})
	return out
}

// Close releases the journal (and its directory, for the next node).
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return errors.Join(j.f.Sync(), j.f.Close())
}
