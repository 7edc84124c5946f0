package main

import (
	"os/exec"
	"syscall"
)

// detach puts cmd in a process group of its own, so that the terminal's
// Ctrl-C reaches only its parent, which stops it in order; and ends it
// should its parent die.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
