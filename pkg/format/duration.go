package format

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Durations: three zigzag vints (months int32, days int32, nanoseconds
// int64) of one sign, written as CQL writes them: "1y2mo3d4h5m6s7ms8us9ns",
// "-" in front when negative, zero units omitted, and "0s" for zero.

type duration struct {
	months, days int64
	nanos        int64
}

func readDuration(raw []byte) (duration, error) {
	var d duration
	var vals [3]int64
	b := raw
	for i := range vals {
		u, n, err := readUvint(b)
		if err != nil {
			return d, fmt.Errorf("duration: %w", err)
		}
		vals[i] = unzigzag(u)
		b = b[n:]
	}
	if len(b) != 0 {
		return d, fmt.Errorf("duration: %d trailing bytes", len(b))
	}
	d = duration{vals[0], vals[1], vals[2]}
	if d.months < math.MinInt32 || d.months > math.MaxInt32 || d.days < math.MinInt32 || d.days > math.MaxInt32 {
		return d, errors.New("duration: months or days out of the int32 range")
	}
	if (d.months < 0 || d.days < 0 || d.nanos < 0) && (d.months > 0 || d.days > 0 || d.nanos > 0) {
		return d, errors.New("duration: months, days and nanoseconds have different signs")
	}
	return d, nil
}

type durationUnit struct {
	name string
	ns   uint64
}

var nanoUnits = [...]durationUnit{
	{"h", 3600e9}, {"m", 60e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1},
}

func appendDuration(dst, raw []byte) ([]byte, error) {
	d, err := readDuration(raw)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '"')
	if d.months == 0 && d.days == 0 && d.nanos == 0 {
		return append(dst, `0s"`...), nil
	}
	neg := d.months < 0 || d.days < 0 || d.nanos < 0
	if neg {
		dst = append(dst, '-')
	}
	months, days, nanos := abs64(d.months), abs64(d.days), abs64(d.nanos)
	if months/12 > 0 {
		dst = appendPad(dst, int64(months/12), 1)
		dst = append(dst, 'y')
	}
	if months%12 > 0 {
		dst = appendPad(dst, int64(months%12), 1)
		dst = append(dst, 'm', 'o')
	}
	if days > 0 {
		dst = appendPad(dst, int64(days), 1)
		dst = append(dst, 'd')
	}
	for _, u := range nanoUnits {
		if q := nanos / u.ns; q > 0 {
			dst = appendUint(dst, q)
			dst = append(dst, u.name...)
			nanos %= u.ns
		}
	}
	return append(dst, '"'), nil
}

func abs64(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

func appendUint(dst []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

// durationUnits in the order CQL requires them, with what each adds to.
var durationUnits = [...]struct {
	name  string
	field int // 0 months, 1 days, 2 nanoseconds
	mul   uint64
}{
	{"y", 0, 12}, {"mo", 0, 1}, {"w", 1, 7}, {"d", 1, 1},
	{"h", 2, 3600e9}, {"m", 2, 60e9}, {"s", 2, 1e9}, {"ms", 2, 1e6},
	{"us", 2, 1e3}, {"µs", 2, 1e3}, {"ns", 2, 1},
}

// parseDuration parses CQL's duration form (units y, mo, w, d, h, m, s,
// ms, us or µs, ns, each at most once and in that order) and appends the
// three zigzag vints.
func appendDurationText(dst, s []byte) ([]byte, error) {
	if len(s) == 0 {
		return dst, errors.New("empty duration")
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 {
		return dst, errors.New("duration without units")
	}
	var tot [3]uint64
	next := 0
	for len(s) > 0 {
		var v uint64
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if v > (math.MaxUint64-9)/10 {
				return dst, errors.New("duration number too large")
			}
			v = v*10 + uint64(s[i]-'0')
			i++
		}
		if i == 0 {
			return dst, fmt.Errorf("duration: want a number at %q", s)
		}
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		name := s[:j]
		s = s[j:]
		k := next
		for k < len(durationUnits) && durationUnits[k].name != string(name) {
			k++
		}
		if k == len(durationUnits) {
			return dst, fmt.Errorf("duration: unknown, repeated or misplaced unit %q", name)
		}
		next = k + 1
		if k == 8 { // us: µs may not follow it
			next = k + 2
		}
		u := durationUnits[k]
		hi, lo := bits.Mul64(v, u.mul)
		if hi != 0 || lo > math.MaxUint64-tot[u.field] {
			return dst, errors.New("duration out of range")
		}
		tot[u.field] += lo
	}
	limits := [3]uint64{math.MaxInt32, math.MaxInt32, math.MaxInt64}
	if neg {
		limits = [3]uint64{1 << 31, 1 << 31, 1 << 63}
	}
	for i, v := range tot {
		if v > limits[i] {
			return dst, errors.New("duration out of range")
		}
		x := int64(v)
		if neg {
			x = -x // for 1<<63 this wraps to MinInt64, as wanted
		}
		dst = appendUvint(dst, zigzag(x))
	}
	return dst, nil
}
