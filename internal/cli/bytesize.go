package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a flag value (pflag.Value) for a byte count written as a
// number with an optional unit: 64MiB, 64M (also MiB), 10MB (decimal),
// 1.5G, 512k, 1000. Single-letter and IEC units (k, M, G, T, KiB, MiB,
// GiB, TiB) are powers of 1024; kB, MB, GB, TB are powers of 1000.
// Register it with flags.Var(&size, "name", "usage").
type ByteSize int64

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseByteSize parses a byte count as ByteSize describes it. A
// negative, malformed or too large size is an error quoting s.
func ParseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a byte size (like 64MiB, 10MB, 1.5G or 1000)", s)
	}
	b := v * mult
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(b), nil
}

// Set implements pflag.Value.
func (b *ByteSize) Set(s string) error {
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = ByteSize(v)
	return nil
}

// String implements pflag.Value: the largest binary unit that divides the
// size exactly (64MiB), else plain bytes.
func (b *ByteSize) String() string {
	v := int64(*b)
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if v >= u.n && v%u.n == 0 {
			return strconv.FormatInt(v/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(v, 10)
}

// Type implements pflag.Value.
func (b *ByteSize) Type() string { return "size" }
