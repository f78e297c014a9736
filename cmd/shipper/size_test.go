package main

import "testing"

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1000": 1000, "64MiB": 64 << 20, "64M": 64 << 20, "64m": 64 << 20, "10MB": 10e6,
		"1.5G": 3 << 29, "512k": 512 << 10, "2 GiB": 2 << 30, "1TB": 1e12, "7b": 7,
	} {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "1XB", "1e3", "1..2M", "99999999999T"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
	var b byteSize = 64 << 20
	if b.String() != "64MiB" {
		t.Errorf("String() = %q", b.String())
	}
	b = 1000
	if b.String() != "1000" {
		t.Errorf("String() = %q", b.String())
	}
}
