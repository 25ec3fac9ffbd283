package opc_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/opc"
)

// A build writes the .mez and the .pqx of the same files, compressing each
// file once; the packages then carry identical compressed streams.
func Example() {
	files := []mez.File{
		{Name: "resources.resx", Data: []byte("<root/>")},
		{Name: "Hello.pq", Data: []byte(`section Hello; [DataSource.Kind="Hello"] shared Hello.Contents = () => "hi";`)},
	}
	modTime, err := mez.ModTime() // SOURCE_DATE_EPOCH, or 1980-01-01
	if err != nil {
		log.Fatal(err)
	}
	prepared, err := mez.Prepare(files, mez.Options{})
	if err != nil {
		log.Fatal(err)
	}
	var mezBuf, pqxBuf bytes.Buffer
	if err := mez.WritePrepared(&mezBuf, prepared, mez.Options{ModTime: modTime}); err != nil {
		log.Fatal(err)
	}
	if err := opc.WritePrepared(&pqxBuf, prepared, opc.Options{ModTime: modTime}); err != nil {
		log.Fatal(err)
	}

	a, err := archive.Read(bytes.NewReader(pqxBuf.Bytes()), int64(pqxBuf.Len()), archive.DefaultLimits)
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := opc.ReadPackage(a)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pkg.Parts {
		fmt.Println(p.Name, p.ContentType)
	}
	// Output:
	// /Hello.pq application/x-ms-m
	// /resources.resx text/xml
}
