package broker

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters for new hashes: the OWASP Password Storage Cheat Sheet
// minimum (19 MiB, 2 passes, 1 lane). Verification stays fast enough to run
// on every new caller connection without inviting memory exhaustion.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// passwordHash is a parsed caller password hash.
type passwordHash struct {
	bcrypt []byte // a bcrypt hash, or nil

	// argon2id parameters and digest
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// HashPassword returns an argon2id hash of password in PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), as accepted in a caller's
// password_hash.
func HashPassword(password []byte) (string, error) {
	if len(password) == 0 {
		return "", errors.New("empty password")
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parsePasswordHash parses an argon2id PHC string or a bcrypt hash.
func parsePasswordHash(s string) (passwordHash, error) {
	switch {
	case s == "":
		return passwordHash{}, errors.New("password_hash is required (make one with `pqx broker hash-password`)")
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return passwordHash{}, fmt.Errorf("bad bcrypt hash: %v", err)
		}
		return passwordHash{bcrypt: []byte(s)}, nil
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"):
		return passwordHash{}, errors.New("only the argon2id variant is accepted")
	}
	return passwordHash{}, errors.New("password_hash must be an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2b$...); plain passwords are not accepted")
}

func parseArgon2id(s string) (passwordHash, error) {
	// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return passwordHash{}, errors.New("bad argon2id hash: want $argon2id$v=19$m=M,t=T,p=P$SALT$HASH")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return passwordHash{}, fmt.Errorf("bad argon2id hash: unsupported version %q (want v=%d)", parts[2], argon2.Version)
	}
	var h passwordHash
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil {
		return passwordHash{}, fmt.Errorf("bad argon2id parameters %q", parts[3])
	}
	if h.memory < 8*uint32(h.threads) || h.time < 1 || h.threads < 1 || h.memory > 4<<20 {
		return passwordHash{}, fmt.Errorf("bad argon2id parameters %q", parts[3])
	}
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return passwordHash{}, errors.New("bad argon2id salt (want unpadded base64, at least 8 bytes)")
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return passwordHash{}, errors.New("bad argon2id digest (want unpadded base64, at least 16 bytes)")
	}
	return h, nil
}

// verify reports whether password matches the hash. It takes constant time
// with respect to the password for a given hash.
func (h passwordHash) verify(password []byte) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, password) == nil
	}
	if h.key == nil {
		return false
	}
	key := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
