package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// typicalFiles is a connector of about 30 KB: a 20 KB section document,
// resources, a module and eight icons.
func typicalFiles() []file {
	files := []file{
		{"Contoso.pq", append([]byte("section Contoso;\r\n[DataSource.Kind=\"Contoso\", Publish=\"Contoso.Publish\"]\r\n"),
			bytes.Repeat([]byte("shared Contoso.Contents = (url as text) => Web.Contents(url);\r\n"), 320)...)},
		{"Helpers.pqm", bytes.Repeat([]byte("Table.TransformColumns(t, {{\"a\", Number.From}}),\r\n"), 60)},
		{"resources.resx", bytes.Repeat([]byte("<data name=\"k\"><value>Contoso connector</value></data>\r\n"), 60)},
	}
	for _, n := range []int{16, 20, 24, 32, 40, 48, 64, 80} {
		icon := make([]byte, 300+4*n)
		for i := range icon {
			icon[i] = byte(i * n)
		}
		files = append(files, file{fmt.Sprintf("Contoso%d.png", n), icon})
	}
	return files
}

func benchPackage(b *testing.B) ([]byte, Signer) {
	pqx := unsignedPQX(b, typicalFiles())
	total := 0
	for _, f := range typicalFiles() {
		total += len(f.data)
	}
	b.SetBytes(int64(total))
	return pqx, testSigner(b, 0)
}

// BenchmarkRSA2048Sign is the bare cost that signing a package is compared
// with.
func BenchmarkRSA2048Sign(b *testing.B) {
	key := testKey(b, 0)
	digest := sha256.Sum256([]byte("SignedInfo"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSA2048Verify is the bare cost that verifying is compared with.
func BenchmarkRSA2048Verify(b *testing.B) {
	key := testKey(b, 0)
	digest := sha256.Sum256([]byte("SignedInfo"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignPackage(b *testing.B) {
	pqx, s := benchPackage(b)
	opt := Options{Time: fixedTime, Seed: []byte("bench")}
	for b.Loop() {
		if _, err := Package(pqx, s, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPackage(b *testing.B) {
	pqx, s := benchPackage(b)
	signed, err := Package(pqx, s, Options{Time: fixedTime})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Verify(signed, VerifyOptions{})
		if err != nil || rep.SignatureStatus != Success {
			b.Fatal(rep, err)
		}
	}
}

// BenchmarkSignBatch1000 signs 1,000 packages per operation on
// GOMAXPROCS workers, as "pqx sign 'dist/**/*.pqx'" does.
func BenchmarkSignBatch1000(b *testing.B) {
	pqx, s := benchPackage(b)
	b.SetBytes(0)
	opt := Options{Time: fixedTime}
	workers := runtime.GOMAXPROCS(0)
	for b.Loop() {
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if _, err := Package(pqx, s, opt); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for i := range 1000 {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
	}
	b.ReportMetric(float64(workers), "workers")
}
