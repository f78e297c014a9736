package bigtable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Order-preserving key encodings of varint and decimal (see rowkey.go).

// appendVarint encodes a two's complement big-endian integer.
func appendVarint(dst, v []byte) []byte {
	n := new(big.Int).SetBytes(v)
	if len(v) > 0 && v[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v))))
	}
	switch n.Sign() {
	case 0:
		return append(dst, 1)
	case 1:
		mag := n.Bytes()
		dst = append(dst, 2)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(mag)))
		return append(dst, mag...)
	}
	mag := new(big.Int).Neg(n).Bytes()
	dst = append(dst, 0)
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(mag)))
	dst = append(dst, mag...)
	invert(dst[start:])
	return dst
}

// varintBytes renders n as CQL's minimal two's complement bytes.
func varintBytes(n *big.Int) []byte {
	if n.Sign() == 0 {
		return []byte{0}
	}
	if n.Sign() > 0 {
		b := n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Two's complement of a negative number in the fewest bytes.
	l := (new(big.Int).Neg(n).BitLen() + 8) / 8
	for {
		m := new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), uint(8*l)))
		b := m.FillBytes(make([]byte, l))
		if b[0]&0x80 != 0 {
			if l > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
				l--
				continue
			}
			return b
		}
		l++
	}
}

func readVarint(src []byte) ([]byte, int, error) {
	if len(src) < 1 {
		return nil, 0, errShort
	}
	switch src[0] {
	case 1:
		return []byte{0}, 1, nil
	case 0, 2:
	default:
		return nil, 0, fmt.Errorf("bad varint sign byte 0x%02x", src[0])
	}
	neg := src[0] == 0
	if len(src) < 5 {
		return nil, 0, errShort
	}
	hdr := [4]byte(src[1:5])
	if neg {
		invert(hdr[:])
	}
	l := int(binary.BigEndian.Uint32(hdr[:]))
	if len(src) < 5+l {
		return nil, 0, errShort
	}
	mag := append([]byte{}, src[5:5+l]...)
	if neg {
		invert(mag)
	}
	n := new(big.Int).SetBytes(mag)
	if neg {
		n.Neg(n)
	}
	return varintBytes(n), 5 + l, nil
}

// appendDecimal encodes a CQL decimal: int32 scale then varint unscaled.
func (kc *keyCodec) appendDecimal(dst, v []byte) ([]byte, error) {
	if len(v) < 5 {
		return nil, fmt.Errorf("decimal of %d bytes", len(v))
	}
	scale := int32(binary.BigEndian.Uint32(v))
	unscaled := new(big.Int).SetBytes(v[4:])
	if v[4]&0x80 != 0 {
		unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v[4:]))))
	}
	sign := unscaled.Sign()
	kc.trailer = binary.BigEndian.AppendUint32(kc.trailer, uint32(scale))
	if sign == 0 {
		return append(dst, 1), nil
	}
	digits := new(big.Int).Abs(unscaled).String()
	// value = 0.d1d2d3... × 10^adj with d1 ≠ 0
	adj := int64(len(digits)) - int64(scale)
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	if adj > math.MaxInt32 || adj < math.MinInt32 {
		return nil, errors.New("decimal exponent out of range")
	}
	if sign > 0 {
		dst = append(dst, 2)
	} else {
		dst = append(dst, 0)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(int32(adj))^0x80000000)
	for i := 0; i < len(digits); i++ {
		dst = append(dst, digits[i]-'0'+1)
	}
	dst = append(dst, 0)
	if sign < 0 {
		invert(dst[start:])
	}
	return dst, nil
}

func (kc *keyCodec) readDecimal(src []byte) ([]byte, int, error) {
	if len(src) < 1 {
		return nil, 0, errShort
	}
	scale := kc.nextScale()
	n := 1
	unscaled := new(big.Int)
	switch src[0] {
	case 1:
	case 0, 2:
		neg := src[0] == 0
		body := src[1:]
		if neg {
			body = append([]byte{}, body...)
			invert(body)
		}
		if len(body) < 4 {
			return nil, 0, errShort
		}
		i := 4
		var digits []byte
		for ; i < len(body) && body[i] != 0; i++ {
			if body[i] > 10 {
				return nil, 0, fmt.Errorf("bad decimal digit byte 0x%02x", body[i])
			}
			digits = append(digits, '0'+body[i]-1)
		}
		if i >= len(body) {
			return nil, 0, errShort
		}
		n += i + 1
		if kc.probe {
			break
		}
		unscaled.SetString(string(digits), 10)
		// The digits lost their trailing zeros; the scale says how many.
		adj := int64(int32(binary.BigEndian.Uint32(body[:4]) ^ 0x80000000))
		zeros := adj + int64(scale) - int64(len(digits))
		if zeros < 0 || zeros > 1<<20 {
			return nil, 0, errors.New("decimal scale does not match its digits")
		}
		unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(zeros), nil))
		if neg {
			unscaled.Neg(unscaled)
		}
	default:
		return nil, 0, fmt.Errorf("bad decimal sign byte 0x%02x", src[0])
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(scale))
	return append(out, varintBytes(unscaled)...), n, nil
}
