//go:build !linux

package main

import (
	"syscall"
	"time"
)

// userTimeout is Linux's TCP_USER_TIMEOUT; elsewhere the connect timeout and
// the per-query contexts bound the waits.
func userTimeout(time.Duration) func(network, address string, c syscall.RawConn) error { return nil }
