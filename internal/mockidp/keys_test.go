package mockidp

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestSignCompactMatchesGoJose checks the fast signing path against
// go-jose: same protected header, and go-jose verifies the signature with
// the published JWK, for both algorithms and both typ values.
func TestSignCompactMatchesGoJose(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		ks, err := newKeySet(alg)
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"JWT", "at+jwt", "application/okta-internal-at+jwt"} {
			payload := []byte(`{"sub":"alice","n":"\u00e9"}`)
			fast, err := ks.sign(typ, payload)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := ks.signJose(typ, payload)
			if err != nil {
				t.Fatal(err)
			}
			fh, _, _ := strings.Cut(fast, ".")
			rh, _, _ := strings.Cut(ref, ".")
			if fh != rh {
				t.Errorf("%s %s: header %s, go-jose %s", alg, typ, fh, rh)
			}
			jws, err := jose.ParseSignedCompact(fast, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			set := ks.jwks()
			got, err := jws.Verify(set.Keys[0].Key)
			if err != nil || string(got) != string(payload) {
				t.Errorf("%s %s: verify %v %q", alg, typ, err, got)
			}
			if p, err := ks.verify(fast); err != nil || string(p) != string(payload) {
				t.Errorf("%s %s: keySet.verify %v", alg, typ, err)
			}
		}
	}
}
