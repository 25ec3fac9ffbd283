package archive

import (
	"compress/flate"
	"io"
)

func newFlateReader(r io.Reader) io.ReadCloser { return flate.NewReader(r) }
