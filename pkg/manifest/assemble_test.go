package manifest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAssembleDeterministic: the same plan and commits, in any order and
// with times in any zone, give the same bytes: the golden manifest.
func TestAssembleDeterministic(t *testing.T) {
	want := readGolden(t, "manifest.golden.json")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		commits := exampleCommits()
		rng.Shuffle(len(commits), func(a, b int) { commits[a], commits[b] = commits[b], commits[a] })
		plan := examplePlan()
		if i%2 == 1 {
			zone := time.FixedZone("X", -7*3600)
			plan.Created = plan.Created.In(zone)
			for _, c := range commits {
				c.Started, c.Finished = c.Started.In(zone), c.Finished.In(zone)
				for j := range c.Files {
					c.Files[j].ReadAt = c.Files[j].ReadAt.In(zone)
				}
			}
		}
		m, err := Assemble(plan, commits, exampleTool)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("order %d: assembled manifest differs from testdata/manifest.golden.json:\n%s", i, got)
		}
		if decoded, err := DecodeManifest(want); err != nil || !reflect.DeepEqual(m, decoded) {
			t.Fatalf("order %d: the assembled manifest is not the decoded golden one (%v)", i, err)
		}
	}
}

func TestAssembleCopiesInputs(t *testing.T) {
	plan, commits := examplePlan(), exampleCommits()
	planBytes, _ := plan.Marshal()
	commitBytes, _ := commits[1].Marshal()
	m, err := Assemble(plan, commits, exampleTool)
	if err != nil {
		t.Fatal(err)
	}
	m.Files[2].Ranges[0].Start = "1"
	m.Options.Columns[0] = "x"
	m.Source.Table.Columns[0].Name = "x"
	m.Source.Table.UserTypes[0].Fields[0].Name = "x"
	if b, _ := plan.Marshal(); !bytes.Equal(b, planBytes) {
		t.Errorf("changing the manifest changed the plan")
	}
	if b, _ := commits[1].Marshal(); !bytes.Equal(b, commitBytes) {
		t.Errorf("changing the manifest changed a commit")
	}
}

func TestAssembleTimes(t *testing.T) {
	plan, commits := examplePlan(), exampleCommits()
	// A worker whose clock is behind the planner's.
	for _, c := range commits {
		c.Started = plan.Created.Add(-time.Hour)
		c.Finished = plan.Created.Add(-time.Minute)
	}
	m, err := Assemble(plan, commits, exampleTool)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Totals.Started.Equal(plan.Created) || !m.Totals.Finished.Equal(plan.Created) {
		t.Errorf("totals %v..%v, want both %v", m.Totals.Started, m.Totals.Finished, plan.Created)
	}
	commits = exampleCommits()
	latest := commits[0].Finished.Add(time.Hour)
	commits[1].Finished = latest
	m, err = Assemble(plan, commits, exampleTool)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Totals.Finished.Equal(latest) {
		t.Errorf("finished %v, want the latest commit's %v", m.Totals.Finished, latest)
	}
	if m.Tool != exampleTool || m.Batch != plan.Batch || m.Timestamp != plan.Timestamp {
		t.Errorf("manifest header %+v %q %q", m.Tool, m.Batch, m.Timestamp)
	}
}

func TestAssembleUnits(t *testing.T) {
	a, b := exampleCommits()[0], exampleCommits()[1]
	stranger := exampleCommits()[1]
	stranger.Unit = "9555555555555555" // not planned; its own fields need not match to be reported
	cases := []struct {
		name                        string
		commits                     []*Commit
		missing, unknown, duplicate []string
		incomplete                  bool
	}{
		{"none", nil, []string{exUnitA, exUnitB}, nil, nil, true},
		{"one missing", []*Commit{b}, []string{exUnitA}, nil, nil, true},
		{"unknown", []*Commit{a, b, stranger}, nil, []string{"9555555555555555"}, nil, false},
		{"unknown and missing", []*Commit{stranger, a}, []string{exUnitB}, []string{"9555555555555555"}, nil, false},
		{"duplicate", []*Commit{a, b, a, a}, nil, nil, []string{exUnitA}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Assemble(examplePlan(), tc.commits, exampleTool)
			var ue *UnitsError
			if !errors.As(err, &ue) || m != nil {
				t.Fatalf("Assemble = %v, %v; want a *UnitsError", m, err)
			}
			if !slices.Equal(ue.Missing, tc.missing) || !slices.Equal(ue.Unknown, tc.unknown) || !slices.Equal(ue.Duplicate, tc.duplicate) {
				t.Errorf("got missing %v unknown %v duplicate %v", ue.Missing, ue.Unknown, ue.Duplicate)
			}
			if ue.Incomplete() != tc.incomplete {
				t.Errorf("Incomplete() = %v", ue.Incomplete())
			}
			for _, id := range append(append(tc.missing, tc.unknown...), tc.duplicate...) {
				if !strings.Contains(err.Error(), id) {
					t.Errorf("error %q does not name unit %s", err, id)
				}
			}
		})
	}
}

func TestAssembleRejects(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(p *Plan, cs []*Commit)
		doc, field string
		msg        string
	}{
		{"plan invalid", func(p *Plan, _ []*Commit) { p.Units[0].ID = "x" }, "plan", "units[0].id", "not a unit ID"},
		{"commit invalid", func(_ *Plan, cs []*Commit) { cs[0].Rows++ }, "commit " + exUnitA, "rows", "add up to"},
		{"commit ranges differ", func(_ *Plan, cs []*Commit) {
			cs[1].Ranges = cs[1].Ranges[:1]
			cs[1].Files[0].Ranges = cs[1].Files[0].Ranges[:1]
		}, "commit " + exUnitB, "ranges", "differ from the plan's"},
		{"commit compression differs", func(p *Plan, _ []*Commit) { p.Options.Compression = CompressionGzip }, "commit " + exUnitA, "files[0].name", "extension .ndjson.zst, but the compression fixes .ndjson.gz"},
		{"totals overflow", func(_ *Plan, cs []*Commit) {
			cs[0].Files[0].Rows = 1 << 62
			cs[0].Files[1].Rows = 0
			cs[0].Rows = 1 << 62
			cs[1].Files[0].Rows = 1 << 62
			cs[1].Rows = 1 << 62
		}, "manifest", "totals", "overflow"},
	}
	t.Run("nil commit", func(t *testing.T) {
		_, err := Assemble(examplePlan(), append(exampleCommits(), nil), exampleTool)
		wantDecodeError(t, err, "commit", "commits[2]", "nil")
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, cs := examplePlan(), exampleCommits()
			tc.edit(p, cs)
			m, err := Assemble(p, cs, exampleTool)
			if m != nil {
				t.Errorf("Assemble returned a manifest with its error")
			}
			wantDecodeError(t, err, tc.doc, tc.field, tc.msg)
		})
	}
}

// TestAssembleKeyList assembles a key-list export: units without ranges.
func TestAssembleKeyList(t *testing.T) {
	p := keyPlan()
	var commits []*Commit
	for i, u := range p.Units {
		att := NewAttemptID()
		commits = append(commits, &Commit{
			Format: FormatCommit, Unit: u.ID, Attempt: att, Ranges: []TokenRange{},
			Files: []File{{
				Name: PartName(u.ID, att, 0, ExtZstd), Unit: u.ID, Rows: int64(10 + i), Bytes: 1000, StoredBytes: 300,
				CRC32C: "00000000", SHA256: strings.Repeat("ab", 32), Ranges: nil, ReadAt: p.Created,
			}},
			Rows: int64(10 + i), Started: p.Created, Finished: p.Created.Add(time.Second),
		})
	}
	m, err := Assemble(p, commits, exampleTool)
	if err != nil {
		t.Fatal(err)
	}
	if m.Totals.Rows != 21 || m.Totals.Files != 2 || m.Options.Mode != ModeKeys {
		t.Errorf("totals %+v, mode %q", m.Totals, m.Options.Mode)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeManifest(b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"ranges": []`)) {
		t.Errorf("a key-list part's ranges are not written as []")
	}
}

func TestOptionsConflict(t *testing.T) {
	a := exampleOptions()
	if got := OptionsConflict(a, exampleOptions()); len(got) != 0 {
		t.Errorf("equal options conflict: %v", got)
	}
	b := exampleOptions()
	b.Compression = CompressionGzip
	b.TTL = false
	b.Columns = []string{"customer_id", "total"}
	b.Where = "total > 100"
	got := OptionsConflict(a, b)
	want := []string{
		`compression: "zstd" vs "gzip"`,
		`ttl: true vs false`,
		`columns: ["customer_id","order_day","order_id","customer_name","items","ship_to","tags","total"] vs ["customer_id","total"]`,
		`where: "" vs "total > 100"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("OptionsConflict =\n%q\nwant\n%q", got, want)
	}
	a.Columns, b = nil, a
	b.Columns = []string{}
	if got := OptionsConflict(a, b); len(got) != 0 {
		t.Errorf("nil and empty columns conflict: %v", got)
	}
	// Every option is compared: changing any one field is reported.
	for _, f := range optionsShape.fields {
		x, y := exampleOptions(), exampleOptions()
		v := reflectField(&y, f.index)
		switch f.shape.kind {
		case shapeString:
			v.SetString(v.String() + "x")
		case shapeBool:
			v.SetBool(!v.Bool())
		case shapeInt:
			v.SetInt(v.Int() + 1)
		case shapeSlice:
			v.Set(reflectAppendString(v, "x"))
		}
		if got := OptionsConflict(x, y); len(got) != 1 || !strings.HasPrefix(got[0], f.name+": ") {
			t.Errorf("changing %s: OptionsConflict = %q", f.name, got)
		}
	}
}
