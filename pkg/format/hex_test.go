package format

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestAppendHexDigits checks the eight-at-a-time hex digits against
// encoding/hex: every byte value, every length up to a few words (the
// tail loop and the word loop), and appending after existing bytes.
func TestAppendHexDigits(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if got, want := string(appendHexDigits(nil, all)), hex.EncodeToString(all); got != want {
		t.Fatalf("appendHexDigitsDigits(0..255) = %s, want %s", got, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		prefix := []byte("x:")
		got := string(appendHexDigits(prefix[:2:2], src))
		if want := "x:" + hex.EncodeToString(src); got != want {
			t.Fatalf("appendHexDigitsDigits(%d bytes) = %s, want %s", n, got, want)
		}
		// Room enough already: written in place, no reallocation.
		buf := make([]byte, 1, 1+2*n)
		if got, want := string(appendHexDigits(buf, src)[1:]), hex.EncodeToString(src); got != want {
			t.Fatalf("appendHexDigits in place (%d bytes) = %s, want %s", n, got, want)
		}
	}
}
