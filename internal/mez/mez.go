// Package mez builds .mez files, the unsigned Power Query connector package:
// a flat ZIP archive of a connector's top-level files, written with the
// header fields .NET's ZipArchive uses (version 2.0, FAT, no extra fields,
// no data descriptors), deflate for every non-empty file and "stored" for
// empty ones, in a stable order and with one fixed timestamp, so that the
// same files always give the same bytes.
//
// Collect selects the files of a source directory by the rules of MakePQX
// "compile"; Write writes them.
package mez

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
)

// File is one file of a connector package: a flat name (no directories) and
// its content.
type File struct {
	Name string
	Data []byte
}

// Options control Write.
type Options struct {
	// ModTime is the timestamp of every entry. The zero value means
	// DefaultEpoch; pass the result of ModTime to honour SOURCE_DATE_EPOCH.
	ModTime time.Time
	// KeepOrder writes the files in the order given instead of sorting them
	// with SortFiles.
	KeepOrder bool
	// Cache, if set, remembers compressed contents so that files shared by
	// many packages (a connector's icons in every tenant build) are
	// compressed once.
	Cache *DeflateCache
}

// DefaultEpoch is the entry timestamp used when SOURCE_DATE_EPOCH is unset:
// the earliest time a ZIP (MS-DOS) timestamp can hold.
var DefaultEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ModTime returns the timestamp for reproducible packages: the time in the
// SOURCE_DATE_EPOCH environment variable (decimal seconds since the Unix
// epoch, https://reproducible-builds.org/specs/source-date-epoch/) when it is
// set and not empty, else DefaultEpoch. A malformed value or one outside the
// 1980–2107 range a ZIP timestamp can hold is an error, not silently ignored.
func ModTime() (time.Time, error) {
	return ModTimeFrom(os.Getenv("SOURCE_DATE_EPOCH"))
}

// ModTimeFrom is ModTime for a given SOURCE_DATE_EPOCH value.
func ModTimeFrom(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultEpoch, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v[0] == '+' {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a whole number of seconds since 1970-01-01", v)
	}
	t := time.Unix(n, 0).UTC()
	if t.Before(DefaultEpoch) || t.Year() > 2107 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %s is outside the range of ZIP timestamps (1980-01-01 to 2107-12-31)", v, t.Format(time.RFC3339))
	}
	return t, nil
}

// SortFiles sorts files into the order MakePQX produces on Windows (NTFS
// directory order): by upper-cased name, then by exact name so the order is
// total.
func SortFiles(files []File) {
	slices.SortStableFunc(files, func(a, b File) int { return CompareNames(a.Name, b.Name) })
}

// CompareNames orders names case-insensitively by upper case, as NTFS
// does, with ties broken by the exact bytes.
func CompareNames(a, b string) int {
	if c := strings.Compare(strings.ToUpper(a), strings.ToUpper(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// ValidateNames checks that every name is a valid flat file name and that
// no two names are equal when compared case-insensitively (they would
// collide on Windows and in an OPC package).
func ValidateNames(files []File) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		if err := archive.ValidateName(f.Name); err != nil {
			return fmt.Errorf("file %q: %v", f.Name, err)
		}
		if strings.Contains(f.Name, "/") {
			return fmt.Errorf("file %q: a .mez holds top-level files only", f.Name)
		}
		k := strings.ToUpper(f.Name)
		if prev, ok := seen[k]; ok {
			if prev == f.Name {
				return fmt.Errorf("file %q: listed twice", f.Name)
			}
			return fmt.Errorf("files %q and %q differ only in case", prev, f.Name)
		}
		seen[k] = f.Name
	}
	return nil
}

// Header returns the ZIP header .NET's ZipArchive writes for a .mez entry:
// version needed 20, made by 2.0 on FAT, no flags, no extra fields, deflate
// unless the file is empty.
func Header(name string, size int, mod time.Time) archive.Header {
	m := archive.Deflate
	if size == 0 {
		m = archive.Store
	}
	return archive.Header{Name: name, Method: m, CreatorVersion: 0x0014, ReaderVersion: 20, Modified: mod}
}

// Write writes files as a .mez archive to w. Names are validated with
// ValidateNames; files are sorted with SortFiles unless opt.KeepOrder is
// set. The caller's slice is not modified.
func Write(w io.Writer, files []File, opt Options) error {
	p, err := Prepare(files, opt)
	if err != nil {
		return err
	}
	return WritePrepared(w, p, opt)
}

// Prepared is a file ready to be written to a .mez or a .pqx: validated,
// in package order and compressed once, so that both packages of a build
// share the work and carry byte-identical compressed streams, as MakePQX's
// packages do.
type Prepared struct {
	Name       string
	Method     uint16 // archive.Deflate, or archive.Store for empty files
	Compressed []byte // the data as stored in the archive
	CRC32      uint32 // of the uncompressed data
	Size       int64  // uncompressed size
}

// Prepare validates, orders and compresses files as Write does.
func Prepare(files []File, opt Options) ([]Prepared, error) {
	if err := ValidateNames(files); err != nil {
		return nil, err
	}
	if !opt.KeepOrder {
		files = slices.Clone(files)
		SortFiles(files)
	}
	out := make([]Prepared, len(files))
	for i, f := range files {
		p := Prepared{Name: f.Name, Method: archive.Store, Compressed: f.Data, CRC32: crc32.ChecksumIEEE(f.Data), Size: int64(len(f.Data))}
		if len(f.Data) > 0 {
			p.Method, p.Compressed = archive.Deflate, opt.Cache.deflate(f.Data)
		}
		out[i] = p
	}
	return out, nil
}

// WritePrepared writes prepared files as a .mez archive, in the given
// order, with opt.ModTime (KeepOrder is ignored: Prepare has ordered them).
func WritePrepared(w io.Writer, files []Prepared, opt Options) error {
	mod := opt.ModTime
	if mod.IsZero() {
		mod = DefaultEpoch
	}
	zw := archive.NewWriter(w)
	for _, f := range files {
		h := Header(f.Name, int(f.Size), mod)
		h.Method = f.Method
		if err := zw.AddRaw(h, f.Compressed, f.CRC32, f.Size); err != nil {
			return err
		}
	}
	return zw.Close()
}

// SectionDocument returns the name of the one section document among the
// names: a file ending in ".pq" but not ".query.pq", or in ".m" (compared
// case-insensitively). Zero or several candidates is an error wrapping
// ErrSectionDocument that lists them.
func SectionDocument(names []string) (string, error) {
	var found []string
	for _, n := range names {
		if IsSectionDocument(n) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("%w: found none", ErrSectionDocument)
	default:
		return "", fmt.Errorf("%w: found %d (%s)", ErrSectionDocument, len(found), strings.Join(found, ", "))
	}
}

// IsSectionDocument reports whether name counts as a section document under
// the MakePQX rule: it ends in ".pq" but not ".query.pq", or in ".m".
func IsSectionDocument(name string) bool {
	l := strings.ToLower(name)
	return strings.HasSuffix(l, ".pq") && !strings.HasSuffix(l, ".query.pq") || strings.HasSuffix(l, ".m")
}

// ErrSectionDocument is wrapped by errors about the number of section
// documents; its text is MakePQX's message, lower-cased as Go errors are.
var ErrSectionDocument = errors.New("expect only one power query file ending with either .pq or .m")
