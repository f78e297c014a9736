package cli

import "testing"

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1000": 1000, "64MiB": 64 << 20, "64M": 64 << 20, "64m": 64 << 20, "10MB": 10e6,
		"1.5G": 3 << 29, "512k": 512 << 10, "1.5k": 1536, "2 GiB": 2 << 30, "4GiB": 4 << 30,
		"1TB": 1e12, "7b": 7, " 7 ": 7,
	} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "GiB", "-1", "1XB", "4XB", "1e3", "1..2M", "99999999999T"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestByteSizeFlag(t *testing.T) {
	var b ByteSize
	if err := b.Set("64MiB"); err != nil || b != 64<<20 {
		t.Fatalf("Set(64MiB) = %d, %v", b, err)
	}
	if err := b.Set("nope"); err == nil {
		t.Fatal("Set(nope) accepted")
	}
	if b != 64<<20 {
		t.Errorf("a refused Set changed the value to %d", b)
	}
	for v, want := range map[ByteSize]string{64 << 20: "64MiB", 4 << 30: "4GiB", 1000: "1000", 0: "0", 3 << 40: "3TiB", 1536: "1536"} {
		if got := v.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(v), got, want)
		}
	}
	if b.Type() != "size" {
		t.Errorf("Type() = %q", b.Type())
	}
}
