package format

import (
	"errors"
	"math/bits"
)

// Cassandra's variable-length integers (VIntCoding): the number of leading
// one bits of the first byte is the number of extra bytes, the rest is the
// value, big-endian. Vectors of variable-size elements prefix each element
// with an unsigned vint length; durations are three zigzag-encoded vints.

var errVintEOF = errors.New("truncated vint")

// readUvint reads one unsigned vint from b, returning it and its size.
func readUvint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errVintEOF
	}
	first := b[0]
	if first < 0x80 {
		return uint64(first), 1, nil
	}
	extra := bits.LeadingZeros8(^first)
	if len(b) < 1+extra {
		return 0, 0, errVintEOF
	}
	v := uint64(first & (0xff >> extra))
	for i := 1; i <= extra; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, 1 + extra, nil
}

// uvintSize is the size of v's unsigned vint encoding (1 to 9 bytes).
func uvintSize(v uint64) int {
	n := (639 - bits.LeadingZeros64(v)*9) >> 6
	if n < 1 {
		return 1
	}
	return n
}

// appendUvint appends v as an unsigned vint.
func appendUvint(dst []byte, v uint64) []byte {
	n := uvintSize(v)
	if n == 1 {
		return append(dst, byte(v))
	}
	extra := n - 1
	var tmp [9]byte
	for i := extra; i >= 0; i-- {
		tmp[i] = byte(v)
		v >>= 8
	}
	tmp[0] |= ^byte(0xff >> extra)
	return append(dst, tmp[:n]...)
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
