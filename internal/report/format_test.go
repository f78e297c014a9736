package report

import (
	"testing"
	"time"
)

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1.00 kB"}, {1234, "1.23 kB"}, {12345, "12.3 kB"},
		{123456, "123 kB"}, {999499, "999 kB"}, {999500, "1.00 MB"}, {45.6e6, "45.6 MB"},
		{1e9, "1.00 GB"}, {2.5e12, "2.50 TB"}, {7e15, "7.00 PB"}, {-2048, "-2.05 kB"},
	} {
		if got := HumanBytes(tc.n); got != tc.want {
			t.Errorf("HumanBytes(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestHumanCount(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{0, "0"}, {7, "7"}, {9999, "9999"}, {2.5, "2.5"}, {10000, "10.0k"}, {12345, "12.3k"},
		{999999, "1.00M"}, {4.56e6, "4.56M"}, {1.5e9, "1.50G"}, {3e12, "3.00T"},
	} {
		if got := HumanCount(tc.n); got != tc.want {
			t.Errorf("HumanCount(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {400 * time.Millisecond, "0s"}, {45 * time.Second, "45s"},
		{192 * time.Second, "3m12s"}, {time.Hour + 2*time.Minute + 59*time.Second, "1h02m"},
		{51*time.Hour + 10*time.Minute, "2d03h"},
	} {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
