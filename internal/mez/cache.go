package mez

import (
	"crypto/sha256"
	"sync"

	"github.com/pqxdev/pqx/internal/archive"
)

// DeflateCache maps file contents to their deflated form. Deflate is
// deterministic, so a cached result is byte-identical to a fresh one. It is
// safe for concurrent use; its memory lives as long as the cache.
type DeflateCache struct {
	m sync.Map // [sha256.Size]byte -> []byte
}

// deflate returns archive.Deflated(data), from the cache when possible. A nil
// cache compresses every time.
func (c *DeflateCache) deflate(data []byte) []byte {
	if c == nil {
		return archive.Deflated(data)
	}
	key := sha256.Sum256(data)
	if v, ok := c.m.Load(key); ok {
		return v.([]byte)
	}
	z := archive.Deflated(data)
	c.m.Store(key, z)
	return z
}
