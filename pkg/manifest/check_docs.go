package manifest

import (
	"fmt"
	"strings"
)

// Document names, as DecodeError.Doc gives them.
const (
	docManifest = "manifest"
	docPlan     = "plan"
	docCommit   = "commit"
	docMarker   = "dump marker"
)

func checkManifest(m *Manifest, inPlace bool) error {
	c := checker{doc: docManifest}
	if err := c.format(m.Format, FormatManifest); err != nil {
		return err
	}
	if err := c.tool("tool", m.Tool); err != nil {
		return err
	}
	if err := c.dumpID(m.Batch, m.Table, m.Timestamp); err != nil {
		return err
	}
	r, err := c.source("source", &m.Source, inPlace)
	if err != nil {
		return err
	}
	if q := m.Source.Table.QualifiedName(); m.Table != q {
		return c.errf("table", "%q, but the source table is %q", m.Table, q)
	}
	if err := c.options("options", &m.Options, &m.Source); err != nil {
		return err
	}
	ext, _ := ExtForCompression(m.Options.Compression)
	sums, err := c.files("files", m.Files, fileRules{ring: r, mode: m.Options.Mode, ext: ext})
	if err != nil {
		return err
	}
	t := m.Totals
	if t.Files != int64(len(m.Files)) {
		return c.errf("totals.files", "%d, but %d files are listed", t.Files, len(m.Files))
	}
	if err := c.total("totals.rows", t.Rows, sums.rows, "rows"); err != nil {
		return err
	}
	if err := c.total("totals.bytes", t.Bytes, sums.bytes, "bytes"); err != nil {
		return err
	}
	if err := c.total("totals.stored_bytes", t.StoredBytes, sums.stored, "stored bytes"); err != nil {
		return err
	}
	return c.interval("totals.started", t.Started, "totals.finished", t.Finished)
}

func checkPlan(p *Plan, inPlace bool) error {
	c := checker{doc: docPlan}
	if err := c.format(p.Format, FormatPlan); err != nil {
		return err
	}
	if err := c.tool("tool", p.Tool); err != nil {
		return err
	}
	if err := c.dumpID(p.Batch, p.Table, p.Timestamp); err != nil {
		return err
	}
	if err := c.time("created", p.Created); err != nil {
		return err
	}
	r, err := c.source("source", &p.Source, inPlace)
	if err != nil {
		return err
	}
	if q := p.Source.Table.QualifiedName(); p.Table != q {
		return c.errf("table", "%q, but the source table is %q", p.Table, q)
	}
	if err := c.options("options", &p.Options, &p.Source); err != nil {
		return err
	}
	if len(p.Units) == 0 {
		return c.errf("units", "empty")
	}
	if p.Options.Mode == ModeSegments {
		return c.segmentUnits(p)
	}
	var ivs []interval
	var nextKey sum
	for i := range p.Units {
		u := &p.Units[i]
		path := joinIndex("units", i)
		idPath := joinField(path, "id")
		if i > 0 && u.ID <= p.Units[i-1].ID {
			if u.ID == p.Units[i-1].ID {
				return c.errf(idPath, "duplicate %q", u.ID)
			}
			return c.errf(idPath, "%q is out of order: units are sorted by ID", u.ID)
		}
		if p.Options.Mode == ModeKeys {
			if err := c.keyUnit(path, u, nextKey.n); err != nil {
				return err
			}
			nextKey.add(u.Keys)
			if nextKey.overflow {
				return c.errf(joinField(path, "keys"), "the units' keys overflow a 64-bit integer")
			}
			continue
		}
		uivs, err := c.rangeUnit(path, u.ID, u.Ranges, r)
		if err != nil {
			return err
		}
		if u.FirstKey != 0 || u.Keys != 0 {
			return c.errf(joinField(path, "keys"), "set on a token-range unit")
		}
		ivs = append(ivs, uivs...)
	}
	if a, b, found := firstOverlap(ivs); found {
		return c.errf(b, "overlaps %s (units never overlap)", a)
	}
	if p.Options.Mode == ModeKeys {
		if p.KeysName == "" {
			return c.errf("keys_name", "empty in a key-list export")
		}
		if err := ValidateStateKey(p.KeysName); err != nil {
			return c.errf("keys_name", "%v", err)
		}
		if err := c.hex("keys_sha256", p.KeysSHA256, sha256Pattern, 64); err != nil {
			return err
		}
		if p.KeysCount != nextKey.n {
			return c.errf("keys_count", "%d, but the units hold %d keys", p.KeysCount, nextKey.n)
		}
		return nil
	}
	if p.KeysName != "" || p.KeysSHA256 != "" || p.KeysCount != 0 {
		return c.errf("keys_name", "key list set in a token-range export")
	}
	return nil
}

// rangeUnit checks a token-range unit: its ID names its first range's
// start on ring r (nil: the ring the ID's width says).
func (c checker) rangeUnit(path, id string, ranges []TokenRange, r *ring) ([]interval, error) {
	idPath := joinField(path, "id")
	if path == "" {
		idPath = "unit"
	}
	tu, ok := parseRangeUnitID(id)
	if !ok {
		return nil, c.errf(idPath, "%q is not a unit ID", id)
	}
	if r == nil {
		r = tu.ring
	} else if tu.ring != r {
		return nil, c.errf(idPath, "%q is not a %s unit ID (%d hex digits)", id, shortName(r.Name), r.IDWidth)
	}
	rpath := joinField(path, "ranges")
	if len(ranges) == 0 {
		return nil, c.errf(rpath, "empty")
	}
	per, err := c.ranges(rpath, ranges, r)
	if err != nil {
		return nil, err
	}
	start, _ := r.parseToken(ranges[0].Start)
	if want := r.unitID(start); id != want {
		return nil, c.errf(idPath, "%q, but the first range starts at token %s, which is unit %q", id, ranges[0].Start, want)
	}
	var ivs []interval
	for _, p := range per {
		ivs = append(ivs, p...)
	}
	return ivs, nil
}

// keyUnit checks a key-list unit, which must start at key first.
func (c checker) keyUnit(path string, u *Unit, first int64) error {
	idPath := joinField(path, "id")
	if _, ok := parseKeyUnitID(u.ID); !ok {
		return c.errf(idPath, "%q is not a key-list unit ID (k and 12 digits)", u.ID)
	}
	if len(u.Ranges) > 0 {
		return c.errf(joinField(path, "ranges"), "set on a key-list unit")
	}
	if u.FirstKey != first {
		return c.errf(joinField(path, "first_key"), "%d, but the previous units end at key %d", u.FirstKey, first)
	}
	if u.Keys <= 0 {
		return c.errf(joinField(path, "keys"), "must be positive")
	}
	if want := KeyUnitID(u.FirstKey); u.ID != want {
		return c.errf(idPath, "%q, but a unit starting at key %d is %q", u.ID, u.FirstKey, want)
	}
	return nil
}

func checkCommit(cm *Commit) error {
	return checkCommitAs(checker{doc: docCommit}, cm, "")
}

// checkCommitAs checks a commit, reporting as c; ext, when set, is the
// extension every part must have.
func checkCommitAs(c checker, cm *Commit, ext string) error {
	if err := c.format(cm.Format, FormatCommit); err != nil {
		return err
	}
	if !ValidAttemptID(cm.Attempt) {
		return c.errf("attempt", "%q is not an attempt ID (8 lower-case hex digits)", cm.Attempt)
	}
	rules := fileRules{unit: cm.Unit, attempt: cm.Attempt, ext: ext}
	if _, ok := ParseSegmentUnitID(cm.Unit); ok {
		if len(cm.Ranges) > 0 {
			return c.errf("ranges", "set in the commit of a segment unit")
		}
		// A segment resumed from progress commits lists the parts of
		// the attempts that made them.
		rules.mode, rules.attempt = ModeSegments, ""
	} else if _, ok := parseKeyUnitID(cm.Unit); ok {
		if len(cm.Ranges) > 0 {
			return c.errf("ranges", "set in the commit of a key-list unit")
		}
		rules.mode = ModeKeys
	} else {
		if _, err := c.rangeUnit("", cm.Unit, cm.Ranges, nil); err != nil {
			return err
		}
		rules.mode = ModeRanges
		rules.allowed = map[TokenRange]bool{}
		for _, tr := range cm.Ranges {
			rules.allowed[tr] = true
		}
	}
	sums, err := c.files("files", cm.Files, rules)
	if err != nil {
		return err
	}
	if err := c.total("rows", cm.Rows, sums.rows, "rows"); err != nil {
		return err
	}
	return c.interval("started", cm.Started, "finished", cm.Finished)
}

func checkMarker(d *DumpMarker) error {
	c := checker{doc: docMarker}
	if err := c.format(d.Format, FormatDump); err != nil {
		return err
	}
	if err := c.dumpID(d.Batch, d.Table, d.Timestamp); err != nil {
		return err
	}
	return c.time("created", d.Created)
}

// ValidateStateKey checks a key relative to a dump's prefix that names
// one of lading's own objects under "_state/" (e.g. the stored key list).
func ValidateStateKey(key string) error {
	rest, ok := strings.CutPrefix(key, "_state/")
	if !ok {
		return fmt.Errorf("%q is not under _state/", key)
	}
	for _, seg := range strings.Split(rest, "/") {
		if msg := nameProblem(seg); msg != "" {
			return fmt.Errorf("%q: %s", key, msg)
		}
	}
	return nil
}
