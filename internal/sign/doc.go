// Package sign signs and verifies .pqx files: OPC (ECMA-376 Part 2)
// packages carrying XML digital signatures in the form WindowsBase's
// PackageDigitalSignatureManager and MakePQX write (see
// shared/reference/pqx-format.md §3–§7).
//
// Signing (Package) adds a signature part under
// package/services/digital-signature/xml-signature/, the origin part and
// the relationships that lead to it; the signature's Manifest holds raw-byte
// digests of every content part, its SignedInfo signs the inclusive C14N of
// the package object. A signed package is countersigned unless
// Options.Replace is set. With Options.Seed and Options.Time fixed (see
// FromEnvironment and SOURCE_DATE_EPOCH) the output is byte-for-byte
// reproducible.
//
// Keys come from anything that implements Signer: a PFX (LoadPFX), PEM
// files (LoadPEM), any crypto.Signer such as an HSM or KMS client
// (NewSigner), or an external command (NewCommandSigner). KeyOptions maps
// the command-line flags to one of them.
//
// Verification (Verify) finds signatures through the origin relationship,
// never by name, checks every reference, content type and signature value,
// and returns MakePQX's VerifyResult together with a report of the signer
// certificates and of every part. It is stricter than PDSM in one way: a
// content part that no signature covers (a part added after signing) makes
// the result InvalidSignature, where PDSM would report Success. It also
// verifies signatures made by other OPC signers (prefixed XML, exclusive
// C14N, RelationshipTransform references, certificate parts).
//
// Reading is hostile-input safe: archives are read through
// internal/archive's bounded reader and XML through internal/xmldsig, which
// refuses DOCTYPEs and bounds depth and size.
package sign
