package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/pqxdev/pqx/internal/m/scanner"
)

// WriteText writes diagnostics compiler-style, each with its source line
// and a caret:
//
//	file.pq:3:9: error: expected ',' or ']' in record, found identifier b [syntax]
//	    a = [x = 1 b = 2]
//	           ^
func WriteText(w io.Writer, ds []Diagnostic) error {
	for _, d := range ds {
		e := scanner.Error{Pos: d.Pos, Msg: fmt.Sprintf("%s: %s [%s]", d.Severity, d.Message, d.Rule), Line: d.Line}
		if _, err := fmt.Fprintln(w, e.Detail()); err != nil {
			return err
		}
	}
	return nil
}

// jsonDiagnostic is the JSON shape of a diagnostic.
type jsonDiagnostic struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"endLine,omitempty"`
	EndColumn int    `json:"endColumn,omitempty"`
	Severity  string `json:"severity"`
	Rule      string `json:"rule"`
	Message   string `json:"message"`
}

// JSONReport is the document written by WriteJSON.
type JSONReport struct {
	Files       int              `json:"files"`
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
}

// WriteJSON writes the result as one JSON document.
func WriteJSON(w io.Writer, r *Result) error {
	rep := JSONReport{Files: r.Files, Diagnostics: []jsonDiagnostic{}}
	rep.Errors, rep.Warnings = CountBySeverity(r.Diagnostics)
	for _, d := range r.Diagnostics {
		rep.Diagnostics = append(rep.Diagnostics, jsonDiagnostic{
			File: d.Pos.Filename, Line: d.Pos.Line, Column: d.Pos.Column,
			EndLine: d.End.Line, EndColumn: d.End.Column,
			Severity: d.Severity.String(), Rule: d.Rule, Message: d.Message,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// SARIF 2.1.0 (OASIS), the subset GitHub code scanning reads.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifTool     `json:"tool"`
		ColumnKind string        `json:"columnKind"`
		Results    []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		ShortDescription     sarifText    `json:"shortDescription"`
		FullDescription      sarifText    `json:"fullDescription"`
		Help                 sarifText    `json:"help"`
		DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
	}
	sarifDefault struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
		EndLine     int `json:"endLine,omitempty"`
		EndColumn   int `json:"endColumn,omitempty"`
	}
)

// WriteSARIF writes the result as a SARIF 2.1.0 log for code scanning.
// Columns count Unicode code points (columnKind unicodeCodePoints), as
// pqx positions do. toolVersion may be empty.
func WriteSARIF(w io.Writer, r *Result, toolVersion string) error {
	rules := Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: "pqx", Version: toolVersion, InformationURI: "https://github.com/pqxdev/pqx"}
	for i, rule := range rules {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   rule.ID,
			ShortDescription:     sarifText{rule.Summary},
			FullDescription:      sarifText{rule.Explanation},
			Help:                 sarifText{rule.Explanation},
			DefaultConfiguration: sarifDefault{rule.Severity.sarifLevel()},
		})
	}
	run := sarifRun{Tool: sarifTool{driver}, ColumnKind: "unicodeCodePoints", Results: []sarifResult{}}
	for _, d := range r.Diagnostics {
		res := sarifResult{
			RuleID: d.Rule, RuleIndex: index[d.Rule], Level: d.Severity.sarifLevel(),
			Message: sarifText{d.Message},
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(d.Pos.Filename)}}}
		if d.Pos.Line > 0 {
			reg := &sarifRegion{StartLine: d.Pos.Line, StartColumn: d.Pos.Column}
			if d.End.Line > 0 {
				reg.EndLine, reg.EndColumn = d.End.Line, d.End.Column
			}
			loc.PhysicalLocation.Region = reg
		}
		res.Locations = []sarifLocation{loc}
		run.Results = append(run.Results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// artifactURI turns a display name into a relative URI reference with
// forward slashes and percent-escapes.
func artifactURI(name string) string {
	name = filepath.ToSlash(name)
	name = strings.TrimPrefix(name, "./")
	return (&url.URL{Path: name}).EscapedPath()
}
