package manifest

import (
	"bytes"
	"reflect"
	"testing"
)

// fuzzRoundTrip is the property every decoder must keep on any input: no
// panic, and whatever it accepts re-marshals (Marshal must not refuse
// what Decode accepted), re-decodes to an equal value, and is canonical
// from then on.
func fuzzRoundTrip[T any](t *testing.T, data []byte, decode func([]byte) (*T, error), marshal func(*T) ([]byte, error)) {
	d, err := decode(data)
	if err != nil {
		if d != nil {
			t.Fatalf("decoder returned a value with error %v", err)
		}
		if !IsDecodeError(err) {
			t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
		}
		return
	}
	b, err := marshal(d)
	if err != nil {
		t.Fatalf("accepted input does not marshal: %v\ninput:\n%s", err, data)
	}
	d2, err := decode(b)
	if err != nil {
		t.Fatalf("Marshal's output does not decode: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(d, d2) {
		t.Fatalf("Decode(Marshal(Decode(b))) != Decode(b):\n%+v\n%+v", d, d2)
	}
	b2, err := marshal(d2)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("Marshal is not canonical (%v):\n%s\n---\n%s", err, b, b2)
	}
}

func addSeeds(f *testing.F, golden string, extra ...[]byte) {
	b, err := readGoldenFile(golden)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	// Compact and reordered forms, and near misses.
	f.Add(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), nil), []byte("  "), nil))
	f.Add(bytes.Replace(b, []byte(`"format"`), []byte(`"format": "x", "format"`), 1))
	f.Add(bytes.Replace(b, []byte(`Z"`), []byte(`+00:00"`), 1))
	f.Add(append(append([]byte(nil), b...), '{', '}'))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	for _, e := range extra {
		f.Add(e)
	}
}

func FuzzDecodeManifest(f *testing.F) {
	m, err := Assemble(examplePlan(), exampleCommits(), exampleTool)
	if err != nil {
		f.Fatal(err)
	}
	m.Files, m.Totals = m.Files[:0], Totals{Started: m.Totals.Started, Finished: m.Totals.Started}
	empty, err := m.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	addSeeds(f, "manifest.golden.json", empty)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, DecodeManifest, (*Manifest).Marshal)
	})
}

func FuzzDecodePlan(f *testing.F) {
	kp, err := keyPlan().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	addSeeds(f, "plan.golden.json", kp)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, DecodePlan, (*Plan).Marshal)
	})
}

func FuzzDecodeCommit(f *testing.F) {
	first, err := exampleCommits()[0].Marshal()
	if err != nil {
		f.Fatal(err)
	}
	addSeeds(f, "commit.golden.json", first)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, DecodeCommit, (*Commit).Marshal)
	})
}

func FuzzDecodeDumpMarker(f *testing.F) {
	addSeeds(f, "dump.golden.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, DecodeDumpMarker, (*DumpMarker).Marshal)
	})
}

func FuzzDecodeDeletedDump(f *testing.F) {
	addSeeds(f, "deleted.golden.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, DecodeDeletedDump, (*DeletedDump).Marshal)
	})
}
