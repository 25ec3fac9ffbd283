package sign

import (
	"bytes"
	"testing"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/opc"
)

// TestInteropOPC signs what internal/opc writes for "pqx pack" and checks
// that opc's reader finds the signature and reports no problems, so the
// packaging and signing halves of the toolchain agree.
func TestInteropOPC(t *testing.T) {
	var files []mez.File
	for _, f := range typicalFiles() {
		files = append(files, mez.File{Name: f.name, Data: f.data})
	}
	var b bytes.Buffer
	if err := opc.WritePackage(&b, files, opc.Options{}); err != nil {
		t.Fatal(err)
	}
	signed := mustSign(t, mustSign(t, b.Bytes(), testSigner(t, 0), Options{}), testSigner(t, 1), Options{})
	rep := mustVerify(t, signed, VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 2 {
		t.Fatalf("%d signatures", len(rep.Signatures))
	}

	zr, err := archive.Read(bytes.NewReader(signed), int64(len(signed)), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := opc.Inspect(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !ins.Signed || len(ins.Signatures) != 2 || ins.SignatureOrigin != originPartName || len(ins.Problems) != 0 {
		t.Errorf("opc.Inspect: signed=%v origin=%q signatures=%v problems=%v", ins.Signed, ins.SignatureOrigin, ins.Signatures, ins.Problems)
	}
	for i, s := range rep.Signatures {
		if i < len(ins.Signatures) && ins.Signatures[i] != s.Part {
			t.Errorf("signature %d: opc says %s, sign says %s", i, ins.Signatures[i], s.Part)
		}
	}
}
