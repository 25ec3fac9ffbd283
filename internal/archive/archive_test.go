package archive

import (
	stdzip "archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

// hostile builds an archive with archive/zip, which writes whatever names
// and declared sizes it is given.
func hostile(t *testing.T, build func(zw *stdzip.Writer)) *bytes.Reader {
	t.Helper()
	var b bytes.Buffer
	zw := stdzip.NewWriter(&b)
	build(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

func add(t *testing.T, zw *stdzip.Writer, name, data string) {
	t.Helper()
	w, err := zw.CreateHeader(&stdzip.FileHeader{Name: name, Method: stdzip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(data))
}

func TestReadValid(t *testing.T) {
	data := strings.Repeat("section Foo; shared Foo.Contents = 1;\n", 100)
	r := hostile(t, func(zw *stdzip.Writer) {
		add(t, zw, "Foo.pq", data)
		add(t, zw, "empty.txt", "")
		add(t, zw, "_rels/.rels", "<x/>")
	})
	a, err := Read(r, r.Size(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Entries) != 3 {
		t.Fatalf("got %d entries", len(a.Entries))
	}
	e := a.Lookup("Foo.pq")
	if e == nil || e.Method != Deflate || e.Size != int64(len(data)) {
		t.Fatalf("bad entry %+v", e)
	}
	got, err := e.ReadAll()
	if err != nil || string(got) != data {
		t.Fatalf("ReadAll = %d bytes, %v", len(got), err)
	}
	if got, err := a.Lookup("empty.txt").ReadAll(); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
}

func TestReadHostile(t *testing.T) {
	lim := Limits{MaxEntries: 10, MaxEntrySize: 1000, MaxTotalSize: 1500, MaxNameLen: 50}
	tests := []struct {
		name  string
		build func(t *testing.T, zw *stdzip.Writer)
		want  string
		kind  error
	}{
		{"zip slip", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "../evil.pq", "x") }, `entry "../evil.pq": ".." path segment`, nil},
		{"zip slip nested", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "a/../../evil", "x") }, `".." path segment`, nil},
		{"absolute", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "/etc/passwd", "x") }, "absolute path", nil},
		{"backslash", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, `..\evil.pq`, "x") }, "backslash", nil},
		{"drive", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "C:evil", "x") }, "drive letter", nil},
		{"nul", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "a\x00b", "x") }, "control character", nil},
		{"empty segment", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "a//b", "x") }, "empty path segment", nil},
		{"duplicate", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "a.pq", "x"); add(t, zw, "a.pq", "y") }, "duplicate entry name", nil},
		{"case duplicate", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, "A.pq", "x"); add(t, zw, "a.PQ", "y") }, `differs only in case from entry "A.pq"`, nil},
		{"too many entries", func(t *testing.T, zw *stdzip.Writer) {
			for i := range 11 {
				add(t, zw, strings.Repeat("x", i+1), "")
			}
		}, "11 entries declared, more than the limit of 10", ErrLimit},
		{"long name", func(t *testing.T, zw *stdzip.Writer) { add(t, zw, strings.Repeat("n", 51), "") }, "longer than the limit of 50", ErrLimit},
		{"huge declared size", func(t *testing.T, zw *stdzip.Writer) {
			w, _ := zw.CreateRaw(&stdzip.FileHeader{Name: "bomb", Method: stdzip.Deflate, CompressedSize64: 1, UncompressedSize64: 1 << 40})
			w.Write([]byte{3})
		}, "declared size 1099511627776 bytes is larger than the limit of 1000", ErrLimit},
		{"total size", func(t *testing.T, zw *stdzip.Writer) {
			add(t, zw, "a", strings.Repeat("a", 800))
			add(t, zw, "b", strings.Repeat("b", 800))
		}, "total declared size exceeds the limit of 1500", ErrLimit},
		{"encrypted", func(t *testing.T, zw *stdzip.Writer) {
			w, _ := zw.CreateRaw(&stdzip.FileHeader{Name: "e", Method: stdzip.Store, Flags: 1})
			w.Write(nil)
		}, "encrypted", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hostile(t, func(zw *stdzip.Writer) { tt.build(t, zw) })
			_, err := Read(r, r.Size(), lim)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, not %v", err, tt.kind)
			}
		})
	}
}

// TestLyingSizes checks that data longer or shorter than declared, or with
// a wrong CRC, is an error and that no more than the declared size is
// returned.
func TestLyingSizes(t *testing.T) {
	payload := bytes.Repeat([]byte("A"), 100000)
	comp := Deflated(payload)
	for _, tt := range []struct {
		name string
		size uint64
		crc  uint32
		want string
	}{
		{"longer", 10, crc32.ChecksumIEEE(payload[:10]), "longer than its declared size 10"},
		{"shorter", 200000, 0, "shorter than its declared size"},
		{"crc", 100000, 1, "CRC-32 mismatch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := hostile(t, func(zw *stdzip.Writer) {
				w, _ := zw.CreateRaw(&stdzip.FileHeader{Name: "x", Method: stdzip.Deflate, CRC32: tt.crc,
					CompressedSize64: uint64(len(comp)), UncompressedSize64: tt.size})
				w.Write(comp)
			})
			a, err := Read(r, r.Size(), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Entries[0].ReadAll()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if int64(len(got)) > int64(tt.size) {
				t.Fatalf("returned %d bytes, more than declared %d", len(got), tt.size)
			}
		})
	}
}

func TestNotZip(t *testing.T) {
	for _, in := range []string{"", "hello", strings.Repeat("PK\x05\x06", 10)} {
		r := bytes.NewReader([]byte(in))
		if _, err := Read(r, r.Size(), Limits{}); !errors.Is(err, ErrFormat) {
			t.Errorf("Read(%q) = %v, want ErrFormat", in, err)
		}
	}
}

// TestTruncated cuts a valid archive at every length and expects an error,
// never a panic.
func TestTruncated(t *testing.T) {
	r := hostile(t, func(zw *stdzip.Writer) { add(t, zw, "a.pq", "section a;"); add(t, zw, "b", "bb") })
	full := make([]byte, r.Size())
	r.ReadAt(full, 0)
	for n := range len(full) {
		br := bytes.NewReader(full[:n])
		a, err := Read(br, int64(n), Limits{})
		if err != nil {
			continue
		}
		for _, e := range a.Entries {
			e.ReadAll()
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var b bytes.Buffer
	zw := NewWriter(&b)
	mod := time.Date(2024, 1, 31, 9, 15, 3, 0, time.UTC)
	files := map[string]string{"A.pq": strings.Repeat("let x = 1 in x\n", 50), "empty": ""}
	for _, n := range []string{"A.pq", "empty"} {
		m := Deflate
		if files[n] == "" {
			m = Store
		}
		if err := zw.Add(Header{Name: n, Method: m, CreatorVersion: 0x14, ReaderVersion: 20, Modified: mod}, []byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Add(Header{Name: "late"}, nil); err == nil {
		t.Fatal("Add after Close succeeded")
	}
	zr, err := stdzip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := got.ReadFrom(rc); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if got.String() != files[f.Name] {
			t.Errorf("%s: content differs", f.Name)
		}
		if !f.Modified.Equal(time.Date(2024, 1, 31, 9, 15, 2, 0, time.UTC)) {
			t.Errorf("%s: modified %v", f.Name, f.Modified)
		}
	}
	a, err := Read(bytes.NewReader(b.Bytes()), int64(b.Len()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if e := a.Entries[0]; e.CreatorVersion != 0x14 || e.ReaderVersion != 20 || e.Flags != 0 || len(e.Extra) != 0 {
		t.Errorf("header fields %+v", e)
	}
}

func TestWriterRejects(t *testing.T) {
	zw := NewWriter(&bytes.Buffer{})
	for _, name := range []string{"../x", "/x", `a\b`, ""} {
		if err := zw.Add(Header{Name: name}, nil); err == nil {
			t.Errorf("Add(%q) succeeded", name)
		}
	}
	zw.Add(Header{Name: "a"}, nil)
	if err := zw.Add(Header{Name: "a"}, nil); err == nil {
		t.Error("duplicate accepted")
	}
}

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	zw := NewWriter(&b)
	zw.Add(Header{Name: "a.pq", Method: Deflate}, []byte("section a; shared a = 1;"))
	zw.Add(Header{Name: "e"}, nil)
	zw.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data), int64(len(data)), Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 1 << 20})
		if err != nil {
			return
		}
		for _, e := range a.Entries {
			got, err := e.ReadAll()
			if int64(len(got)) > e.Size {
				t.Fatalf("%s: %d bytes > declared %d", e.Name, len(got), e.Size)
			}
			_ = err
		}
	})
}

// TestDirectoryBound checks that a central directory larger than the
// limits allow (names plus 16 MiB of extra fields) is rejected before it is
// read into memory, and that a plausible one passes.
func TestDirectoryBound(t *testing.T) {
	build := func(n int) *bytes.Reader {
		var b bytes.Buffer
		zw := stdzip.NewWriter(&b)
		extra := append([]byte{0x99, 0x99, 0x60, 0xea}, make([]byte, 60000)...)
		for i := range n {
			if _, err := zw.CreateHeader(&stdzip.FileHeader{Name: fmt.Sprint(i), Method: stdzip.Store, Extra: extra}); err != nil {
				t.Fatal(err)
			}
		}
		zw.Close()
		return bytes.NewReader(b.Bytes())
	}
	lim := Limits{MaxEntries: 400, MaxNameLen: 10}
	r := build(3)
	if _, err := Read(r, r.Size(), lim); err != nil {
		t.Fatalf("plausible directory rejected: %v", err)
	}
	r = build(300) // 300 × 60 KB of extra fields: 18 MB of directory
	if _, err := Read(r, r.Size(), lim); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "central directory of") {
		t.Fatalf("err = %v, want the directory size limit", err)
	}
}

// TestZip64Sizes checks that sizes carried in a Zip64 extra field are read
// (and then held to the limits like any other size).
func TestZip64Sizes(t *testing.T) {
	r := hostile(t, func(zw *stdzip.Writer) {
		w, err := zw.CreateRaw(&stdzip.FileHeader{Name: "big", Method: stdzip.Deflate, CompressedSize64: 2, UncompressedSize64: 1 << 33})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte{3, 0})
	})
	a, err := Read(r, r.Size(), Limits{MaxEntrySize: 1 << 40, MaxTotalSize: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if e := a.Entries[0]; e.Size != 1<<33 || e.CompressedSize != 2 {
		t.Fatalf("sizes %d/%d", e.Size, e.CompressedSize)
	}
	if _, err := a.Entries[0].ReadAll(); err == nil || !strings.Contains(err.Error(), "shorter than its declared size") {
		t.Fatalf("ReadAll err = %v", err)
	}
	if _, err := Read(r, r.Size(), Limits{}); !errors.Is(err, ErrLimit) {
		t.Fatalf("default limits: err = %v", err)
	}
}
