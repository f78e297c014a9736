package manifest

import (
	"testing"
)

// keyPlan is a key-list export's plan: two units over a stored key list.
func keyPlan() *Plan {
	p := examplePlan()
	p.Options.Mode = ModeKeys
	p.Units = []Unit{
		{ID: KeyUnitID(0), FirstKey: 0, Keys: 500},
		{ID: KeyUnitID(500), FirstKey: 500, Keys: 250},
	}
	p.KeysName = "_state/keys.ndjson"
	p.KeysSHA256 = "5c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19"
	p.KeysCount = 750
	return p
}

func TestDecodePlanRejects(t *testing.T) {
	golden := readGolden(t, "plan.golden.json")
	cases := []rejectCase[Plan]{
		{name: "unknown field", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"keys": 0,`, `"keys": 0, "shard": 1,`) }, field: "units[0].shard", msg: "unknown field"},
		{name: "duplicate key", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"estimated_bytes": 241172480`, `"keys": 0`) }, field: "units[0].keys", msg: "duplicate key"},
		{name: "missing estimate", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `,
      "estimated_bytes": 241172480`, ``)
		}, field: "units[0].estimated_bytes", msg: "missing"},
		{name: "unknown version", mut: func(p *Plan) { p.Format = "lading/plan/v2" }, field: "format", msg: "known versions: lading/v1, lading/plan/v1"},
		{name: "manifest given as plan", raw: func(t testing.TB, b []byte) []byte { return readGolden(t, "manifest.golden.json") }, field: "format", msg: `unknown version "lading/v1"`},
		{name: "created zero", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"created": "2026-11-22T15:45:30.418Z"`, `"created": "0001-01-01T00:00:00Z"`)
		}, field: "created", msg: "zero time"},
		{name: "tool", mut: func(p *Plan) { p.Tool.Name = "" }, field: "tool.name", msg: "empty"},
		{name: "timestamp", mut: func(p *Plan) { p.Timestamp = "20261322T154530Z" }, field: "timestamp", msg: "not of the form"},
		{name: "table mismatch", mut: func(p *Plan) { p.Table = "shop.order" }, field: "table", msg: "the source table is"},
		{name: "options", mut: func(p *Plan) { p.Options.Consistency = "" }, field: "options.consistency", msg: "unknown consistency"},
		{name: "units empty", mut: func(p *Plan) { p.Units = nil }, field: "units", msg: "empty"},
		{name: "unit id garbage", mut: func(p *Plan) { p.Units[0].ID = "../x" }, field: "units[0].id", msg: "not a unit ID"},
		{name: "unit id upper case", mut: func(p *Plan) { p.Units[1].ID = "5555555555555555"[:15] + "A" }, field: "units[1].id", msg: "not a unit ID"},
		{name: "unit id of another ring", mut: func(p *Plan) { p.Units[0].ID = "00000000000000000000000000000000" }, field: "units[0].id", msg: "not a Murmur3Partitioner unit ID"},
		{name: "unit id not the first start", mut: func(p *Plan) { p.Units[1].ID = "5555555555555556" }, field: "units[1].id", msg: `which is unit "5555555555555555"`},
		{name: "units out of order", mut: func(p *Plan) { p.Units[0], p.Units[1] = p.Units[1], p.Units[0] }, field: "units[1].id", msg: "out of order"},
		{name: "unit duplicate", mut: func(p *Plan) { p.Units[1] = p.Units[0] }, field: "units[1].id", msg: "duplicate"},
		{name: "unit ranges empty", mut: func(p *Plan) { p.Units[0].Ranges = nil }, field: "units[0].ranges", msg: "empty"},
		{name: "unit token", mut: func(p *Plan) { p.Units[0].Ranges[0].End = "1.5" }, field: "units[0].ranges[0].end", msg: "not a decimal integer"},
		{name: "units overlap", mut: func(p *Plan) { p.Units[0].Ranges[0].End = "0" }, field: "units[1].ranges[0]", msg: "overlaps units[0].ranges[0]"},
		{name: "full ring beside another unit", mut: func(p *Plan) { p.Units[0].Ranges[0].End = exMin }, field: "units[1].ranges[0]", msg: "overlaps units[0].ranges[0]"},
		{name: "ranges in a unit overlap", mut: func(p *Plan) { p.Units[1].Ranges[1].Start = "0" }, field: "units[1].ranges[1]", msg: "overlaps units[1].ranges[0]"},
		{name: "start equals end in a unit", mut: func(p *Plan) { p.Units[1].Ranges[1].End = p.Units[1].Ranges[1].Start }, field: "units[1].ranges[1]", msg: "start equals end"},
		{name: "keys on a range unit", mut: func(p *Plan) { p.Units[0].Keys = 5 }, field: "units[0].keys", msg: "set on a token-range unit"},
		{name: "key list in a range export", mut: func(p *Plan) { p.KeysName = "_state/keys.ndjson" }, field: "keys_name", msg: "key list set"},
	}
	runRejects(t, docPlan, golden, cases, DecodePlan, (*Plan).Marshal, planShape)

	kp, err := keyPlan().Marshal()
	if err != nil {
		t.Fatalf("key plan: %v", err)
	}
	keyCases := []rejectCase[Plan]{
		{name: "range unit in a key export", mut: func(p *Plan) { p.Units[0].ID = exUnitA }, field: "units[0].id", msg: "not a key-list unit ID"},
		{name: "key unit ranges", mut: func(p *Plan) { p.Units[0].Ranges = []TokenRange{{"0", "1"}} }, field: "units[0].ranges", msg: "set on a key-list unit"},
		{name: "key gap", mut: func(p *Plan) { p.Units[1].FirstKey = 501; p.Units[1].ID = KeyUnitID(501) }, field: "units[1].first_key", msg: "end at key 500"},
		{name: "key unit id", mut: func(p *Plan) { p.Units[1].ID = KeyUnitID(499) }, field: "units[1].id", msg: `a unit starting at key 500 is "k000000000500"`},
		{name: "key unit empty", mut: func(p *Plan) { p.Units[1].Keys = 0; p.KeysCount = 500 }, field: "units[1].keys", msg: "positive"},
		{name: "keys count", mut: func(p *Plan) { p.KeysCount = 751 }, field: "keys_count", msg: "the units hold 750 keys"},
		{name: "keys name empty", mut: func(p *Plan) { p.KeysName = "" }, field: "keys_name", msg: "empty"},
		{name: "keys name escapes", mut: func(p *Plan) { p.KeysName = "_state/../../keys" }, field: "keys_name", msg: "escapes the dump prefix"},
		{name: "keys name outside state", mut: func(p *Plan) { p.KeysName = "keys.ndjson" }, field: "keys_name", msg: "not under _state/"},
		{name: "keys sha256", mut: func(p *Plan) { p.KeysSHA256 = "" }, field: "keys_sha256", msg: "64 lower-case hex digits"},
	}
	runRejects(t, docPlan, kp, keyCases, DecodePlan, (*Plan).Marshal, planShape)
}

func TestDecodeCommitRejects(t *testing.T) {
	golden := readGolden(t, "commit.golden.json")
	cases := []rejectCase[Commit]{
		{name: "unknown field", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"rows": 263512,
  "started"`, `"rows": 263512, "host": "w1",
  "started"`)
		}, field: "host", msg: "unknown field"},
		{name: "missing attempt", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"attempt": "b71e44d0",`, ``) }, field: "attempt", msg: "missing"},
		{name: "duplicate unit", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"unit": "5555555555555555",`, `"unit": "0000000000000000", "unit": "5555555555555555",`)
		}, field: "unit", msg: "duplicate key"},
		{name: "unknown version", mut: func(c *Commit) { c.Format = "lading/v1" }, field: "format", msg: `unknown version "lading/v1"`},
		{name: "attempt", mut: func(c *Commit) { c.Attempt = "B71E44D0" }, field: "attempt", msg: "not an attempt ID"},
		{name: "unit", mut: func(c *Commit) { c.Unit = "x" }, field: "unit", msg: "not a unit ID"},
		{name: "unit not the first start", mut: func(c *Commit) { c.Unit = exUnitA }, field: "unit", msg: `which is unit "5555555555555555"`},
		{name: "ranges empty", mut: func(c *Commit) { c.Ranges = nil }, field: "ranges", msg: "empty"},
		{name: "ranges overlap", mut: func(c *Commit) { c.Ranges[1].Start = "0" }, field: "ranges[1]", msg: "overlaps ranges[0]"},
		{name: "ranges on a key unit", mut: func(c *Commit) {
			c.Unit = KeyUnitID(0)
			c.Files = nil
			c.Rows = 0
		}, field: "ranges", msg: "set in the commit of a key-list unit"},
		{name: "file of another unit", mut: func(c *Commit) {
			c.Files[0].Name = PartName(exUnitA, exAttB, 0, ExtZstd)
			c.Files[0].Unit = exUnitA
		}, field: "files[0].unit", msg: `"0000000000000000" in the commit of unit "5555555555555555"`},
		{name: "file of another attempt", mut: func(c *Commit) { c.Files[0].Name = PartName(exUnitB, exAttA, 0, ExtZstd) }, field: "files[0].name", msg: `written by attempt "3f9a0c12"`},
		{name: "file range not the commit's", mut: func(c *Commit) { c.Files[0].Ranges[1].End = "4000000000000000000" }, field: "files[0].ranges[1]", msg: "not one of the commit's ranges"},
		{name: "file name escapes", mut: func(c *Commit) { c.Files[0].Name = "../../../../manifest.json" }, field: "files[0].name", msg: "escapes the dump prefix"},
		{name: "rows", mut: func(c *Commit) { c.Rows = 1 }, field: "rows", msg: "add up to 263512"},
		{name: "finished before started", mut: func(c *Commit) { c.Started, c.Finished = c.Finished, c.Started }, field: "finished", msg: "before started"},
	}
	runRejects(t, docCommit, golden, cases, DecodeCommit, (*Commit).Marshal, commitShape)
}

func TestDecodeDumpMarkerRejects(t *testing.T) {
	golden := readGolden(t, "dump.golden.json")
	cases := []rejectCase[DumpMarker]{
		{name: "unknown field", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"batch"`, `"owner": "", "batch"`) }, field: "owner", msg: "unknown field"},
		{name: "missing created", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `,
  "created": "2026-11-22T15:45:30.301Z"`, ``)
		}, field: "created", msg: "missing"},
		{name: "trailing", raw: func(t testing.TB, b []byte) []byte { return append(b, "]"...) }, msg: "trailing data"},
		{name: "unknown version", mut: func(d *DumpMarker) { d.Format = "lading/dump/v0" }, field: "format", msg: "unknown version"},
		{name: "batch", mut: func(d *DumpMarker) { d.Batch = "" }, field: "batch", msg: "empty"},
		{name: "table", mut: func(d *DumpMarker) { d.Table = "orders" }, field: "table", msg: "not keyspace.table"},
		{name: "timestamp", mut: func(d *DumpMarker) { d.Timestamp = "20261122T154530" }, field: "timestamp", msg: "not of the form"},
	}
	runRejects(t, docMarker, golden, cases, DecodeDumpMarker, (*DumpMarker).Marshal, markerShape)
}
