package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestEncodeMatchesEncodingJSON: the canonical encoding is what
// encoding/json writes with two-space indent and no HTML escaping, so any
// JSON tool reproduces it.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	m := exampleManifest(t)
	m.Options.Where = `total > 100 AND note = '<&>' AND x = 'tab	quote" back\ nul` + "\x00 \u2028 \U0001F600'"
	m.Options.AllowFiltering = true
	ours, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var std bytes.Buffer
	enc := json.NewEncoder(&std)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, std.Bytes()) {
		t.Errorf("canonical encoding differs from encoding/json's:\n%s\n---\n%s", ours, std.Bytes())
	}
}

// TestRoundTrip: Decode(Marshal(x)) equals x, field for field.
func TestRoundTrip(t *testing.T) {
	m := exampleManifest(t)
	var where strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		if utf8.ValidRune(r) {
			where.WriteRune(r)
		}
	}
	m.Options.Where = where.String()
	m.Files[0].ReadAt = time.Date(2026, 11, 22, 15, 45, 31, 123456789, time.UTC)
	m.Files[1].ReadAt = time.Date(2026, 11, 22, 15, 45, 31, 100000000, time.UTC)
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"read_at": "2026-11-22T15:45:31.123456789Z"`)) || !bytes.Contains(b, []byte(`"read_at": "2026-11-22T15:45:31.1Z"`)) {
		t.Errorf("times are not written as RFC 3339 with trimmed nanoseconds")
	}
	got, err := DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("Decode(Marshal(m)) != m:\n%+v\n%+v", got, m)
	}

	p := examplePlan()
	if err := p.Source.Table.Resolve(); err != nil {
		t.Fatal(err)
	}
	b, err = p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	gp, err := DecodePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gp, p) {
		t.Errorf("Decode(Marshal(plan)) != plan:\n%+v\n%+v", gp, p)
	}
	kp := keyPlan()
	_ = kp.Source.Table.Resolve()
	for i := range kp.Units {
		kp.Units[i].Ranges = []TokenRange{}
	}
	b, err = kp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	gk, err := DecodePlan(b)
	if err != nil || !reflect.DeepEqual(gk, kp) {
		t.Errorf("key plan round trip: %v\n%+v\n%+v", err, gk, kp)
	}

	c := exampleCommits()[0]
	b, err = c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	gc, err := DecodeCommit(b)
	if err != nil || !reflect.DeepEqual(gc, c) {
		t.Errorf("commit round trip: %v\n%+v\n%+v", err, gc, c)
	}

	d := exampleMarker()
	b, err = d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	gd, err := DecodeDumpMarker(b)
	if err != nil || !reflect.DeepEqual(gd, d) {
		t.Errorf("marker round trip: %v\n%+v\n%+v", err, gd, d)
	}
}

// TestMarshalNeverNull: nil lists are written as [].
func TestMarshalNeverNull(t *testing.T) {
	m := exampleManifest(t)
	m.Files = nil
	m.Totals = Totals{Started: m.Totals.Started, Finished: m.Totals.Finished}
	m.Source.Table.UserTypes = nil
	m.Source.Table.Columns[5].Type = "text"
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("null")) {
		t.Errorf("null in\n%s", b)
	}
	for _, want := range []string{`"files": []`, `"user_types": []`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %s in\n%s", want, b)
		}
	}
	if !bytes.HasSuffix(b, []byte("}\n")) {
		t.Errorf("no trailing newline")
	}
}

func TestMarshalRejectsWhatItCannotWrite(t *testing.T) {
	m := exampleManifest(t)
	m.Options.Where = "bad \xff"
	_, err := m.Marshal()
	wantDecodeError(t, err, docManifest, "options.where", "not valid UTF-8")

	m = exampleManifest(t)
	m.Files[0].ReadAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = m.Marshal()
	wantDecodeError(t, err, docManifest, "files[0].read_at", "outside RFC 3339")

	m = exampleManifest(t)
	m.Options.LimitRows = -1
	_, err = m.Marshal()
	wantDecodeError(t, err, docManifest, "options.limit_rows", "negative")
}

// TestMarshalDoesNotResolve: Marshal checks a copy of the table.
func TestMarshalDoesNotResolve(t *testing.T) {
	p := examplePlan()
	if _, err := p.Marshal(); err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Source.Table.Columns {
		if c.T != nil {
			t.Fatalf("Marshal resolved the caller's table (column %s)", c.Name)
		}
	}
}
