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
	"strings"
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
	// headers caches the base64url protected header per typ for the
	// compact fast path (signCompact).
	headers map[string]string
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
		headers: map[string]string{},
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
	// The same protected header go-jose writes, for signCompact.
	jws, err := s.Sign([]byte("{}"))
	if err != nil {
		return nil, err
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	k.headers[typ], _, _ = strings.Cut(compact, ".")
	return s, nil
}

// signCompact produces the same compact JWS as the go-jose signer, with the
// protected header encoded once per key instead of per token. Token
// responses are dominated by signing; go-jose re-marshals the header with
// reflection on every call. Tests check the output verifies with go-jose.
func (k *signingKey) signCompact(header string, payload []byte) (string, error) {
	n := len(header) + 1 + base64.RawURLEncoding.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+base64.RawURLEncoding.EncodedLen(512))
	copy(buf, header)
	buf[len(header)] = '.'
	base64.RawURLEncoding.Encode(buf[len(header)+1:], payload)
	sum := sha256.Sum256(buf)
	var sig []byte
	switch key := k.private.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64) // RFC 7518 §3.4: R || S, 32 octets each
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("unsupported key %T", key)
	}
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), nil
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
	h, ok := k.headers[typ]
	ks.mu.RUnlock()
	if !ok {
		ks.mu.Lock()
		_, err := k.signer(typ)
		h = k.headers[typ]
		ks.mu.Unlock()
		if err != nil {
			return "", err
		}
	}
	return k.signCompact(h, payload)
}

// signJose signs through go-jose; the reference for signCompact.
func (ks *keySet) signJose(typ string, payload []byte) (string, error) {
	ks.mu.Lock()
	s, err := ks.active.signer(typ)
	ks.mu.Unlock()
	if err != nil {
		return "", err
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
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
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
