package opc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pqxdev/pqx/internal/mez"
)

const benchSets = 1000

// connectorSet returns the files of one generated connector: a section
// document of about 9 KB, resources.resx, eight icons (noisy, so they
// compress poorly, as PNGs do), a LICENSE and an empty file.
func connectorSet(i int) []mez.File {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	kind := fmt.Sprintf("Tenant%04d", i)
	var pq strings.Builder
	fmt.Fprintf(&pq, "section %s;\n\n[DataSource.Kind=%q, Publish=%q]\n", kind, kind, kind+".Publish")
	for j := range 60 {
		fmt.Fprintf(&pq, "shared %s.Fn%d = (x as text) => Web.Contents(\"https://cdr%d.example.org/ehr\", [Query=[q=x, n=%q]]);\n", kind, j, r.IntN(1000), fmt.Sprint(r.Uint64()))
	}
	files := []mez.File{
		{Name: kind + ".pq", Data: []byte(pq.String())},
		{Name: "resources.resx", Data: []byte(strings.Repeat(fmt.Sprintf("<data name=%q><value>%s</value></data>\n", kind, kind), 40))},
		{Name: "LICENSE", Data: []byte("MIT License\n\nCopyright (c) pqx tests\n")},
		{Name: "empty.txt"},
	}
	for _, px := range []int{16, 20, 24, 32, 40, 48, 64, 80} {
		icon := make([]byte, 200+px*12)
		for k := range icon {
			icon[k] = byte(r.IntN(40)) // low-entropy noise: compresses somewhat, like small PNGs
		}
		files = append(files, mez.File{Name: fmt.Sprintf("%s%d.png", kind, px), Data: icon})
	}
	return files
}

func benchInput() ([][]mez.File, int64) {
	sets := make([][]mez.File, benchSets)
	var n int64
	for i := range sets {
		sets[i] = connectorSet(i)
		for _, f := range sets[i] {
			n += int64(len(f.Data))
		}
	}
	return sets, n
}

// BenchmarkPackage1000 packages 1,000 connector file sets. MB/s counts the
// uncompressed input bytes of the 1,000 sets once per op.
//
//	mez          .mez only, in memory
//	mez+pqx      .mez and .pqx, each file compressed once (mez.Prepare)
//	mez+pqx-par  the same on GOMAXPROCS goroutines, as pqx build does
//	disk         read from disk with mez.Collect, write .mez and .pqx files
//	zip-cli      "zip -X -q" on the same files on disk, one .zip per set
//	             (a .mez equivalent only: zip cannot write the .pqx)
func BenchmarkPackage1000(b *testing.B) {
	sets, total := benchInput()
	var mezOut, pqxOut int64
	b.Run("mez", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			mezOut = 0
			for _, files := range sets {
				buf.Reset()
				if err := mez.Write(&buf, files, mez.Options{}); err != nil {
					b.Fatal(err)
				}
				mezOut += int64(buf.Len())
			}
		}
		b.ReportMetric(float64(mezOut)/benchSets, "mez-bytes/set")
	})
	b.Run("mez+pqx", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		var mb, pb bytes.Buffer
		for b.Loop() {
			pqxOut = 0
			for _, files := range sets {
				mb.Reset()
				pb.Reset()
				p, err := mez.Prepare(files, mez.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if err := mez.WritePrepared(&mb, p, mez.Options{}); err != nil {
					b.Fatal(err)
				}
				if err := WritePrepared(&pb, p, Options{}); err != nil {
					b.Fatal(err)
				}
				pqxOut += int64(pb.Len())
			}
		}
		b.ReportMetric(float64(pqxOut)/benchSets, "pqx-bytes/set")
	})
	b.Run("mez+pqx-par", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		workers := runtime.GOMAXPROCS(0)
		for b.Loop() {
			var wg sync.WaitGroup
			next := make(chan []mez.File)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mb, pb bytes.Buffer
					for files := range next {
						mb.Reset()
						pb.Reset()
						p, err := mez.Prepare(files, mez.Options{})
						if err == nil {
							err = mez.WritePrepared(&mb, p, mez.Options{})
						}
						if err == nil {
							err = WritePrepared(&pb, p, Options{})
						}
						if err != nil {
							panic(err)
						}
					}
				}()
			}
			for _, files := range sets {
				next <- files
			}
			close(next)
			wg.Wait()
		}
	})

	root := b.TempDir()
	dirs := make([]string, len(sets))
	for i, files := range sets {
		dirs[i] = filepath.Join(root, fmt.Sprintf("c%04d", i))
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dirs[i], f.Name), f.Data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	out := filepath.Join(root, "out")
	os.MkdirAll(out, 0o755)
	b.Run("disk", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		var mb, pb bytes.Buffer
		for b.Loop() {
			for i, dir := range dirs {
				files, err := mez.Collect(dir)
				if err != nil {
					b.Fatal(err)
				}
				mb.Reset()
				pb.Reset()
				p, _ := mez.Prepare(files, mez.Options{})
				mez.WritePrepared(&mb, p, mez.Options{})
				WritePrepared(&pb, p, Options{})
				if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%d.mez", i)), mb.Bytes(), 0o644); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%d.pqx", i)), pb.Bytes(), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("zip-cli", func(b *testing.B) {
		zip, err := exec.LookPath("zip")
		if err != nil {
			b.Skip("zip is not installed")
		}
		b.SetBytes(total)
		var zipOut int64
		for b.Loop() {
			zipOut = 0
			for i, dir := range dirs {
				target := filepath.Join(out, fmt.Sprintf("%d.zip", i))
				os.Remove(target)
				args := []string{"-X", "-q", target}
				for _, f := range sets[i] {
					args = append(args, f.Name)
				}
				cmd := exec.Command(zip, args...)
				cmd.Dir = dir
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("zip: %v\n%s", err, msg)
				}
				if fi, err := os.Stat(target); err == nil {
					zipOut += fi.Size()
				}
			}
		}
		b.ReportMetric(float64(zipOut)/benchSets, "zip-bytes/set")
	})
}
