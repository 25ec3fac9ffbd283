package opc

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/mez"
)

// Options control how a package is written.
type Options struct {
	// ModTime is the timestamp of every entry; the zero value means
	// mez.DefaultEpoch. Pass mez.ModTime() to honour SOURCE_DATE_EPOCH.
	ModTime time.Time
}

// paddingExtra is the extra field WindowsBase writes in every local header
// (never in the central directory): header ID 0xA220, 24 data bytes holding
// signature 0xA028, padding size 20, and 20 zero bytes.
var paddingExtra = []byte{
	0x20, 0xA2, 0x18, 0x00, 0x28, 0xA0, 0x14, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
}

// PaddingExtra returns a copy of the 28-byte local-header extra field
// WindowsBase writes, for tests and verifiers that compare bytes.
func PaddingExtra() []byte { return append([]byte(nil), paddingExtra...) }

// Header returns the ZIP header WindowsBase writes for an entry: the
// padding extra field in the local header only, made by 4.5 on FAT,
// version needed 20 for deflate or 10 for stored, no flags.
func Header(entry string, method uint16, mod time.Time) archive.Header {
	needed := uint16(10)
	if method == archive.Deflate {
		needed = 20
	}
	return archive.Header{
		Name: entry, Method: method, CreatorVersion: 0x002D, ReaderVersion: needed,
		Modified: mod, LocalExtra: paddingExtra,
	}
}

// Writer writes an OPC package entry by entry, in the order of the calls,
// recording each part's content type. The content-types stream is written by
// WriteContentTypes, or by Close if it was not called, so a signer can place
// it where WindowsBase does (before the signature part).
type Writer struct {
	zw      *archive.Writer
	ct      ContentTypes
	mod     time.Time
	ctDone  bool
	parts   map[string]string
	closed  bool
	lastErr error
}

// NewWriter returns a Writer writing a package to w.
func NewWriter(w io.Writer, opt Options) *Writer {
	mod := opt.ModTime
	if mod.IsZero() {
		mod = mez.DefaultEpoch
	}
	return &Writer{zw: archive.NewWriter(w), mod: mod, parts: map[string]string{}}
}

// ContentTypes returns the content types recorded so far. A signer may call
// Register (or Add on the result) before WriteContentTypes for a part it
// writes afterwards.
func (pw *Writer) ContentTypes() *ContentTypes { return &pw.ct }

// Register records the content type of a part that will be written later.
func (pw *Writer) Register(part, contentType string) error {
	if err := ValidatePartName(part); err != nil {
		return err
	}
	n := NormalizePartName(part)
	if prev, ok := pw.parts[n]; ok {
		if prev == part {
			return nil
		}
		return fmt.Errorf("part %q: collides with part %q (names differ only in case)", part, prev)
	}
	if pw.ctDone {
		return fmt.Errorf("part %q: content types already written", part)
	}
	pw.parts[n] = part
	pw.ct.Add(part, contentType)
	return nil
}

// CreatePart writes a part with the given uncompressed data; compress
// selects deflate (WindowsBase's CompressionOption.Normal) over stored. An
// empty part is always stored.
func (pw *Writer) CreatePart(part, contentType string, data []byte, compress bool) error {
	if err := pw.Register(part, contentType); err != nil {
		return err
	}
	m := archive.Store
	if compress && len(data) > 0 {
		m = archive.Deflate
	}
	return pw.keep(pw.zw.Add(Header(EntryName(part), m, pw.mod), data))
}

// CreatePartRaw writes a part whose data is already compressed with method,
// with the CRC-32 and size of the uncompressed data, so compressed streams
// are copied between packages unchanged.
func (pw *Writer) CreatePartRaw(part, contentType string, method uint16, compressed []byte, crc uint32, size int64) error {
	if err := pw.Register(part, contentType); err != nil {
		return err
	}
	return pw.keep(pw.zw.AddRaw(Header(EntryName(part), method, pw.mod), compressed, crc, size))
}

// WriteContentTypes writes [Content_Types].xml (stored) with the content
// types registered so far.
func (pw *Writer) WriteContentTypes() error {
	if pw.ctDone {
		return errors.New("opc: content types written twice")
	}
	pw.ctDone = true
	return pw.keep(pw.zw.Add(Header(ContentTypesEntry, archive.Store, pw.mod), pw.ct.Marshal()))
}

// Close writes the content types if not yet written and finishes the
// archive. It does not close the underlying writer.
func (pw *Writer) Close() error {
	if pw.closed {
		return pw.lastErr
	}
	pw.closed = true
	if pw.lastErr != nil {
		return pw.lastErr
	}
	if !pw.ctDone {
		if err := pw.WriteContentTypes(); err != nil {
			return err
		}
	}
	return pw.keep(pw.zw.Close())
}

func (pw *Writer) keep(err error) error {
	if err != nil && pw.lastErr == nil {
		pw.lastErr = err
	}
	return err
}

// WritePackage writes an unsigned .pqx of files, as MakePQX "pack" makes
// from the .mez of the same files: one deflated part per file in .mez order
// (see mez.SortFiles), content types from ContentTypeFor, then
// [Content_Types].xml. Its compressed streams equal those of mez.Write.
func WritePackage(w io.Writer, files []mez.File, opt Options) error {
	p, err := mez.Prepare(files, mez.Options{})
	if err != nil {
		return err
	}
	return WritePrepared(w, p, opt)
}

// WritePrepared is WritePackage for files already prepared by mez.Prepare,
// so a build that writes both a .mez and a .pqx compresses each file once.
func WritePrepared(w io.Writer, files []mez.Prepared, opt Options) error {
	pw := NewWriter(w, opt)
	for _, f := range files {
		part := EscapeName(f.Name)
		if err := pw.CreatePartRaw(part, ContentTypeFor(part), f.Method, f.Compressed, f.CRC32, f.Size); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return pw.Close()
}

// Pack writes an unsigned .pqx from a .mez, as MakePQX "pack" does: one
// part per entry, in the .mez's entry order, named "/" + the percent-escaped
// entry name. Deflated entries are copied without recompression (after
// their data has been checked against its CRC-32), so the .pqx carries the
// .mez's compressed bytes exactly; stored non-empty entries are deflated;
// empty entries stay stored.
func Pack(w io.Writer, m *archive.Reader, opt Options) error {
	pw := NewWriter(w, opt)
	for _, e := range m.Entries {
		if e.IsDir() {
			return fmt.Errorf("%s: directory entries cannot be package parts", e.Name)
		}
		part := EscapeName(e.Name)
		if err := ValidatePartName(part); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if IsRelationshipsPart(part) || e.Name == ContentTypesEntry {
			return fmt.Errorf("%s: a .mez entry cannot use a name reserved by the package format", e.Name)
		}
		ct := ContentTypeFor(part)
		switch {
		case e.Method == archive.Deflate:
			if err := verify(e); err != nil {
				return err
			}
			raw, err := e.OpenRaw()
			if err != nil {
				return err
			}
			comp := make([]byte, e.CompressedSize)
			if _, err := io.ReadFull(raw, comp); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
			if err := pw.CreatePartRaw(part, ct, archive.Deflate, comp, e.CRC32, e.Size); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		default:
			data, err := e.ReadAll()
			if err != nil {
				return err
			}
			if err := pw.CreatePart(part, ct, data, true); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		}
	}
	return pw.Close()
}

// verify decompresses an entry to check its size and CRC-32 before its
// compressed stream is trusted for a raw copy.
func verify(e *archive.Entry) error {
	rc, err := e.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}
