package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password hashing: argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane),
// stored in the PHC string format so parameters can rise later without
// invalidating existing hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16

	// MinPassword and MaxPassword bound a password's length, in characters.
	MinPassword = 12
	MaxPassword = 256
)

// ErrPasswordLength is returned for a password too short or too long.
var ErrPasswordLength = fmt.Errorf("a password has %d to %d characters", MinPassword, MaxPassword)

// PasswordFits reports whether a password has an allowed length.
func PasswordFits(password string) bool {
	n := utf8.RuneCountInString(password)
	return MinPassword <= n && n <= MaxPassword
}

// HashPassword returns the argon2id hash of a password, in PHC format.
func HashPassword(password string) (string, error) {
	if !PasswordFits(password) {
		return "", ErrPasswordLength
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, in time independent of
// where they differ. A malformed hash matches nothing.
func CheckPassword(hash, password string) bool {
	p, err := parseHash(hash)
	if err != nil || utf8.RuneCountInString(password) > MaxPassword {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseHash(s string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return h, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil {
		return h, err
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return h, err
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) == 0 {
		return h, errors.New("bad key")
	}
	return h, nil
}

// DummyHash is checked against when an account does not exist, so that a
// wrong e-mail takes as long as a wrong password.
var DummyHash = func() string {
	h, _ := HashPassword("not the password of anyone")
	return h
}()
