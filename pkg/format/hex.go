package format

import (
	"encoding/binary"
	"slices"
)

// appendBlob appends a blob as the format writes it: a JSON string of
// "0x" and its hex digits.
func appendBlob(dst, b []byte) []byte {
	dst = append(dst, '"', '0', 'x')
	dst = appendHexDigits(dst, b)
	return append(dst, '"')
}

// appendHexDigits appends src as lowercase hex digits, two a byte (what
// encoding/hex writes). Blobs are most of a dump's bytes, and on the
// exporter's hot path a byte-at-a-time append took about a tenth of its
// CPU; this writes eight bytes' digits at a time into space grown once.
func appendHexDigits(dst, src []byte) []byte {
	n := len(dst)
	dst = grow(dst, 2*len(src))
	out := dst[n:]
	// Walking both slices forward keeps the loop free of bounds checks.
	for len(src) >= 8 && len(out) >= 16 {
		x := binary.BigEndian.Uint64(src)
		binary.BigEndian.PutUint64(out, hexDigits4(uint32(x>>32)))
		binary.BigEndian.PutUint64(out[8:], hexDigits4(uint32(x)))
		src, out = src[8:], out[16:]
	}
	for i, c := range src {
		out[2*i], out[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	return dst
}

// hexDigits4 returns the eight hex digits of v's four bytes, the first
// digit in the top byte.
func hexDigits4(v uint32) uint64 {
	// Spread the four bytes one to a 16-bit lane, then split each into
	// its nibbles: lane = high nibble << 8 | low nibble.
	t := uint64(v)
	t = (t | t<<16) & 0x0000ffff0000ffff
	t = (t | t<<8) & 0x00ff00ff00ff00ff
	t = (t<<4)&0x0f000f000f000f00 | t&0x000f000f000f000f
	// Each byte is now a nibble n: '0'+n, plus 'a'-'0'-10 = 39 where
	// n > 9 (n+6 carries into bit 4 exactly then; no byte overflows).
	return t + 0x3030303030303030 + ((t+0x0606060606060606)>>4&0x0101010101010101)*39
}

// grow extends dst by n bytes (their contents unspecified), allocating
// at most once.
func grow(dst []byte, n int) []byte {
	dst = slices.Grow(dst, n)
	return dst[:len(dst)+n]
}
