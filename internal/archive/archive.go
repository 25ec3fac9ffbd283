// Package archive reads ZIP archives supplied by users (.mez and .pqx files)
// without trusting them, and writes ZIP archives byte for byte as the
// packaging code asks.
//
// Reading parses the central directory itself instead of using archive/zip,
// so that every limit is enforced before memory is spent: the entry count,
// each entry's declared uncompressed size, the total declared size and the
// length of names are checked while the directory is walked, and entry names
// that could escape an extraction directory (absolute paths, drive letters,
// "..", backslashes, NUL) or collide with another entry, also when compared
// case-insensitively, are rejected with an error naming the entry. Entry data
// is decompressed as a stream that never yields more than the declared size
// and whose CRC-32 is checked at the end, so a deflate bomb costs at most the
// limits and a damaged archive is an error, not silent garbage.
//
// Writing (see Writer) gives the caller control over every header field the
// .mez and .pqx formats pin down: versions, flags, local-only extra fields,
// timestamps and raw copies of compressed streams.
package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Compression methods understood by Entry.Open.
const (
	Store   uint16 = 0
	Deflate uint16 = 8
)

// Limits bound what reading an archive may cost. A zero field means the
// value of DefaultLimits for that field, so Limits{} is safe to pass.
type Limits struct {
	MaxEntries   int   // entries in the central directory
	MaxEntrySize int64 // declared uncompressed size of one entry, in bytes
	MaxTotalSize int64 // sum of the declared uncompressed sizes, in bytes
	MaxNameLen   int   // bytes in one entry name
}

// DefaultLimits suit connector packages, which hold a few dozen small files:
// generous enough for any real connector, small enough that a hostile file
// cannot exhaust memory.
var DefaultLimits = Limits{
	MaxEntries:   4096,
	MaxEntrySize: 64 << 20,
	MaxTotalSize: 256 << 20,
	MaxNameLen:   1024,
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = DefaultLimits.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxNameLen <= 0 {
		l.MaxNameLen = DefaultLimits.MaxNameLen
	}
	return l
}

// Error describes why an archive was rejected. Entry is empty when the
// problem is not tied to one entry.
type Error struct {
	Path  string // file name given to Open, or "" for Read
	Entry string // entry name, if any
	Msg   string
	Kind  error // ErrLimit, ErrFormat or nil
}

// Unwrap returns Kind, so that errors.Is(err, ErrLimit) works.
func (e *Error) Unwrap() error { return e.Kind }

func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Entry != "" {
		fmt.Fprintf(&b, "entry %q: ", e.Entry)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrLimit is wrapped by errors caused by a Limits bound (test with
// errors.Is), so callers can tell "too big" apart from "malformed".
var ErrLimit = errors.New("archive limit exceeded")

// ErrFormat is wrapped by errors caused by a malformed or unsupported archive.
var ErrFormat = errors.New("not a valid zip archive")

// Entry is one file of an archive, as declared by its central directory
// record.
type Entry struct {
	Name           string    // entry name, validated (see ValidateName)
	Method         uint16    // compression method (Store, Deflate, ...)
	Flags          uint16    // general-purpose bit flags
	CreatorVersion uint16    // "version made by"
	ReaderVersion  uint16    // "version needed to extract"
	CRC32          uint32    // CRC-32 of the uncompressed data
	CompressedSize int64     // bytes of compressed data
	Size           int64     // declared uncompressed size
	Modified       time.Time // DOS date and time, as UTC wall clock
	ExternalAttrs  uint32
	Extra          []byte // central directory extra field
	Comment        string

	r            *Reader
	headerOffset int64
}

// Reader is an opened archive. Its Entries are in central directory order.
type Reader struct {
	Entries []*Entry
	Comment string

	ra     io.ReaderAt
	size   int64
	path   string
	lim    Limits
	closer io.Closer
	index  map[string]*Entry
}

// Open opens and validates the archive at path. Close the returned Reader
// when done.
func Open(path string, lim Limits) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &Error{Path: path, Msg: "not a regular file"}
	}
	r, err := read(f, fi.Size(), lim, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Read validates the archive of the given size readable from ra. The Reader
// keeps using ra; Close is a no-op for it.
func Read(ra io.ReaderAt, size int64, lim Limits) (*Reader, error) {
	return read(ra, size, lim, "")
}

// Close releases the file opened by Open.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Lookup returns the entry with exactly the given name, or nil.
func (r *Reader) Lookup(name string) *Entry { return r.index[name] }

// Limits returns the limits the archive was read with, defaults filled in.
func (r *Reader) Limits() Limits { return r.lim }

func (r *Reader) errorf(entry, format string, args ...any) error {
	return &Error{Path: r.path, Entry: entry, Msg: fmt.Sprintf(format, args...)}
}

func (r *Reader) limitf(entry, format string, args ...any) error {
	return &Error{Path: r.path, Entry: entry, Msg: fmt.Sprintf(format, args...), Kind: ErrLimit}
}

func (r *Reader) formatf(entry, format string, args ...any) error {
	return &Error{Path: r.path, Entry: entry, Msg: fmt.Sprintf(format, args...), Kind: ErrFormat}
}

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigEnd64Loc  = 0x07064b50
	localLen     = 30
	centralLen   = 46
	endLen       = 22
	end64LocLen  = 20
	end64Len     = 56
	maxCommentSz = 0xffff
)

func read(ra io.ReaderAt, size int64, lim Limits, path string) (*Reader, error) {
	r := &Reader{ra: ra, size: size, path: path, lim: lim.withDefaults()}
	if err := r.readDirectory(); err != nil {
		return nil, err
	}
	return r, nil
}

// readDirectory finds the end-of-central-directory record and walks the
// central directory, enforcing the limits as it goes.
func (r *Reader) readDirectory() error {
	if r.size < endLen {
		return r.formatf("", "not a zip archive (%d bytes, too short)", r.size)
	}
	// The end record sits in the last 22+65535 bytes; search backwards for a
	// signature whose comment length reaches exactly to the end of the file.
	tail := min(r.size, endLen+maxCommentSz)
	buf := make([]byte, tail)
	if _, err := r.ra.ReadAt(buf, r.size-tail); err != nil && err != io.EOF {
		return err
	}
	endAt := -1
	for i := len(buf) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigEnd {
			n := int(binary.LittleEndian.Uint16(buf[i+20:]))
			if i+endLen+n == len(buf) {
				endAt = i
				break
			}
		}
	}
	if endAt < 0 {
		return r.formatf("", "not a zip archive (no end of central directory record)")
	}
	end := buf[endAt:]
	diskNum := binary.LittleEndian.Uint16(end[4:])
	cdDisk := binary.LittleEndian.Uint16(end[6:])
	count := uint64(binary.LittleEndian.Uint16(end[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	cdOffset := uint64(binary.LittleEndian.Uint32(end[16:]))
	r.Comment = string(end[endLen : endLen+int(binary.LittleEndian.Uint16(end[20:]))])
	if diskNum != 0 || cdDisk != 0 {
		return r.formatf("", "multi-disk archives are not supported")
	}
	endOff := r.size - tail + int64(endAt)

	// Zip64: a locator just before the end record points to a larger record.
	if count == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff {
		if endOff >= end64LocLen {
			loc := make([]byte, end64LocLen)
			if _, err := r.ra.ReadAt(loc, endOff-end64LocLen); err != nil {
				return err
			}
			if binary.LittleEndian.Uint32(loc) == sigEnd64Loc {
				off := binary.LittleEndian.Uint64(loc[8:])
				if off > uint64(endOff)-end64LocLen || uint64(endOff)-end64LocLen-off < end64Len {
					return r.formatf("", "zip64 end record offset %d out of range", off)
				}
				rec := make([]byte, end64Len)
				if _, err := r.ra.ReadAt(rec, int64(off)); err != nil {
					return err
				}
				if binary.LittleEndian.Uint32(rec) != sigEnd64 {
					return r.formatf("", "bad zip64 end of central directory record")
				}
				count = binary.LittleEndian.Uint64(rec[32:])
				cdSize = binary.LittleEndian.Uint64(rec[40:])
				cdOffset = binary.LittleEndian.Uint64(rec[48:])
				endOff = int64(off)
			}
		}
	}
	if count > uint64(r.lim.MaxEntries) {
		return r.limitf("", "%d entries declared, more than the limit of %d", count, r.lim.MaxEntries)
	}
	if cdOffset > uint64(endOff) || cdSize > uint64(endOff)-cdOffset {
		return r.formatf("", "central directory (offset %d, size %d) lies outside the file", cdOffset, cdSize)
	}
	if count*centralLen > cdSize {
		return r.formatf("", "central directory of %d bytes cannot hold %d entries", cdSize, count)
	}
	// In theory each record may carry 128 KiB of extra field and comment;
	// real archives carry a few bytes. Allow the names the limits allow
	// plus 16 MiB of extras and comments in all, so a hostile directory
	// cannot make us allocate more.
	maxCD := uint64(r.lim.MaxEntries)*(centralLen+uint64(r.lim.MaxNameLen)) + 16<<20
	if cdSize > maxCD {
		return r.limitf("", "central directory of %d bytes is larger than the limit allows", cdSize)
	}
	cd := make([]byte, cdSize)
	if _, err := r.ra.ReadAt(cd, int64(cdOffset)); err != nil && !(err == io.EOF && len(cd) == 0) {
		return err
	}

	r.Entries = make([]*Entry, 0, count)
	r.index = make(map[string]*Entry, count)
	folded := make(map[string]string, count)
	var total int64
	p := cd
	for i := uint64(0); i < count; i++ {
		if len(p) < centralLen || binary.LittleEndian.Uint32(p) != sigCentral {
			return r.formatf("", "central directory record %d is damaged", i+1)
		}
		e := &Entry{r: r}
		e.CreatorVersion = binary.LittleEndian.Uint16(p[4:])
		e.ReaderVersion = binary.LittleEndian.Uint16(p[6:])
		e.Flags = binary.LittleEndian.Uint16(p[8:])
		e.Method = binary.LittleEndian.Uint16(p[10:])
		e.Modified = dosTime(binary.LittleEndian.Uint16(p[14:]), binary.LittleEndian.Uint16(p[12:]))
		e.CRC32 = binary.LittleEndian.Uint32(p[16:])
		csize := uint64(binary.LittleEndian.Uint32(p[20:]))
		usize := uint64(binary.LittleEndian.Uint32(p[24:]))
		nameLen := int(binary.LittleEndian.Uint16(p[28:]))
		extraLen := int(binary.LittleEndian.Uint16(p[30:]))
		commentLen := int(binary.LittleEndian.Uint16(p[32:]))
		disk := uint32(binary.LittleEndian.Uint16(p[34:]))
		e.ExternalAttrs = binary.LittleEndian.Uint32(p[38:])
		offset := uint64(binary.LittleEndian.Uint32(p[42:]))
		if len(p) < centralLen+nameLen+extraLen+commentLen {
			return r.formatf("", "central directory record %d is truncated", i+1)
		}
		rawName := p[centralLen : centralLen+nameLen]
		e.Extra = append([]byte(nil), p[centralLen+nameLen:centralLen+nameLen+extraLen]...)
		e.Comment = string(p[centralLen+nameLen+extraLen : centralLen+nameLen+extraLen+commentLen])
		p = p[centralLen+nameLen+extraLen+commentLen:]

		if nameLen > r.lim.MaxNameLen {
			return r.limitf(string(rawName[:min(64, nameLen)])+"...", "name of %d bytes is longer than the limit of %d", nameLen, r.lim.MaxNameLen)
		}
		if !utf8.Valid(rawName) {
			return r.formatf(fmt.Sprintf("%+q", rawName), "name is not valid UTF-8")
		}
		e.Name = string(rawName)
		if err := ValidateName(e.Name); err != nil {
			return r.errorf(e.Name, "%v", err)
		}
		if err := zip64Fields(e.Extra, &usize, &csize, &offset, &disk); err != nil {
			return r.formatf(e.Name, "%v", err)
		}
		if disk != 0 {
			return r.formatf(e.Name, "multi-disk archives are not supported")
		}
		if e.Flags&0x1 != 0 {
			return r.formatf(e.Name, "encrypted entries are not supported")
		}
		if usize > uint64(r.lim.MaxEntrySize) {
			return r.limitf(e.Name, "declared size %d bytes is larger than the limit of %d", usize, r.lim.MaxEntrySize)
		}
		total += int64(usize)
		if total > r.lim.MaxTotalSize {
			return r.limitf(e.Name, "total declared size exceeds the limit of %d bytes", r.lim.MaxTotalSize)
		}
		if offset >= cdOffset || csize > cdOffset-offset {
			return r.formatf(e.Name, "data (offset %d, %d bytes) lies outside the file's data area", offset, csize)
		}
		e.Size = int64(usize)
		e.CompressedSize = int64(csize)
		e.headerOffset = int64(offset)
		if _, dup := r.index[e.Name]; dup {
			return r.errorf(e.Name, "duplicate entry name")
		}
		key := strings.ToLower(e.Name)
		if prev, dup := folded[key]; dup {
			return r.errorf(e.Name, "name differs only in case from entry %q", prev)
		}
		folded[key] = e.Name
		r.index[e.Name] = e
		r.Entries = append(r.Entries, e)
	}
	return nil
}

// zip64Fields replaces saturated 32-bit values by those of a Zip64 extended
// information extra field, in the order the format defines.
func zip64Fields(extra []byte, usize, csize, offset *uint64, disk *uint32) error {
	need := *usize == 0xffffffff || *csize == 0xffffffff || *offset == 0xffffffff || *disk == 0xffff
	if !need {
		return nil
	}
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+n {
			return errors.New("truncated extra field")
		}
		data := extra[4 : 4+n]
		extra = extra[4+n:]
		if id != 0x0001 {
			continue
		}
		take := func(v *uint64) error {
			if *v != 0xffffffff {
				return nil
			}
			if len(data) < 8 {
				return errors.New("truncated zip64 extra field")
			}
			*v = binary.LittleEndian.Uint64(data)
			data = data[8:]
			return nil
		}
		for _, v := range []*uint64{usize, csize, offset} {
			if err := take(v); err != nil {
				return err
			}
		}
		if *disk == 0xffff {
			if len(data) < 4 {
				return errors.New("truncated zip64 extra field")
			}
			*disk = binary.LittleEndian.Uint32(data)
		}
		return nil
	}
	return errors.New("sizes saturated but no zip64 extra field")
}

// ValidateName reports whether name is safe as an archive entry name: not
// empty, relative, "/"-separated, free of backslashes, NUL and other control
// characters, drive letters and "." or ".." segments. A trailing "/" (a
// directory entry) is allowed.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("empty entry name")
	case strings.HasPrefix(name, "/"):
		return errors.New("absolute path not allowed")
	case strings.Contains(name, `\`):
		return errors.New(`backslash in entry name not allowed (use "/")`)
	case len(name) >= 2 && name[1] == ':' && (name[0]|0x20) >= 'a' && (name[0]|0x20) <= 'z':
		return errors.New("drive letter not allowed")
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("control character %U in entry name not allowed", c)
		}
	}
	segs := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, s := range segs {
		switch s {
		case "..":
			return errors.New(`".." path segment not allowed (it would escape the target directory)`)
		case ".":
			return errors.New(`"." path segment not allowed`)
		case "":
			return errors.New("empty path segment not allowed")
		}
	}
	return nil
}

// IsDir reports whether the entry is a directory entry (its name ends in "/").
func (e *Entry) IsDir() bool { return strings.HasSuffix(e.Name, "/") }

// dataOffset reads and checks the entry's local header and returns where its
// data begins.
func (e *Entry) dataOffset() (int64, error) {
	r := e.r
	var h [localLen]byte
	if _, err := r.ra.ReadAt(h[:], e.headerOffset); err != nil {
		return 0, r.formatf(e.Name, "cannot read local header: %v", err)
	}
	if binary.LittleEndian.Uint32(h[:]) != sigLocal {
		return 0, r.formatf(e.Name, "bad local header signature at offset %d", e.headerOffset)
	}
	nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
	extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
	if m := binary.LittleEndian.Uint16(h[8:]); m != e.Method {
		return 0, r.formatf(e.Name, "local header method %d differs from central directory method %d", m, e.Method)
	}
	name := make([]byte, nameLen)
	if _, err := r.ra.ReadAt(name, e.headerOffset+localLen); err != nil {
		return 0, r.formatf(e.Name, "cannot read local header name: %v", err)
	}
	if string(name) != e.Name {
		return 0, r.formatf(e.Name, "local header names a different entry %q", name)
	}
	off := e.headerOffset + localLen + nameLen + extraLen
	if off+e.CompressedSize > r.size {
		return 0, r.formatf(e.Name, "data runs past the end of the file")
	}
	return off, nil
}

// OpenRaw returns the entry's data as stored, still compressed, for copying
// a compressed stream into another archive unchanged.
func (e *Entry) OpenRaw() (*io.SectionReader, error) {
	off, err := e.dataOffset()
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(e.r.ra, off, e.CompressedSize), nil
}

// Open returns a reader of the entry's uncompressed data. The reader yields
// at most the declared Size bytes and reports an error at the end if the data
// is longer or shorter than declared or its CRC-32 does not match.
func (e *Entry) Open() (io.ReadCloser, error) {
	raw, err := e.OpenRaw()
	if err != nil {
		return nil, err
	}
	var src io.Reader
	var closer io.Closer
	switch e.Method {
	case Store:
		if e.CompressedSize != e.Size {
			return nil, e.r.formatf(e.Name, "stored entry has compressed size %d but size %d", e.CompressedSize, e.Size)
		}
		src = raw
	case Deflate:
		fr := newFlateReader(raw)
		src, closer = fr, fr
	default:
		return nil, e.r.formatf(e.Name, "unsupported compression method %d", e.Method)
	}
	return &checkReader{e: e, src: src, closer: closer, crc: crc32.NewIEEE()}, nil
}

// ReadAll returns the entry's uncompressed data, checked as Open does; it
// never holds more than the declared size, which the limits bound.
func (e *Entry) ReadAll() ([]byte, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Start from the declared size but not beyond 1 MiB, so an entry that
	// lies about its size costs only what it really inflates to.
	buf := bytes.NewBuffer(make([]byte, 0, min(e.Size, 1<<20)+1))
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkReader enforces the declared size and CRC-32 of an entry.
type checkReader struct {
	e      *Entry
	src    io.Reader
	closer io.Closer
	crc    hashWriter
	n      int64
	err    error
}

type hashWriter interface {
	io.Writer
	Sum32() uint32
}

func (c *checkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	// Ask for one byte beyond the declared size, so that overlong data is
	// detected without ever handing it to the caller.
	if rem := c.e.Size - c.n + 1; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.src.Read(p)
	if c.n+int64(n) > c.e.Size {
		c.err = c.e.r.formatf(c.e.Name, "data is longer than its declared size %d", c.e.Size)
		n = int(c.e.Size - c.n)
		c.crc.Write(p[:n])
		c.n += int64(n)
		return n, c.err
	}
	c.crc.Write(p[:n])
	c.n += int64(n)
	switch {
	case err == io.EOF:
		if c.n != c.e.Size {
			c.err = c.e.r.formatf(c.e.Name, "data is %d bytes, shorter than its declared size %d", c.n, c.e.Size)
		} else if c.crc.Sum32() != c.e.CRC32 {
			c.err = c.e.r.formatf(c.e.Name, "CRC-32 mismatch (data is damaged)")
		} else {
			c.err = io.EOF
		}
		return n, c.err
	case err != nil:
		c.err = c.e.r.formatf(c.e.Name, "%v", err)
		return n, c.err
	}
	return n, nil
}

func (c *checkReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

// dosTime converts MS-DOS date and time fields to a UTC wall-clock time.
func dosTime(date, tm uint16) time.Time {
	return time.Date(
		int(date>>9)+1980, time.Month(date>>5&0xf), int(date&0x1f),
		int(tm>>11), int(tm>>5&0x3f), int(tm&0x1f)*2, 0, time.UTC)
}
