package mockidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// signingKey is one generated key pair and its go-jose signers.
type signingKey struct {
	kid     string
	alg     jose.SignatureAlgorithm
	private crypto.Signer
	// signers by JWT typ header, created once: go-jose signers are safe for
	// concurrent use and building one per token costs allocations.
	signers map[string]jose.Signer
}

// keySet holds the active key and the retired ones still published in the
// JWKS, as an IDP does around a key rotation.
type keySet struct {
	mu      sync.RWMutex
	active  *signingKey
	retired []*signingKey
	alg     string
}

func generateKey(alg string) (*signingKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		alg = "ES256"
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: priv.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	k := &signingKey{
		kid:     base64.RawURLEncoding.EncodeToString(tp[:12]),
		alg:     jose.SignatureAlgorithm(alg),
		private: priv,
		signers: map[string]jose.Signer{},
	}
	for _, typ := range []string{"JWT", "at+jwt"} {
		if _, err := k.signer(typ); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *signingKey) signer(typ string) (jose.Signer, error) {
	if s, ok := k.signers[typ]; ok {
		return s, nil
	}
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.private, KeyID: k.kid, Algorithm: string(k.alg)}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return nil, err
	}
	k.signers[typ] = s
	return s, nil
}

func newKeySet(alg string) (*keySet, error) {
	k, err := generateKey(alg)
	if err != nil {
		return nil, err
	}
	return &keySet{active: k, alg: alg}, nil
}

// sign signs payload with the active key. Signers for other typ values are
// created under the write lock once.
func (ks *keySet) sign(typ string, payload []byte) (string, error) {
	ks.mu.RLock()
	k := ks.active
	s, ok := k.signers[typ]
	ks.mu.RUnlock()
	if !ok {
		ks.mu.Lock()
		var err error
		s, err = k.signer(typ)
		ks.mu.Unlock()
		if err != nil {
			return "", err
		}
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// rotate makes a new key active; the old one stays in the JWKS so tokens
// signed before remain verifiable.
func (ks *keySet) rotate() (string, error) {
	k, err := generateKey(ks.alg)
	if err != nil {
		return "", err
	}
	ks.mu.Lock()
	ks.retired = append([]*signingKey{ks.active}, ks.retired...)
	ks.active = k
	ks.mu.Unlock()
	return k.kid, nil
}

// jwks returns the public keys as a JWK Set, active key first.
func (ks *keySet) jwks() jose.JSONWebKeySet {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	var set jose.JSONWebKeySet
	for _, k := range append([]*signingKey{ks.active}, ks.retired...) {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.private.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	return set
}

// verify checks a compact JWS against the published keys and returns its
// payload.
func (ks *keySet) verify(token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return nil, err
	}
	set := ks.jwks()
	for _, sig := range jws.Signatures {
		for _, k := range set.Key(sig.Header.KeyID) {
			if p, err := jws.Verify(k.Key); err == nil {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("signature does not verify with any published key")
}

// atHash computes the OIDC at_hash: the left half of SHA-256 of the access
// token, base64url (both ES256 and RS256 use SHA-256).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// jwtID reads the jti claim of a verified payload.
func jwtID(payload []byte) string {
	var c struct {
		ID string `json:"jti"`
	}
	_ = json.Unmarshal(payload, &c)
	return c.ID
}
