// Package logtest captures what code under test logs, so tests can check that a
// log line is there, and that a phone number or a note is not.
package logtest

import (
	"strings"
	"sync"
)

// Buffer is a log destination safe for the goroutines that share a logger.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything logged so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
