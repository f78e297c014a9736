package manifest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json and the examples in docs/manifest.md")

// docPath is docs/manifest.md, which embeds the golden files verbatim.
const docPath = "../../docs/manifest.md"

type golden struct {
	name    string
	marshal func(t *testing.T) ([]byte, error)
}

func goldens() []golden {
	return []golden{
		{"manifest.golden.json", func(t *testing.T) ([]byte, error) { return exampleManifest(t).Marshal() }},
		{"plan.golden.json", func(*testing.T) ([]byte, error) { return examplePlan().Marshal() }},
		{"commit.golden.json", func(*testing.T) ([]byte, error) { return exampleCommits()[1].Marshal() }},
		{"dump.golden.json", func(*testing.T) ([]byte, error) { return exampleMarker().Marshal() }},
		{"deleted.golden.json", func(*testing.T) ([]byte, error) { return exampleDeleted().Marshal() }},
		{"tables.golden.json", func(*testing.T) ([]byte, error) { return exampleTableList().Marshal() }},
		{"batch.golden.json", func(*testing.T) ([]byte, error) { return exampleBatchSuccess().Marshal() }},
	}
}

// TestGolden pins the bytes of every document: a change to the format is
// a visible diff of testdata/ (regenerate with go test -run TestGolden
// -update).
func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			got, err := g.marshal(t)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			path := filepath.Join("testdata", g.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from Marshal's output (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

// docBlock matches an embedded golden file in docs/manifest.md:
//
//	<!-- golden: manifest.golden.json -->
//	```json
//	…
//	```
var docBlock = regexp.MustCompile("(?s)<!-- golden: ([a-z.]+) -->\n```json\n(.*?)```\n")

// TestDocEmbedsGoldens keeps the examples in docs/manifest.md identical to
// the golden files, so the documentation cannot drift from the format.
func TestDocEmbedsGoldens(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		doc = docBlock.ReplaceAllFunc(doc, func(block []byte) []byte {
			name := docBlock.FindSubmatch(block)[1]
			body, err := os.ReadFile(filepath.Join("testdata", string(name)))
			if err != nil {
				t.Fatal(err)
			}
			return []byte("<!-- golden: " + string(name) + " -->\n```json\n" + string(body) + "```\n")
		})
		if err := os.WriteFile(docPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found := map[string]bool{}
	for _, m := range docBlock.FindAllSubmatch(doc, -1) {
		name := string(m[1])
		found[name] = true
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatalf("docs/manifest.md embeds %s: %v", name, err)
		}
		if !bytes.Equal(m[2], want) {
			t.Errorf("docs/manifest.md's copy of %s is stale (go test ./pkg/manifest -run TestDocEmbedsGoldens -update)", name)
		}
	}
	for _, g := range goldens() {
		if !found[g.name] {
			t.Errorf("docs/manifest.md does not embed %s", g.name)
		}
	}
}

// TestGoldenDecodes: the golden bytes decode, and re-marshal to themselves.
func TestGoldenDecodes(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	roundTrip := func(name string, marshal func([]byte) ([]byte, error)) {
		in := read(name)
		out, err := marshal(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(in, out) {
			t.Errorf("%s: Marshal(Decode(b)) != b:\n%s", name, out)
		}
	}
	roundTrip("manifest.golden.json", func(b []byte) ([]byte, error) {
		m, err := DecodeManifest(b)
		if err != nil {
			return nil, err
		}
		return m.Marshal()
	})
	roundTrip("plan.golden.json", func(b []byte) ([]byte, error) {
		p, err := DecodePlan(b)
		if err != nil {
			return nil, err
		}
		return p.Marshal()
	})
	roundTrip("commit.golden.json", func(b []byte) ([]byte, error) {
		c, err := DecodeCommit(b)
		if err != nil {
			return nil, err
		}
		return c.Marshal()
	})
	roundTrip("dump.golden.json", func(b []byte) ([]byte, error) {
		d, err := DecodeDumpMarker(b)
		if err != nil {
			return nil, err
		}
		return d.Marshal()
	})
	roundTrip("deleted.golden.json", func(b []byte) ([]byte, error) {
		d, err := DecodeDeletedDump(b)
		if err != nil {
			return nil, err
		}
		return d.Marshal()
	})
}
