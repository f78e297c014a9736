package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// Exact numbers: varint (two's complement big-endian, any size), decimal
// (int32 scale + varint unscaled value) and floats written as the shortest
// text that parses back to the same bits.

// appendVarint appends the decimal text of a two's complement big-endian
// integer. b is not empty.
func appendVarint(dst, b []byte) []byte {
	if len(b) <= 8 {
		return strconv.AppendInt(dst, varintInt64(b), 10)
	}
	return bigFromVarint(b).Append(dst, 10)
}

// varintInt64 sign-extends up to 8 bytes.
func varintInt64(b []byte) int64 {
	var v int64
	if len(b) > 0 && b[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

func bigFromVarint(b []byte) *big.Int {
	x := new(big.Int)
	if len(b) == 0 || b[0]&0x80 == 0 {
		return x.SetBytes(b)
	}
	inv := make([]byte, len(b))
	for i, c := range b {
		inv[i] = ^c
	}
	x.SetBytes(inv)
	x.Add(x, big.NewInt(1))
	return x.Neg(x)
}

// appendInt64Varint appends v in its minimal two's complement form, as
// Java's BigInteger.toByteArray writes it.
func appendInt64Varint(dst []byte, v int64) []byte {
	n := 8
	for n > 1 {
		// Drop the top byte while the next byte's sign bit repeats it.
		top := byte(v >> (8*n - 8))
		next := byte(v >> (8*n - 16))
		if top == 0 && next&0x80 == 0 || top == 0xff && next&0x80 != 0 {
			n--
			continue
		}
		break
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// appendBigVarint appends x in minimal two's complement form.
func appendBigVarint(dst []byte, x *big.Int) []byte {
	if x.IsInt64() {
		return appendInt64Varint(dst, x.Int64())
	}
	if x.Sign() > 0 {
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			dst = append(dst, 0)
		}
		return append(dst, b...)
	}
	// -x - 1, bits inverted.
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		dst = append(dst, 0xff)
	}
	return append(dst, b...)
}

// parseInt64 parses an optional '-' and decimal digits (already checked by
// the lexer) into an int64; ok is false on overflow.
func parseInt64(tok []byte) (int64, bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) == 0 || len(tok) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range tok {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// appendVarintText converts decimal integer text to a minimal varint.
func appendVarintText(dst, tok []byte) ([]byte, error) {
	if v, ok := parseInt64(tok); ok {
		return appendInt64Varint(dst, v), nil
	}
	x, ok := new(big.Int).SetString(string(tok), 10)
	if !ok {
		return dst, fmt.Errorf("malformed integer %q", tok)
	}
	return appendBigVarint(dst, x), nil
}

// appendDecimal writes unscaled x 10^-scale as Java's BigDecimal.toString
// does: plain when the scale is not negative and the adjusted exponent is
// at least -6, else scientific ("1.23E-298", "1E+3"). new BigDecimal(text)
// and ParseValue give back exactly the same unscaled value and scale.
func appendDecimal(dst, raw []byte) ([]byte, error) {
	if len(raw) < 5 {
		return dst, fmt.Errorf("want at least 5 bytes, got %d", len(raw))
	}
	scale := int64(int32(binary.BigEndian.Uint32(raw)))
	u := raw[4:]
	// Digits of the unscaled value, sign apart, at the end of dst for now.
	mark := len(dst)
	var neg bool
	if len(u) <= 8 {
		v := varintInt64(u)
		neg = v < 0
		mag := uint64(v)
		if neg {
			mag = -mag
		}
		dst = strconv.AppendUint(dst, mag, 10)
	} else {
		x := bigFromVarint(u)
		neg = x.Sign() < 0
		dst = x.Abs(x).Append(dst, 10)
	}
	digits := len(dst) - mark
	adjusted := -scale + int64(digits-1)
	// Rewrite in place: we need room for sign, point, zeros and exponent.
	var tmp [32]byte
	coeff := append(tmp[:0], dst[mark:]...) // short values stay on the stack
	dst = dst[:mark]
	if neg {
		dst = append(dst, '-')
	}
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			dst = append(dst, coeff...)
		case int64(digits) > scale:
			p := digits - int(scale)
			dst = append(dst, coeff[:p]...)
			dst = append(dst, '.')
			dst = append(dst, coeff[p:]...)
		default:
			dst = append(dst, '0', '.')
			for i := int64(digits); i < scale; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, coeff...)
		}
		return dst, nil
	}
	dst = append(dst, coeff[0])
	if digits > 1 {
		dst = append(dst, '.')
		dst = append(dst, coeff[1:]...)
	}
	dst = append(dst, 'E')
	if adjusted > 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, adjusted, 10), nil
}

var errScale = errors.New("decimal scale out of the int32 range")

// appendDecimalText converts a JSON number to decimal bytes: unscaled =
// all its digits, scale = fraction digits - exponent, as new
// BigDecimal(text) does ("1.50" is 150 scale 2, "1E+3" is 1 scale -3).
func appendDecimalText(dst, tok []byte) ([]byte, error) {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	i := 0
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		i++
	}
	intPart := tok[:i]
	var fracPart []byte
	if i < len(tok) && tok[i] == '.' {
		j := i + 1
		for j < len(tok) && tok[j] >= '0' && tok[j] <= '9' {
			j++
		}
		fracPart = tok[i+1 : j]
		i = j
	}
	var exp int64
	if i < len(tok) {
		// 'e' or 'E', optional sign, digits (checked by the lexer).
		e := tok[i+1:]
		eneg := false
		if e[0] == '+' || e[0] == '-' {
			eneg = e[0] == '-'
			e = e[1:]
		}
		for _, c := range e {
			exp = exp*10 + int64(c-'0')
			if exp > 1<<40 {
				return dst, errScale
			}
		}
		if eneg {
			exp = -exp
		}
	}
	scale := int64(len(fracPart)) - exp
	if scale < math.MinInt32 || scale > math.MaxInt32 {
		return dst, errScale
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(int32(scale)))
	ndigits := len(intPart) + len(fracPart)
	if ndigits <= 18 {
		var v int64
		for _, c := range intPart {
			v = v*10 + int64(c-'0')
		}
		for _, c := range fracPart {
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return appendInt64Varint(dst, v), nil
	}
	s := make([]byte, 0, 1+ndigits)
	if neg {
		s = append(s, '-')
	}
	s = append(s, intPart...)
	s = append(s, fracPart...)
	x, ok := new(big.Int).SetString(string(s), 10)
	if !ok {
		return dst, fmt.Errorf("malformed decimal")
	}
	return appendBigVarint(dst, x), nil
}

// Float text: the shortest decimal that parses back to the same float32 or
// float64, in the style of JavaScript and encoding/json (plain between
// 1e-6 and 1e21, else exponent). Non-finite values are strings.
const (
	textNaN    = "NaN"
	textInf    = "Infinity"
	textNegInf = "-Infinity"
)

// Java's canonical NaNs (Float.NaN, Double.NaN): written as "NaN". Any
// other NaN bit pattern (Go's math.NaN() is one) is written with its bits,
// "NaN(0x7ff8000000000001)", so it survives exactly.
const (
	canonicalNaN32 = 0x7fc00000
	canonicalNaN64 = 0x7ff8000000000000
)

func appendFloat(dst []byte, f float64, bitSize int, rawBits uint64) []byte {
	switch {
	case math.IsNaN(f):
		if bitSize == 32 && rawBits == canonicalNaN32 || bitSize == 64 && rawBits == canonicalNaN64 {
			return append(dst, `"NaN"`...)
		}
		dst = append(dst, `"NaN(0x`...)
		digits := 16
		if bitSize == 32 {
			digits = 8
		}
		for i := digits - 1; i >= 0; i-- {
			dst = append(dst, hexDigits[(rawBits>>(4*i))&0xf])
		}
		return append(dst, `)"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bitSize)
	if format == 'e' {
		// e-09 -> e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// parseFloatString decodes the string forms of non-finite floats.
func parseFloatString(s []byte, bitSize int) (uint64, bool) {
	switch string(s) {
	case textNaN:
		if bitSize == 32 {
			return canonicalNaN32, true
		}
		return canonicalNaN64, true
	case textInf:
		if bitSize == 32 {
			return uint64(math.Float32bits(float32(math.Inf(1)))), true
		}
		return math.Float64bits(math.Inf(1)), true
	case textNegInf:
		if bitSize == 32 {
			return uint64(math.Float32bits(float32(math.Inf(-1)))), true
		}
		return math.Float64bits(math.Inf(-1)), true
	}
	// NaN(0x...) with exactly 8 or 16 hex digits naming a NaN.
	digits := 16
	if bitSize == 32 {
		digits = 8
	}
	if len(s) != len("NaN(0x)")+digits || string(s[:6]) != "NaN(0x" || s[len(s)-1] != ')' {
		return 0, false
	}
	var v uint64
	for _, c := range s[6 : 6+digits] {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	if bitSize == 32 && !math.IsNaN(float64(math.Float32frombits(uint32(v)))) ||
		bitSize == 64 && !math.IsNaN(math.Float64frombits(v)) {
		return 0, false
	}
	return v, true
}
