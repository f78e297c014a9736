package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Timestamps, dates and times. Timestamps are int64 milliseconds since the
// epoch and dates uint32 days with 2^31 at 1970-01-01; both use the
// proleptic Gregorian calendar (as Java's java.time does) over their full
// range: years 0000-9999 in RFC 3339's four digits, other years in ISO 8601's
// expanded form ("+10000", "-0001"). Times are nanoseconds since midnight.

const (
	msPerDay   = 86_400_000
	nsPerDay   = 86_400_000_000_000
	dateEpoch  = 1 << 31
	maxYearLen = 12
)

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's algorithm).
func civil(days int64) (year int64, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	year = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		month = int(mp + 3)
	} else {
		month = int(mp - 9)
	}
	if month <= 2 {
		year++
	}
	return year, month, day
}

// daysFromCivil is civil's inverse. |year| must stay below 2^40.
func daysFromCivil(year int64, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era--
	}
	yoe := year - era*400
	mp := int64((month + 9) % 12)
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func appendPad(dst []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, tmp[i:]...)
}

func appendDate(dst []byte, days int64) []byte {
	y, m, d := civil(days)
	switch {
	case y < 0:
		dst = append(dst, '-')
		dst = appendPad(dst, -y, 4)
	case y > 9999:
		dst = append(dst, '+')
		dst = appendPad(dst, y, 4)
	default:
		dst = appendPad(dst, y, 4)
	}
	dst = append(dst, '-')
	dst = appendPad(dst, int64(m), 2)
	dst = append(dst, '-')
	return appendPad(dst, int64(d), 2)
}

// appendTimestamp writes ms since the epoch as "2026-11-22T15:45:30.123Z".
func appendTimestamp(dst []byte, ms int64) []byte {
	days, rem := ms/msPerDay, ms%msPerDay
	if rem < 0 {
		rem += msPerDay
		days--
	}
	dst = append(dst, '"')
	dst = appendDate(dst, days)
	dst = append(dst, 'T')
	dst = appendClock(dst, rem*1_000_000, 3)
	return append(dst, 'Z', '"')
}

// appendClock writes ns since midnight as HH:MM:SS.f with digits fraction
// digits (3 or 9).
func appendClock(dst []byte, ns int64, digits int) []byte {
	sec := ns / 1e9
	dst = appendPad(dst, sec/3600, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, sec/60%60, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, sec%60, 2)
	dst = append(dst, '.')
	frac := ns % 1e9
	if digits == 3 {
		return appendPad(dst, frac/1e6, 3)
	}
	return appendPad(dst, frac, 9)
}

// dateScanner parses the fixed forms of dates and times.
type dateScanner struct {
	s   []byte
	pos int
}

func (p *dateScanner) digits(min, max int) (int64, int, bool) {
	start := p.pos
	var v int64
	for p.pos < len(p.s) && p.pos-start < max && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		v = v*10 + int64(p.s[p.pos]-'0')
		p.pos++
	}
	n := p.pos - start
	return v, n, n >= min
}

func (p *dateScanner) byte(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// date parses [+-]YYYY...-MM-DD into days since the epoch.
func (p *dateScanner) date() (int64, error) {
	neg := p.byte('-')
	if !neg {
		p.byte('+')
	}
	y, _, ok := p.digits(4, maxYearLen)
	if !ok {
		return 0, errors.New("want a year of at least four digits")
	}
	if neg {
		y = -y
	}
	if !p.byte('-') {
		return 0, errors.New("want '-' after the year")
	}
	m, _, ok := p.digits(2, 2)
	if !ok || m < 1 || m > 12 {
		return 0, errors.New("want a month 01-12")
	}
	if !p.byte('-') {
		return 0, errors.New("want '-' after the month")
	}
	d, _, ok := p.digits(2, 2)
	if !ok || d < 1 || d > int64(daysIn(y, int(m))) {
		return 0, fmt.Errorf("want a day 01-%02d", daysIn(y, int(m)))
	}
	return daysFromCivil(y, int(m), int(d)), nil
}

// clock parses HH:MM:SS with an optional fraction of up to 9 digits into
// ns since midnight.
func (p *dateScanner) clock() (int64, error) {
	h, _, ok := p.digits(2, 2)
	if !ok || h > 23 || !p.byte(':') {
		return 0, errors.New("want hours 00-23 and ':'")
	}
	m, _, ok := p.digits(2, 2)
	if !ok || m > 59 || !p.byte(':') {
		return 0, errors.New("want minutes 00-59 and ':'")
	}
	s, _, ok := p.digits(2, 2)
	if !ok || s > 59 {
		return 0, errors.New("want seconds 00-59")
	}
	ns := (h*3600 + m*60 + s) * 1e9
	if p.byte('.') {
		f, n, ok := p.digits(1, 9)
		if !ok {
			return 0, errors.New("want 1 to 9 digits after '.'")
		}
		for ; n < 9; n++ {
			f *= 10
		}
		ns += f
	}
	return ns, nil
}

func (p *dateScanner) end() error {
	if p.pos != len(p.s) {
		return fmt.Errorf("unexpected %q", p.s[p.pos:])
	}
	return nil
}

var errRange = errors.New("out of the timestamp range (int64 milliseconds)")

// parseTimestamp parses an RFC 3339 UTC timestamp (expanded years allowed)
// with at most millisecond precision.
func parseTimestamp(s []byte) (int64, error) {
	p := dateScanner{s: s}
	days, err := p.date()
	if err != nil {
		return 0, err
	}
	if !p.byte('T') {
		return 0, errors.New("want 'T' after the date")
	}
	ns, err := p.clock()
	if err != nil {
		return 0, err
	}
	if !p.byte('Z') {
		return 0, errors.New("want 'Z' (UTC) after the time")
	}
	if err := p.end(); err != nil {
		return 0, err
	}
	if ns%1e6 != 0 {
		return 0, errors.New("timestamps have millisecond precision")
	}
	tod := ns / 1e6
	const minDays, maxDays = math.MinInt64/msPerDay - 1, math.MaxInt64 / msPerDay
	if days < minDays || days > maxDays {
		return 0, errRange
	}
	if days < 0 {
		base := (days + 1) * msPerDay
		t := tod - msPerDay
		if t < math.MinInt64-base {
			return 0, errRange
		}
		return base + t, nil
	}
	base := days * msPerDay
	if tod > math.MaxInt64-base {
		return 0, errRange
	}
	return base + tod, nil
}

// parseDate parses a date into CQL's uint32 day number.
func parseDate(s []byte) (uint32, error) {
	p := dateScanner{s: s}
	days, err := p.date()
	if err != nil {
		return 0, err
	}
	if err := p.end(); err != nil {
		return 0, err
	}
	d := days + dateEpoch
	if d < 0 || d > math.MaxUint32 {
		return 0, errors.New("out of the date range")
	}
	return uint32(d), nil
}

// parseTime parses "HH:MM:SS[.fffffffff]" into ns since midnight.
func parseTime(s []byte) (int64, error) {
	p := dateScanner{s: s}
	ns, err := p.clock()
	if err != nil {
		return 0, err
	}
	return ns, p.end()
}

func appendTime(dst, raw []byte) ([]byte, error) {
	ns := int64(binary.BigEndian.Uint64(raw))
	if ns < 0 || ns >= nsPerDay {
		return dst, fmt.Errorf("%d nanoseconds is not a time of day", ns)
	}
	dst = append(dst, '"')
	dst = appendClock(dst, ns, 9)
	return append(dst, '"'), nil
}
