package parser

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/token"
)

// connectorLike generates a section document of about size bytes that
// looks like a real connector: attributes, shared functions with typed
// parameters, let chains, Web.Contents calls with option records, each
// expressions, type function signatures with metadata, try/otherwise,
// #table, comments and text with escapes.
func connectorLike(size int) []byte {
	var b strings.Builder
	b.WriteString("\ufeff// Generated benchmark connector\n[Version = \"1.0.0\"]\nsection Bench;\n\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `[DataSource.Kind = "Bench", Publish = "Bench.Publish%[1]d"]
shared Bench.Contents%[1]d = Value.ReplaceType(BenchImpl%[1]d, BenchType%[1]d);

BenchType%[1]d = type function (
    url as (Uri.Type meta [Documentation.FieldCaption = "URL %[1]d", Documentation.SampleValues = {"https://example.org/%[1]d"}]),
    optional options as (type nullable [optional Top = number, optional Filter = text] meta [Documentation.FieldCaption = "Options"])
) as table meta [Documentation.Name = "Bench %[1]d", Documentation.LongDescription = "Reads page #(lf)after page"];

/* Implementation %[1]d: pages through the API until no next link. */
BenchImpl%[1]d = (url as text, optional options as nullable record) as table =>
    let
        top = options[Top]? ?? 100,
        headers = [Accept = "application/json", #"User-Agent" = "pqx/%[1]d", #"X-Page" = Text.From(top)],
        GetPage = (link as text) as record =>
            let
                response = Web.Contents(link, [Headers = headers, ManualStatusHandling = {400, 401, 403, 404, 429, 500}, Timeout = #duration(0, 0, 1, 30)]),
                status = Value.Metadata(response)[Response.Status],
                body = if status >= 400 then error Error.Record("DataSource.Error", "HTTP " & Text.From(status), [Url = link]) else Json.Document(response),
                items = try body[value] otherwise {}
            in
                [Items = items, Next = body[#"@odata.nextLink"]?],
        pages = List.Generate(() => GetPage(url), each _ <> null and List.Count([Items]) > 0, each if [Next] = null then null else @GetPage([Next]), each [Items]),
        rows = List.Combine(pages),
        table = Table.FromRecords(rows, type table [id = Int64.Type, name = text, amount = nullable number, tags = {text}]),
        filtered = Table.SelectRows(table, each [amount] <> null and [amount] > %[1]d * 1.5e2 or Text.StartsWith([name], "x#(tab)y")),
        projected = filtered[[id], [name]],
        first = projected{0}?[name]? ?? "none",
        sample = #table({"a", "b"}, {{1, 0x1F}, {2, -3}}),
        check = try Number.From(first) catch (e) => e[Message]
    in
        if first is text and not (check is number) then projected else sample;

`, i)
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	src := connectorLike(2 << 20)
	if _, err := ParseFile(token.NewFileSet(), "bench.pq", src, ParseComments); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseFile(token.NewFileSet(), "bench.pq", src, ParseComments); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu := processCPU() - cpu0; cpu > 0 {
		// Includes the garbage collector's CPU time, which is part of the cost.
		b.ReportMetric(float64(len(src))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / float64(b.N)
	b.ReportMetric(allocs/(float64(len(src))/1024), "allocs/KB")
}

// TestParseAllocationsBounded keeps the parser's allocation rate per
// kilobyte of typical source in check.
func TestParseAllocationsBounded(t *testing.T) {
	src := connectorLike(64 << 10)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := ParseFile(token.NewFileSet(), "bench.pq", src, ParseComments); err != nil {
			t.Fatal(err)
		}
	})
	perKB := allocs / (float64(len(src)) / 1024)
	if perKB > 80 {
		t.Errorf("%.1f allocations per KB of source; want at most 80", perKB)
	}
	// Node slabs keep most allocations out of the hot path; a regression
	// to one allocation per node shows as 150+ here.
	t.Logf("%.1f allocs/KB", perKB)
}
