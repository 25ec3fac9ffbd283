package xmldsig

import (
	"os/exec"
	"strings"
	"testing"
)

func mustParse(t testing.TB, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return d
}

// find returns the first element with the local name in d.
func find(d *Document, local string) *Element {
	var walk func(e *Element) *Element
	walk = func(e *Element) *Element {
		if e.Local == local {
			return e
		}
		for _, c := range e.Elements() {
			if f := walk(c); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(d.Root)
}

func TestCanonicalizeSubtree(t *testing.T) {
	tests := []struct {
		name, in, elem string
		m              Method
		want           string
	}{
		{
			name: "namespace declared on ancestor, no spurious xmlns",
			in:   `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="S"><Object Id="o"><Manifest><DigestMethod Algorithm="a"/></Manifest><T xmlns="urn:t"><V>1</V></T></Object></Signature>`,
			elem: "Object",
			want: `<Object xmlns="http://www.w3.org/2000/09/xmldsig#" Id="o"><Manifest><DigestMethod Algorithm="a"></DigestMethod></Manifest><T xmlns="urn:t"><V>1</V></T></Object>`,
		},
		{
			name: "attributes sorted by namespace URI then name; namespaces by prefix",
			in:   `<doc xmlns:b="http://b" xmlns:a="http://z"><e b:x="1" a:y="2" z="3" c="4" xmlns="http://d"/></doc>`,
			elem: "e",
			want: `<e xmlns="http://d" xmlns:a="http://z" xmlns:b="http://b" c="4" z="3" b:x="1" a:y="2"></e>`,
		},
		{
			name: "inclusive keeps unused namespaces",
			in:   `<doc xmlns:u="urn:unused" xmlns:p="urn:p"><p:e/></doc>`,
			elem: "e",
			want: `<p:e xmlns:p="urn:p" xmlns:u="urn:unused"></p:e>`,
		},
		{
			name: "exclusive drops unused namespaces",
			in:   `<doc xmlns:u="urn:unused" xmlns:p="urn:p"><p:e/></doc>`,
			elem: "e",
			m:    Method{Exclusive: true},
			want: `<p:e xmlns:p="urn:p"></p:e>`,
		},
		{
			name: "exclusive InclusiveNamespaces prefix list",
			in:   `<doc xmlns:u="urn:unused" xmlns:p="urn:p"><p:e/></doc>`,
			elem: "e",
			m:    Method{Exclusive: true, InclusivePrefixes: []string{"u"}},
			want: `<p:e xmlns:p="urn:p" xmlns:u="urn:unused"></p:e>`,
		},
		{
			name: "redundant declarations dropped, undeclaring the default kept",
			in:   `<a xmlns="http://x"><b xmlns="http://x"><c xmlns=""><d xmlns=""/></c></b></a>`,
			elem: "a",
			want: `<a xmlns="http://x"><b><c xmlns=""><d></d></c></b></a>`,
		},
		{
			name: "xml:lang inherited onto the apex",
			in:   `<a xml:lang="en" xml:space="preserve"><b xml:lang="nb"><c/></b></a>`,
			elem: "c",
			want: `<c xml:lang="nb" xml:space="preserve"></c>`,
		},
		{
			name: "text and attribute escaping",
			in:   "<a t=\"&lt;&amp;&gt;&quot;'&#9;&#10;&#13;\">&lt;&amp;&gt;\"'&#13;<![CDATA[<x>]]></a>",
			elem: "a",
			want: "<a t=\"&lt;&amp;>&quot;'&#x9;&#xA;&#xD;\">&lt;&amp;&gt;\"'&#xD;&lt;x&gt;</a>",
		},
		{
			name: "attribute values normalised, references kept",
			in:   "<a t=\"x\ty\r\nz&#9;&#10;\" u='1\n&amp;'/>",
			elem: "a",
			want: "<a t=\"x y z&#x9;&#xA;\" u=\"1 &amp;\"></a>",
		},
		{
			name: "comments dropped without WithComments",
			in:   `<a><!-- c --><b/><?pi  data?></a>`,
			elem: "a",
			want: `<a><b></b><?pi data?></a>`,
		},
		{
			name: "comments kept with WithComments",
			in:   `<a><!-- c --><b/></a>`,
			elem: "a",
			m:    Method{Comments: true},
			want: `<a><!-- c --><b></b></a>`,
		},
		{
			name: "line ends normalised by the parser",
			in:   "<a>x\r\ny\rz</a>",
			elem: "a",
			want: "<a>x\ny\nz</a>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.in)
			got := string(Canonicalize(find(d, tc.elem), tc.m))
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestCanonicalizeDocument(t *testing.T) {
	in := "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n<?pi x?>\n<!--c1-->\n<a  b = 'v' ><e/></a>\n<!--c2-->\n"
	d := mustParse(t, in)
	if got, want := string(CanonicalizeDocument(d, Method{})), "<?pi x?>\n<a b=\"v\"><e></e></a>"; got != want {
		t.Errorf("without comments:\n%q\nwant\n%q", got, want)
	}
	if got, want := string(CanonicalizeDocument(d, Method{Comments: true})), "<?pi x?>\n<!--c1-->\n<a b=\"v\"><e></e></a>\n<!--c2-->"; got != want {
		t.Errorf("with comments:\n%q\nwant\n%q", got, want)
	}
}

func TestMethodOf(t *testing.T) {
	for uri, want := range map[string]Method{
		C14N10:             {},
		C14N10WithComments: {Comments: true},
		ExcC14N:            {Exclusive: true},
		ExcC14NWithComment: {Exclusive: true, Comments: true},
	} {
		m, err := MethodOf(uri)
		if err != nil || m.Exclusive != want.Exclusive || m.Comments != want.Comments {
			t.Errorf("MethodOf(%s) = %+v, %v", uri, m, err)
		}
	}
	if _, err := MethodOf("http://www.w3.org/2006/12/xml-c14n11"); err == nil {
		t.Error("C14N 1.1 accepted")
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"entity bomb", `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>`, "1:22: DOCTYPE"},
		{"external entity", `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`, "DOCTYPE"},
		{"undefined entity", `<r>&x;</r>`, "invalid character entity &x;"},
		{"deep nesting", strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65), "nested deeper than 64"},
		{"two roots", `<a/><b/>`, "more than one root"},
		{"text outside root", `<a/>junk`, "text outside"},
		{"undeclared prefix", `<p:a/>`, `undeclared namespace prefix "p"`},
		{"duplicate attribute via prefixes", `<a xmlns:p="urn:x" xmlns:q="urn:x" p:v="1" q:v="2"/>`, "duplicate attribute"},
		{"mismatched end tag", "<a>\n  <b></c></a>", "2:"},
		{"unclosed", "<a><b>", "not closed"},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, "only UTF-8"},
		{"empty", ``, "no root"},
		{"xmlns prefix rebinding", `<a xmlns:xml="urn:x"/>`, "reserved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := ParseLimits([]byte(`<a>`+strings.Repeat("<b/>", 100)+`</a>`), Limits{MaxBytes: 1 << 20, MaxDepth: 8, MaxNodes: 50}); err == nil || !strings.Contains(err.Error(), "more than 50 nodes") {
		t.Errorf("node limit: %v", err)
	}
	if _, err := ParseLimits([]byte(`<a/>`), Limits{MaxBytes: 2, MaxDepth: 8, MaxNodes: 50}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("size limit: %v", err)
	}
}

// TestAgainstXmllint compares whole-document canonicalisation with
// libxml2's (xmllint --c14n and --exc-c14n), an independent implementation.
func TestAgainstXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint is required for this test and was not found in PATH; install it (Debian: apt-get install -y libxml2-utils)")
	}
	docs := []string{
		`<a xmlns="urn:a" xmlns:p="urn:p" z="1" p:y="2"><b xmlns=""><c p:q="x"/></b><!--c--><d>t&amp;&lt;&#13;</d></a>`,
		`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI="#x" Type="t"/></SignedInfo><Object Id="x"><SignatureTime xmlns="urn:t"><Value>v</Value></SignatureTime></Object></Signature>`,
		"<?pi  x ?><r xmlns:u=\"urn:u\" xml:lang=\"en\"><u:s a=\"\t&#10;&quot;\"><![CDATA[<&>]]></u:s><n xmlns:v=\"urn:v\"><v:t/></n></r><!-- after -->",
	}
	for _, doc := range docs {
		// xmllint's canonical forms keep comments.
		for flag, m := range map[string]Method{"--c14n": {Comments: true}, "--exc-c14n": {Exclusive: true, Comments: true}} {
			cmd := exec.Command(xmllint, flag, "-")
			cmd.Stdin = strings.NewReader(doc)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := string(CanonicalizeDocument(mustParse(t, doc), m)); got != string(out) {
				t.Errorf("%s: xmllint:\n%s\npqx:\n%s", flag, out, got)
			}
		}
	}
}

// FuzzCanonicalize checks that parsing never panics and that the
// canonical form is a fixed point: canonicalising it again changes
// nothing.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{
		`<a xmlns="urn:a"><b xmlns=""/></a>`,
		`<p:a xmlns:p="urn:p" p:x="1" y="&lt;"><!--c--><?pi d?>t</p:a>`,
		`<a xml:lang="en"><b>&#13;</b></a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		for _, m := range []Method{{}, {Comments: true}, {Exclusive: true}} {
			c1 := CanonicalizeDocument(d, m)
			d2, err := Parse(c1)
			if err != nil {
				t.Fatalf("canonical form does not parse: %v\n%s", err, c1)
			}
			if c2 := CanonicalizeDocument(d2, m); string(c1) != string(c2) {
				t.Fatalf("not a fixed point:\n%s\n%s", c1, c2)
			}
		}
	})
}
