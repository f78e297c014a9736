package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// HumanBytes formats a byte count with decimal (SI) units and three
// significant digits: "999 B", "1.23 kB", "45.6 MB", "1.00 TB".
func HumanBytes(n float64) string {
	return humanUnits(n, []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}, " ")
}

// HumanCount formats a count compactly: exact below 10,000, then with k, M,
// G, T suffixes and three significant digits ("12.3k", "4.56M").
func HumanCount(n float64) string {
	if math.Abs(n) < 10000 {
		if n == math.Trunc(n) {
			return fmt.Sprintf("%d", int64(n))
		}
		return trimFloat(n)
	}
	return humanUnits(n, []string{"", "k", "M", "G", "T", "P", "E"}, "")
}

func humanUnits(n float64, units []string, sep string) string {
	neg := n < 0
	if neg {
		n = -n
	}
	i := 0
	for n >= 999.5 && i < len(units)-1 {
		n /= 1000
		i++
	}
	var s string
	switch {
	case i == 0:
		s = fmt.Sprintf("%.0f", n)
	case n >= 99.95:
		s = fmt.Sprintf("%.0f", n)
	case n >= 9.995:
		s = fmt.Sprintf("%.1f", n)
	default:
		s = fmt.Sprintf("%.2f", n)
	}
	if neg {
		s = "-" + s
	}
	if units[i] == "" {
		return s
	}
	return s + sep + units[i]
}

// trimFloat formats a small non-integer with at most one decimal.
func trimFloat(n float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", n), ".0")
}

// HumanDuration formats a duration for humans at a precision that suits
// its size: "45s", "3m12s", "1h02m", "2d03h". Negative durations are "0s".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	default:
		return fmt.Sprintf("%dd%02dh", s/86400, (s%86400)/3600)
	}
}
