package eval

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"strings"
)

// Lines.* and Binary.Compress/Decompress.

// Compression kinds (Compression.*).
const (
	compressGZip    = 0
	compressDeflate = 1
)

func init() {
	registerValue("Compression.GZip", Num(compressGZip))
	registerValue("Compression.Deflate", Num(compressDeflate))
	register(
		builtin("Lines.FromText", "text as text, optional quoteStyle as any, optional includeLineSeparators as nullable logical", func(th *Thread, a []Value) (Value, error) {
			keep := false
			if err := unpack(th, a[2:], &keep); err != nil {
				return nil, err
			}
			return textsToList(splitLines(a[0].(Text).S, keep)), nil
		}),
		builtin("Lines.FromBinary", "binary as binary, optional quoteStyle as any, optional includeLineSeparators as nullable logical, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			var data []byte
			keep := false
			enc := encUTF8
			if err := unpack(th, a, &data, nil, &keep, &enc); err != nil {
				return nil, err
			}
			s, err := decodeText(data, enc)
			if err != nil {
				return nil, err
			}
			return textsToList(splitLines(s, keep)), nil
		}),
		builtin("Lines.ToText", "lines as list, optional lineSeparator as nullable text", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			lines, err := textList(vals)
			if err != nil {
				return nil, err
			}
			sep := "\r\n"
			if err := unpack(th, a[1:], &sep); err != nil {
				return nil, err
			}
			var b strings.Builder
			for _, l := range lines {
				b.WriteString(l)
				b.WriteString(sep)
			}
			return Str(b.String()), nil
		}),
		builtin("Binary.Decompress", "binary as nullable binary, compressionType as number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			var kind int
			if err := unpack(th, a, &data, &kind); err != nil {
				return nil, err
			}
			var r io.Reader
			switch kind {
			case compressGZip:
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					return nil, NewError("DataFormat.Error", "The input is not valid GZip data.")
				}
				r = zr
			case compressDeflate:
				r = flate.NewReader(bytes.NewReader(data))
			default:
				return nil, argRange("compressionType")
			}
			limit := int64(th.Limits.MaxTextLen)
			if limit <= 0 {
				limit = MaxResponseBytes
			}
			out, err := io.ReadAll(io.LimitReader(r, limit+1))
			if err != nil {
				return nil, NewError("DataFormat.Error", "The compressed data is invalid: "+err.Error())
			}
			if int64(len(out)) > limit {
				return nil, fatalf("Evaluation exceeded the maximum text size (%d bytes).", limit)
			}
			return Bytes(out), nil
		}),
		builtin("Binary.Compress", "binary as nullable binary, compressionType as number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			var kind int
			if err := unpack(th, a, &data, &kind); err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			var w io.WriteCloser
			switch kind {
			case compressGZip:
				w = gzip.NewWriter(&buf)
			case compressDeflate:
				w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
			default:
				return nil, argRange("compressionType")
			}
			w.Write(data)
			w.Close()
			return Bytes(buf.Bytes()), nil
		}),
	)
}

// splitLines splits at CR LF, LF or CR, keeping the separators if asked;
// a final separator does not start an empty line.
func splitLines(s string, keep bool) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' && s[i] != '\r' {
			continue
		}
		end := i + 1
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			end++
		}
		if keep {
			out = append(out, s[start:end])
		} else {
			out = append(out, s[start:i])
		}
		start = end
		i = end - 1
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
