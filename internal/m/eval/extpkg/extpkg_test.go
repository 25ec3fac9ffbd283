package extpkg

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/eval"
)

const section = `[Version = "1.0.0"]
section Demo;
[DataSource.Kind = "Demo"]
shared Demo.Contents = () => Text.FromBinary(Extension.Contents("hello.txt")) & " " & Extension.LoadString("Name");
`

const resx = `<?xml version="1.0" encoding="utf-8"?>
<root>
  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
  <data name="Name" xml:space="preserve"><value>World &amp; more</value></data>
  <data name="Icon" type="System.Resources.ResXFileRef, System.Windows.Forms"><value>icon.png</value></data>
</root>`

func writeZip(t *testing.T, path string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if path != "" {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func evalIn(t *testing.T, x *Extension, expr string) string {
	t.Helper()
	h := &eval.Host{}
	x.Configure(h)
	th := eval.NewThread(eval.NewEnvironment(), h)
	s, err := x.LoadInto(th)
	if err != nil {
		t.Fatal(err)
	}
	if Kind(s) != "Demo" {
		t.Errorf("Kind = %q", Kind(s))
	}
	v, err := th.EvalSource("q", []byte(expr))
	if err != nil {
		t.Fatal(err)
	}
	return eval.Serialize(th, v)
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"Demo.pq": section, "resources.resx": resx, "hello.txt": "Hello",
		"tests/x.query.pq": "1", "Other.query.pq": "2", ".git/config": "x", "bin/Demo.mez": "zip",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	x, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if x.SectionFile != "Demo.pq" {
		t.Errorf("section file %s", x.SectionFile)
	}
	if _, ok := x.Files[".git/config"]; ok {
		t.Error("hidden folders must be skipped")
	}
	if _, ok := x.Files["bin/Demo.mez"]; ok {
		t.Error("build output must be skipped")
	}
	if got := evalIn(t, x, "Demo.Contents()"); got != `"Hello World & more"` {
		t.Errorf("got %s", got)
	}
	if _, ok := x.Strings["Icon"]; ok {
		t.Error("file references in resx are not strings")
	}
}

func TestLoadMezAndPqx(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"Demo.pq": section, "resources.resx": resx, "hello.txt": "Hello", "[Content_Types].xml": "<Types/>"}
	mez := filepath.Join(dir, "Demo.mez")
	writeZip(t, mez, files)
	x, err := Load(mez)
	if err != nil {
		t.Fatal(err)
	}
	if got := evalIn(t, x, "Demo.Contents()"); got != `"Hello World & more"` {
		t.Errorf("mez: got %s", got)
	}
	// A signed .pqx: an OPC package whose parts are the .mez entries with
	// escaped names, plus relationships and signature parts.
	pqx := filepath.Join(dir, "Demo.pqx")
	writeZip(t, pqx, map[string]string{"Demo.pq": section, "resources.resx": resx, "hello%20world.txt": "Hello",
		"hello.txt": "Hello", "[Content_Types].xml": "<Types/>", "_rels/.rels": "<Relationships/>",
		"package/services/digital-signature/xml-signature/sig.psdsxs": "<Signature/>"})
	x, err = Load(pqx)
	if err != nil {
		t.Fatal(err)
	}
	if got := evalIn(t, x, "Demo.Contents()"); got != `"Hello World & more"` {
		t.Errorf("pqx: got %s", got)
	}
	if _, ok := x.Files["hello world.txt"]; !ok {
		t.Errorf("escaped part name not decoded: %v", keys(x.Files))
	}
	if _, ok := x.Files["_rels/.rels"]; ok {
		t.Error("OPC relationships must not be package files")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "A.pq"), []byte(section), 0o644)
	os.WriteFile(filepath.Join(dir, "B.pq"), []byte(section), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "more than one section document") {
		t.Errorf("two sections: %v", err)
	}
	empty := t.TempDir()
	if _, err := Load(empty); err == nil || !strings.Contains(err.Error(), "no section document") {
		t.Errorf("empty: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.mez")
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	if _, err := Load(bad); err == nil {
		t.Error("not a zip: want error")
	}
	badResx := t.TempDir()
	os.WriteFile(filepath.Join(badResx, "A.pq"), []byte(section), 0o644)
	os.WriteFile(filepath.Join(badResx, "resources.resx"), []byte("<root><data"), 0o644)
	if _, err := Load(badResx); err == nil || !strings.Contains(err.Error(), "resources.resx") {
		t.Errorf("bad resx: %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
