package eval

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Binary.*, BinaryEncoding.*, TextEncoding.*, Text.ToBinary/FromBinary and
// Crypto.CreateHash (an SDK-only function known from connector usage).

// Text encodings are Windows code page numbers, as in Power Query.
const (
	encUTF8      = 65001
	encUTF16     = 1200
	encUTF16BE   = 1201
	encASCII     = 20127
	encWindows   = 1252
	encISO88591  = 28591
	binEncBase64 = 0
	binEncHex    = 1
)

func init() {
	for name, v := range map[string]float64{
		"TextEncoding.Utf8": encUTF8, "TextEncoding.Utf16": encUTF16, "TextEncoding.Unicode": encUTF16,
		"TextEncoding.BigEndianUnicode": encUTF16BE, "TextEncoding.Ascii": encASCII, "TextEncoding.Windows": encWindows,
		"BinaryEncoding.Base64": binEncBase64, "BinaryEncoding.Hex": binEncHex,
		"CryptoAlgorithm.SHA1": 1, "CryptoAlgorithm.SHA256": 2, "CryptoAlgorithm.SHA384": 3,
		"CryptoAlgorithm.SHA512": 4, "CryptoAlgorithm.MD5": 5,
	} {
		registerValue(name, Num(v))
	}
	register(
		builtin("Text.ToBinary", "text as nullable text, optional encoding as nullable number, optional includeByteOrderMark as nullable logical", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			enc, bom := encUTF8, false
			if err := unpack(th, a, nil, &enc, &bom); err != nil {
				return nil, err
			}
			b, err := encodeText(a[0].(Text).S, enc, bom)
			if err != nil {
				return nil, err
			}
			return Bytes(b), nil
		}),
		builtin("Text.FromBinary", "binary as nullable binary, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			enc := encUTF8
			if err := unpack(th, a, &data, &enc); err != nil {
				return nil, err
			}
			s, err := decodeText(data, enc)
			if err != nil {
				return nil, err
			}
			return Str(s), nil
		}),
		builtin("Binary.ToText", "binary as nullable binary, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			enc := binEncBase64
			if err := unpack(th, a, &data, &enc); err != nil {
				return nil, err
			}
			switch enc {
			case binEncBase64:
				return Str(base64.StdEncoding.EncodeToString(data)), nil
			case binEncHex:
				return Str(strings.ToUpper(hex.EncodeToString(data))), nil
			}
			return nil, argRange("encoding")
		}),
		builtin("Binary.FromText", "text as nullable text, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			enc := binEncBase64
			if err := unpack(th, a, nil, &enc); err != nil {
				return nil, err
			}
			s := a[0].(Text).S
			switch enc {
			case binEncBase64:
				b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
				if err != nil {
					b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
				}
				if err != nil {
					return nil, NewErrorDetail("DataFormat.Error", "The input is not a valid Base-64 string.", Str(s))
				}
				return Bytes(b), nil
			case binEncHex:
				b, err := hex.DecodeString(s)
				if err != nil {
					return nil, NewErrorDetail("DataFormat.Error", "The input is not a valid hexadecimal string.", Str(s))
				}
				return Bytes(b), nil
			}
			return nil, argRange("encoding")
		}),
		builtin("Binary.From", "value as any, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Binary:
				return x, nil
			case Text:
				b, err := base64.StdEncoding.DecodeString(x.S)
				if err != nil {
					return nil, NewErrorDetail("DataFormat.Error", "The input is not a valid Base-64 string.", x)
				}
				return Bytes(b), nil
			}
			return nil, typeErr(a[0], "binary")
		}),
		builtin("Binary.Buffer", "binary as nullable binary", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			if err := unpack(th, a, &data); err != nil {
				return nil, err
			}
			return Bytes(data), nil
		}),
		builtin("Binary.Length", "binary as nullable binary", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var data []byte
			if err := unpack(th, a, &data); err != nil {
				return nil, err
			}
			return Num(float64(len(data))), nil
		}),
		builtin("Binary.ToList", "binary as binary", func(th *Thread, a []Value) (Value, error) {
			var data []byte
			if err := unpack(th, a, &data); err != nil {
				return nil, err
			}
			out := make([]Value, len(data))
			for i, b := range data {
				out[i] = Num(float64(b))
			}
			return NewList(out...), nil
		}),
		builtin("Binary.FromList", "list as list", func(th *Thread, a []Value) (Value, error) {
			return library["#binary"].(*Function).Impl(th, a)
		}),
		builtin("Binary.Combine", "binaries as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var out []byte
			for _, v := range vals {
				var data []byte
				if err := unpack(th, []Value{v}, &data); err != nil {
					return nil, err
				}
				out = append(out, data...)
				if err := th.checkTextLen(len(out)); err != nil {
					return nil, err
				}
			}
			return Bytes(out), nil
		}),
		builtin("Binary.Range", "binary as binary, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			var data []byte
			off, count := 0, -1
			if err := unpack(th, a, &data, &off, &count); err != nil {
				return nil, err
			}
			if off < 0 || off > len(data) {
				return nil, argRange("offset")
			}
			end := len(data)
			if count >= 0 {
				end = min(end, off+count)
			}
			return Bytes(data[off:end]), nil
		}),
		builtin("Crypto.CreateHash", "algorithm as number, value as binary", func(th *Thread, a []Value) (Value, error) {
			var alg int
			var data []byte
			if err := unpack(th, a, &alg, &data); err != nil {
				return nil, err
			}
			var h hash.Hash
			switch alg {
			case 1:
				h = sha1.New()
			case 2:
				h = sha256.New()
			case 3:
				h = sha512.New384()
			case 4:
				h = sha512.New()
			case 5:
				h = md5.New()
			default:
				return nil, argRange("algorithm")
			}
			h.Write(data)
			return Bytes(h.Sum(nil)), nil
		}),
	)
}

func encodeText(s string, enc int, bom bool) ([]byte, error) {
	switch enc {
	case encUTF8:
		if bom {
			return append([]byte{0xEF, 0xBB, 0xBF}, s...), nil
		}
		return []byte(s), nil
	case encUTF16, encUTF16BE:
		u := utf16.Encode([]rune(s))
		out := make([]byte, 0, 2*len(u)+2)
		var order binary.AppendByteOrder = binary.LittleEndian
		if enc == encUTF16BE {
			order = binary.BigEndian
		}
		if bom {
			out = order.AppendUint16(out, 0xFEFF)
		}
		for _, c := range u {
			out = order.AppendUint16(out, c)
		}
		return out, nil
	case encASCII:
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0x7F {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, nil
	case encWindows, encISO88591:
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xFF {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return nil, argRange("encoding")
}

func decodeText(b []byte, enc int) (string, error) {
	switch enc {
	case encUTF8:
		b = trimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
		if utf8.Valid(b) {
			return string(b), nil
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	case encUTF16, encUTF16BE:
		var order binary.ByteOrder = binary.LittleEndian
		if enc == encUTF16BE {
			order = binary.BigEndian
		}
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, order.Uint16(b[i:]))
		}
		if len(u) > 0 && u[0] == 0xFEFF {
			u = u[1:]
		}
		return string(utf16.Decode(u)), nil
	case encASCII:
		r := make([]rune, len(b))
		for i, c := range b {
			if c > 0x7F {
				c = '?'
			}
			r[i] = rune(c)
		}
		return string(r), nil
	case encWindows, encISO88591:
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return "", argRange("encoding")
}

func trimPrefix(b, p []byte) []byte {
	if len(b) >= len(p) && string(b[:len(p)]) == string(p) {
		return b[len(p):]
	}
	return b
}
