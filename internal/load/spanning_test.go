package load

import (
	"testing"

	"github.com/lading-dev/lading/pkg/manifest"
)

// The part before is the one of the same unit and attempt with the
// highest sequence number below, whatever the manifest's order.
func TestPreviousPart(t *testing.T) {
	name := func(unit, attempt string, seq int) string {
		return manifest.PartName(unit, attempt, seq, manifest.ExtZstd)
	}
	const u1, u2, a1, a2 = "0000000000000000", "4000000000000000", "0a0b0c0d", "1a1b1c1d"
	m := &manifest.Manifest{Files: []manifest.File{
		{Name: name(u1, a1, 3)}, {Name: name(u2, a1, 1)}, {Name: name(u1, a1, 0)},
		{Name: name(u1, a1, 1)}, {Name: name(u1, a2, 2)}, {Name: name(u2, a1, 0)},
	}}
	for _, tc := range []struct {
		part, want string
	}{
		{name(u1, a1, 0), ""},
		{name(u1, a1, 1), name(u1, a1, 0)},
		{name(u1, a1, 3), name(u1, a1, 1)}, // a gap: the highest below
		{name(u2, a1, 1), name(u2, a1, 0)},
		{name(u1, a2, 2), ""}, // another attempt's parts never precede
	} {
		got, err := previousPart(m, &manifest.File{Name: tc.part})
		if err != nil {
			t.Fatal(err)
		}
		g := ""
		if got != nil {
			g = got.Name
		}
		if g != tc.want {
			t.Errorf("part before %s: %q, want %q", tc.part, g, tc.want)
		}
	}
	if _, err := previousPart(m, &manifest.File{Name: "bad"}); err == nil {
		t.Error("a bad part name passed")
	}
	a := []manifest.TokenRange{{Start: "1", End: "2"}, {Start: "2", End: "3"}}
	if !shareRange(a, []manifest.TokenRange{{Start: "2", End: "3"}}) || shareRange(a, []manifest.TokenRange{{Start: "3", End: "4"}}) {
		t.Error("shareRange")
	}
}
