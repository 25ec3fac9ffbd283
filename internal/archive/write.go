package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"hash/crc32"
	"io"
	"sync"
	"time"
)

// Header describes one entry to write. Writer writes exactly these fields:
// it adds no extra fields, data descriptors or Zip64 records of its own.
type Header struct {
	Name           string
	Method         uint16    // Store or Deflate
	CreatorVersion uint16    // "version made by", e.g. 0x0014 (2.0, FAT)
	ReaderVersion  uint16    // "version needed to extract", e.g. 20
	Flags          uint16    // general-purpose flags; bit 3 (data descriptor) is not supported
	Modified       time.Time // written as MS-DOS date/time of its wall clock, 2-second granularity
	LocalExtra     []byte    // extra field of the local header only
	CentralExtra   []byte    // extra field of the central directory record only
	ExternalAttrs  uint32
}

// Writer writes a ZIP archive whose bytes depend only on the headers and
// data given, so that equal inputs give equal archives. Entries are written
// whole (the data is in memory), which lets every local header carry the
// final CRC and sizes without data descriptors, as .NET's writers do.
type Writer struct {
	w       io.Writer
	off     int64
	entries []centralRecord
	names   map[string]bool
	closed  bool
	buf     bytes.Buffer
}

type centralRecord struct {
	h         Header
	crc       uint32
	csize     uint32
	usize     uint32
	offset    uint32
	dosDate   uint16
	dosTime   uint16
	nameBytes []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, names: map[string]bool{}}
}

// ErrTooLarge is returned for archives or entries that would need Zip64.
var ErrTooLarge = errors.New("archive: entry or archive too large (Zip64 is not written)")

// flatePool reuses compressors: a flate.Writer allocates about 1 MB.
var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, 6)
	return w
}}

// Deflated compresses data at level 6, the level of zlib's and .NET's
// "optimal" setting, with github.com/klauspost/compress/flate: about twice
// as fast as compress/flate for a connector's text at a similar size, which
// is most of a many-tenant build's time. Its output is deterministic but
// differs from zlib's (and from compress/flate's).
func Deflated(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data)/2 + 64)
	fw := flatePool.Get().(*flate.Writer)
	fw.Reset(&b)
	fw.Write(data) // writes to a bytes.Buffer cannot fail
	fw.Close()
	flatePool.Put(fw)
	return b.Bytes()
}

// Add writes an entry with the given uncompressed data, compressing it if
// h.Method is Deflate.
func (zw *Writer) Add(h Header, data []byte) error {
	var comp []byte
	switch h.Method {
	case Store:
		comp = data
	case Deflate:
		comp = Deflated(data)
	default:
		return fmt.Errorf("archive: entry %q: unsupported method %d", h.Name, h.Method)
	}
	return zw.AddRaw(h, comp, crc32.ChecksumIEEE(data), int64(len(data)))
}

// AddRaw writes an entry whose data is already compressed with h.Method,
// with the given CRC-32 and uncompressed size. It is used to copy compressed
// streams between archives unchanged.
func (zw *Writer) AddRaw(h Header, compressed []byte, crc uint32, size int64) error {
	if zw.closed {
		return errors.New("archive: write after Close")
	}
	if err := ValidateName(h.Name); err != nil {
		return fmt.Errorf("archive: entry %q: %v", h.Name, err)
	}
	if zw.names[h.Name] {
		return fmt.Errorf("archive: entry %q: duplicate entry name", h.Name)
	}
	if h.Flags&0x8 != 0 {
		return fmt.Errorf("archive: entry %q: data descriptors are not supported", h.Name)
	}
	if len(h.Name) > 0xffff || len(h.LocalExtra) > 0xffff || len(h.CentralExtra) > 0xffff {
		return fmt.Errorf("archive: entry %q: name or extra field too long", h.Name)
	}
	if size >= 0xffffffff || int64(len(compressed)) >= 0xffffffff || zw.off >= 0xffffffff || len(zw.entries) >= 0xffff {
		return ErrTooLarge
	}
	if h.Method == Store && int64(len(compressed)) != size {
		return fmt.Errorf("archive: entry %q: stored data is %d bytes, size says %d", h.Name, len(compressed), size)
	}
	d, t := DOSTime(h.Modified)
	rec := centralRecord{
		h: h, crc: crc, csize: uint32(len(compressed)), usize: uint32(size),
		offset: uint32(zw.off), dosDate: d, dosTime: t, nameBytes: []byte(h.Name),
	}
	b := &zw.buf
	b.Reset()
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, sigLocal))
	var hdr [26]byte
	le.PutUint16(hdr[0:], h.ReaderVersion)
	le.PutUint16(hdr[2:], h.Flags)
	le.PutUint16(hdr[4:], h.Method)
	le.PutUint16(hdr[6:], t)
	le.PutUint16(hdr[8:], d)
	le.PutUint32(hdr[10:], crc)
	le.PutUint32(hdr[14:], rec.csize)
	le.PutUint32(hdr[18:], rec.usize)
	le.PutUint16(hdr[22:], uint16(len(h.Name)))
	le.PutUint16(hdr[24:], uint16(len(h.LocalExtra)))
	b.Write(hdr[:])
	b.WriteString(h.Name)
	b.Write(h.LocalExtra)
	if _, err := zw.w.Write(b.Bytes()); err != nil {
		return err
	}
	if _, err := zw.w.Write(compressed); err != nil {
		return err
	}
	zw.off += int64(b.Len()) + int64(len(compressed))
	zw.entries = append(zw.entries, rec)
	zw.names[h.Name] = true
	return nil
}

// Close writes the central directory and the end record. It does not close
// the underlying writer.
func (zw *Writer) Close() error {
	if zw.closed {
		return nil
	}
	zw.closed = true
	le := binary.LittleEndian
	b := &zw.buf
	b.Reset()
	for _, e := range zw.entries {
		var rec [centralLen]byte
		le.PutUint32(rec[0:], sigCentral)
		le.PutUint16(rec[4:], e.h.CreatorVersion)
		le.PutUint16(rec[6:], e.h.ReaderVersion)
		le.PutUint16(rec[8:], e.h.Flags)
		le.PutUint16(rec[10:], e.h.Method)
		le.PutUint16(rec[12:], e.dosTime)
		le.PutUint16(rec[14:], e.dosDate)
		le.PutUint32(rec[16:], e.crc)
		le.PutUint32(rec[20:], e.csize)
		le.PutUint32(rec[24:], e.usize)
		le.PutUint16(rec[28:], uint16(len(e.nameBytes)))
		le.PutUint16(rec[30:], uint16(len(e.h.CentralExtra)))
		// comment length, disk number start, internal attributes: zero
		le.PutUint32(rec[38:], e.h.ExternalAttrs)
		le.PutUint32(rec[42:], e.offset)
		b.Write(rec[:])
		b.Write(e.nameBytes)
		b.Write(e.h.CentralExtra)
	}
	cdSize := b.Len()
	if zw.off+int64(cdSize) >= 0xffffffff {
		return ErrTooLarge
	}
	var end [endLen]byte
	le.PutUint32(end[0:], sigEnd)
	le.PutUint16(end[8:], uint16(len(zw.entries)))
	le.PutUint16(end[10:], uint16(len(zw.entries)))
	le.PutUint32(end[12:], uint32(cdSize))
	le.PutUint32(end[16:], uint32(zw.off))
	b.Write(end[:])
	_, err := zw.w.Write(b.Bytes())
	return err
}

// DOSTime encodes t's wall clock as MS-DOS date and time fields, rounding
// seconds down to even. Times before 1980 are clamped to 1980-01-01 00:00:00
// and times after 2107 to the last representable second.
func DOSTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm
}
