package mez

import (
	stdzip "archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
)

func sampleFiles() []File {
	return []File{
		{"resources.resx", []byte(strings.Repeat("<data name='x'><value>y</value></data>\n", 20))},
		{"Foo.pq", []byte(strings.Repeat("section Foo;\nshared Foo.Contents = () => 1;\n", 30))},
		{"Foo16.png", []byte("\x89PNG\r\n\x1a\nnot really")},
		{"empty.txt", nil},
		{"_notes", []byte("underscore sorts after letters in upper case")},
	}
}

func build(t testing.TB, files []File, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, files, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestZipBytes checks every header field against the .NET ZipArchive layout
// of a .mez (reference §2.3), walking the raw bytes independently of the
// archive package.
func TestZipBytes(t *testing.T) {
	mod := time.Date(2024, 1, 31, 9, 15, 3, 0, time.UTC)
	data := build(t, sampleFiles(), Options{ModTime: mod})
	le := binary.LittleEndian
	wantOrder := []string{"empty.txt", "Foo.pq", "Foo16.png", "resources.resx", "_notes"}
	p := 0
	for i, want := range wantOrder {
		if le.Uint32(data[p:]) != 0x04034b50 {
			t.Fatalf("entry %d: no local header at %d", i, p)
		}
		needed, flags, method := le.Uint16(data[p+4:]), le.Uint16(data[p+6:]), le.Uint16(data[p+8:])
		tm, dt := le.Uint16(data[p+10:]), le.Uint16(data[p+12:])
		csize := int(le.Uint32(data[p+18:]))
		usize := int(le.Uint32(data[p+22:]))
		nameLen, extraLen := int(le.Uint16(data[p+26:])), int(le.Uint16(data[p+28:]))
		name := string(data[p+30 : p+30+nameLen])
		if name != want {
			t.Errorf("entry %d is %q, want %q", i, name, want)
		}
		if needed != 20 || flags != 0 || extraLen != 0 {
			t.Errorf("%s: needed %d flags %#x extra %d", name, needed, flags, extraLen)
		}
		if wantM := uint16(8); usize == 0 && method != 0 || usize > 0 && method != wantM {
			t.Errorf("%s: method %d for %d bytes", name, method, usize)
		}
		if dt != (2024-1980)<<9|1<<5|31 || tm != 9<<11|15<<5|1 {
			t.Errorf("%s: DOS time %#x date %#x", name, tm, dt)
		}
		p += 30 + nameLen + csize
	}
	for i := range wantOrder {
		if le.Uint32(data[p:]) != 0x02014b50 {
			t.Fatalf("central record %d missing", i)
		}
		madeBy, needed := le.Uint16(data[p+4:]), le.Uint16(data[p+6:])
		extraLen, commentLen := int(le.Uint16(data[p+30:])), int(le.Uint16(data[p+32:]))
		ext := le.Uint32(data[p+38:])
		if madeBy != 0x0014 || needed != 20 || extraLen != 0 || commentLen != 0 || ext != 0 {
			t.Errorf("central %d: made by %#x needed %d extra %d comment %d attrs %#x", i, madeBy, needed, extraLen, commentLen, ext)
		}
		p += 46 + int(le.Uint16(data[p+28:])) + extraLen + commentLen
	}
	if le.Uint32(data[p:]) != 0x06054b50 || len(data) != p+22 {
		t.Errorf("end record not where expected (at %d of %d)", p, len(data))
	}
}

func TestReproducible(t *testing.T) {
	files := sampleFiles()
	a := build(t, files, Options{})
	rev := slices.Clone(files)
	slices.Reverse(rev)
	if b := build(t, rev, Options{}); !bytes.Equal(a, b) {
		t.Fatal("input order changed the output")
	}
	if c := build(t, files, Options{ModTime: time.Date(2020, 5, 5, 0, 0, 0, 0, time.UTC)}); bytes.Equal(a, c) {
		t.Fatal("ModTime had no effect")
	}
	if files[0].Name != "resources.resx" {
		t.Fatal("Write reordered the caller's slice")
	}
}

// TestReadBack reads the archive with Go's archive/zip and, when installed,
// Info-ZIP's unzip -t and zipinfo.
func TestReadBack(t *testing.T) {
	data := build(t, sampleFiles(), Options{})
	zr, err := stdzip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, f := range sampleFiles() {
		want[f.Name] = string(f.Data)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || string(got) != want[f.Name] {
			t.Errorf("%s: %v, content equal %v", f.Name, err, string(got) == want[f.Name])
		}
	}
	path := filepath.Join(t.TempDir(), "x.mez")
	os.WriteFile(path, data, 0o644)
	if _, err := exec.LookPath("unzip"); err == nil {
		out, err := exec.Command("unzip", "-t", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No errors detected") {
			t.Errorf("unzip -t: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("zipinfo"); err == nil {
		out, err := exec.Command("zipinfo", "-v", path).CombinedOutput()
		if err != nil {
			t.Errorf("zipinfo: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "MS-DOS, OS/2 or NT FAT") || !strings.Contains(string(out), "1980 Jan 1 00:00:00") {
			t.Errorf("zipinfo -v does not show FAT origin and the fixed epoch:\n%s", out)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	for _, files := range [][]File{
		{{Name: "a/b.pq"}},
		{{Name: "../b.pq"}},
		{{Name: "A.pq"}, {Name: "a.PQ"}},
		{{Name: "x"}, {Name: "x"}},
	} {
		if err := Write(io.Discard, files, Options{}); err == nil {
			t.Errorf("Write(%v) succeeded", files)
		}
	}
}

func TestModTimeFrom(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", DefaultEpoch, ""},
		{"  ", DefaultEpoch, ""},
		{"1706692502", time.Date(2024, 1, 31, 9, 15, 2, 0, time.UTC), ""},
		{"abc", time.Time{}, "not a whole number"},
		{"1.5", time.Time{}, "not a whole number"},
		{"+5", time.Time{}, "not a whole number"},
		{"0", time.Time{}, "outside the range"},
		{"99999999999", time.Time{}, "outside the range"},
	} {
		got, err := ModTimeFrom(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ModTimeFrom(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ModTimeFrom(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(files []File) []string {
	var n []string
	for _, f := range files {
		n = append(n, f.Name)
	}
	return n
}

func TestCollect(t *testing.T) {
	tests := []struct {
		name  string
		tree  map[string]string
		want  []string
		error string
	}{
		{"defaults", map[string]string{
			"X.pq": "section X;", "X.query.pq": "", "X.test.pq": "", "a.testconnection.pq": "", "X.proj": "",
			"X.mproj": "", "README.md": "", ".gitignore": "bin/", "LICENSE": "", "X16.png": "", "resources.resx": "",
			"bin/AnyCPU/Debug/old.mez": "", "sub/other.pq": "", "obj": "file named obj", "Notes.MD": "",
		}, []string{".gitignore", "LICENSE", "resources.resx", "X.pq", "X16.png"}, ""},
		{"pqignore replaces defaults", map[string]string{
			"X.pq": "", "X.query.pq": "", "README.md": "", "secret.json": "",
			".pqignore": "# only these\nsecret.json\n*.query.pq\n\n",
		}, []string{".pqignore", "README.md", "X.pq"}, ""},
		{"empty pqignore keeps defaults", map[string]string{"X.pq": "", "X.query.pq": "", ".pqignore": "\n# nothing\n"},
			[]string{".pqignore", "X.pq"}, ""},
		{"negation", map[string]string{"X.pq": "", "a.txt": "", "keep.txt": "", ".pqignore": "*.txt\n!keep.txt\n.pqignore\n"},
			[]string{"keep.txt", "X.pq"}, ""},
		{"always ignored despite pqignore", map[string]string{"X.m": "", "out": "", ".pqignore": "nothing-matches\n"},
			[]string{".pqignore", "X.m"}, ""},
		{"m file", map[string]string{"X.m": "", "X16.png": ""}, []string{"X.m", "X16.png"}, ""},
		{"two pq", map[string]string{"A.pq": "", "B.pq": ""}, nil, "expect only one power query file ending with either .pq or .m: found 2 (A.pq, B.pq)"},
		{"pq and m", map[string]string{"A.pq": "", "A.m": ""}, nil, "found 2"},
		{"none", map[string]string{"X.query.pq": "", "a.txt": ""}, nil, "found none"},
		{"test.pq counted when not ignored", map[string]string{"A.pq": "", "A.test.pq": "", ".pqignore": "x\n"}, nil, "found 2"},
		{"bad pattern", map[string]string{"A.pq": "", ".pqignore": "ok\n[abc\n"}, nil, ".pqignore:2: invalid pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.tree)
			files, err := Collect(dir)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("err = %v, want %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(files); !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCollectMissingDir(t *testing.T) {
	_, err := Collect(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, ErrNoSourceDir) {
		t.Fatalf("err = %v", err)
	}
}

func TestCollectReadsContent(t *testing.T) {
	dir := writeTree(t, map[string]string{"X.pq": "section X;"})
	files, err := Collect(dir)
	if err != nil || len(files) != 1 || string(files[0].Data) != "section X;" {
		t.Fatalf("%v %v", files, err)
	}
	// The package reads back through the bounded reader.
	data := build(t, files, Options{})
	a, err := archive.Read(bytes.NewReader(data), int64(len(data)), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Entries[0].ReadAll(); err != nil || string(got) != "section X;" {
		t.Fatalf("%q %v", got, err)
	}
}

// TestConcurrentWrite checks that concurrent builds (pqx build packages
// tenants in parallel, sharing pooled compressors) give identical bytes.
// Run with -race.
func TestConcurrentWrite(t *testing.T) {
	want := build(t, sampleFiles(), Options{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				var b bytes.Buffer
				if err := Write(&b, sampleFiles(), Options{}); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(b.Bytes(), want) {
					errs <- errors.New("concurrent build gave different bytes")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
