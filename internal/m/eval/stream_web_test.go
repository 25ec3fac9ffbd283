package eval

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestPagingHelpersOverHTTP runs the two paging shapes connectors write —
// pages as nested tables expanded at the end (the GenerateByPage shape),
// and records of rows combined with a next-page link — against a server
// that counts requests: a page is requested only once rows of it are read.
func TestPagingHelpersOverHTTP(t *testing.T) {
	const pages, perPage = 5, 10
	s := newWebServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		next := "null"
		if p+1 < pages {
			next = strconv.Itoa(p + 1)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"next": %s, "items": [`, next)
		for i := range perPage {
			if i > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"id": %d, "name": "n%d"}`, p*perPage+i, p*perPage+i)
		}
		fmt.Fprint(w, "]}")
	})
	const helpers = `let
        GetPage = (n as number) as record => Json.Document(Web.Contents("$URL/items", [Query = [page = Text.From(n)]])),
        PageTable = (page as record) as table => Table.FromRecords(page[items], type table [id = number, name = text]),
        // Pages as nested tables, expanded with the first page's type.
        ByPage = (getNext as function) as table =>
            let
                tables = List.Generate(() => getNext(null), each _ <> null, each getNext(_)),
                tableOfPages = Table.FromList(tables, Splitter.SplitByNothing(), {"Column1"}),
                first = tableOfPages{0}?,
                expanded = if first = null then #table({}, {})
                    else Value.ReplaceType(Table.ExpandTableColumn(tableOfPages, "Column1", Table.ColumnNames(first[Column1])), Value.Type(first[Column1]))
            in
                expanded,
        Nested = ByPage((previous) =>
            let
                n = if previous = null then 0 else Value.Metadata(previous)[Next],
                page = if n = null then null else GetPage(n)
            in
                if page = null then null else PageTable(page) meta [Next = page[next]]),
        // Records of rows combined, following the next link.
        Linked = Table.FromRecords(List.Combine(List.Generate(
            () => GetPage(0),
            each _ <> null,
            each if _[next] = null then null else GetPage(_[next]),
            each _[items])), type table [id = number, name = text])
    in
        [Nested = Nested, Linked = Linked]`
	for _, helper := range []string{"Nested", "Linked"} {
		for _, tc := range []struct {
			read     string
			want     string
			requests int
		}{
			{`Table.RowCount(Table.FirstN(%s, 5))`, "5", 1},
			{`Table.FirstN(%s, 11){10}[name]`, `"n10"`, 2},
			{`Table.First(Table.SelectRows(%s, each [id] = 31))[name]`, `"n31"`, 4},
			{`Table.RowCount(%s)`, "50", pages},
		} {
			s.mu.Lock()
			s.reqs = nil
			s.mu.Unlock()
			th, _ := webThread(s)
			src := fmt.Sprintf(tc.read, "("+helpers+")["+helper+"]")
			got, err := evalOn(t, th, strings.ReplaceAll(src, "$URL", s.URL))
			if err != nil {
				t.Errorf("%s %s: %v", helper, tc.read, err)
				continue
			}
			if got != tc.want {
				t.Errorf("%s %s = %s, want %s", helper, tc.read, got, tc.want)
			}
			if n := len(s.requests()); n != tc.requests {
				t.Errorf("%s %s made %d requests, want %d", helper, tc.read, n, tc.requests)
			}
		}
	}
}
