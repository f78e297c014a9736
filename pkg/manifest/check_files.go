package manifest

import (
	"strconv"
	"strings"
)

// ranges checks a list of token ranges on ring r and returns each one's
// intervals. A range whose start equals its end is the full ring, so it
// may only stand alone; the ranges of one list never overlap.
func (c checker) ranges(path string, rs []TokenRange, r *ring) ([][]interval, error) {
	var ivs []interval
	per := make([][]interval, len(rs))
	for j, tr := range rs {
		p := joinIndex(path, j)
		start, err := r.parseToken(tr.Start)
		if err != nil {
			return nil, c.errf(joinField(p, "start"), "%v", err)
		}
		end, err := r.parseToken(tr.End)
		if err != nil {
			return nil, c.errf(joinField(p, "end"), "%v", err)
		}
		if start.Cmp(end) == 0 && len(rs) != 1 {
			return nil, c.errf(p, "start equals end (%s), which is the full ring, in a list of %d ranges", tr.Start, len(rs))
		}
		per[j] = r.intervals(start, end, p)
		ivs = append(ivs, per[j]...)
	}
	if a, b, found := firstOverlap(ivs); found {
		return nil, c.errf(b, "overlaps %s", a)
	}
	return per, nil
}

// fileRules are what a list of files is checked against; zero values
// mean "no constraint".
type fileRules struct {
	ring    *ring  // the partitioner's ring; nil: from each file's unit ID
	mode    string // ModeRanges or ModeKeys; "": from each file's unit ID
	ext     string // the extension compression fixes
	unit    string // a commit's files all belong to its unit…
	attempt string // …and were written by its attempt
	// allowed are the only ranges a file may list (a commit's ranges).
	allowed map[TokenRange]bool
}

// fileSums are the totals of a list of files.
type fileSums struct {
	rows, bytes, stored sum
}

// files checks a list of parts: names that stay inside the dump's prefix
// and are sorted, checksums, ranges; units' ranges never overlap.
func (c checker) files(path string, files []File, rules fileRules) (fileSums, error) {
	var sums fileSums
	var ivs []interval
	seen := map[string]map[TokenRange]bool{} // unit -> ranges already placed on the ring
	for i := range files {
		f := &files[i]
		p := joinIndex(path, i)
		npath := joinField(p, "name")
		if msg := nameProblem(f.Name); msg != "" {
			return sums, c.errf(npath, "%s", msg)
		}
		if i > 0 && f.Name <= files[i-1].Name {
			if f.Name == files[i-1].Name {
				return sums, c.errf(npath, "duplicate %q", f.Name)
			}
			return sums, c.errf(npath, "%q is out of order: files are sorted by name", f.Name)
		}
		unit, attempt, _, ext, err := ParsePartName(f.Name)
		if err != nil {
			return sums, c.errf(npath, "%v", err)
		}
		upath := joinField(p, "unit")
		if f.Unit != unit {
			return sums, c.errf(upath, "%q, but the part's name says %q", f.Unit, unit)
		}
		if rules.unit != "" && unit != rules.unit {
			return sums, c.errf(upath, "%q in the commit of unit %q", unit, rules.unit)
		}
		if rules.attempt != "" && attempt != rules.attempt {
			return sums, c.errf(npath, "written by attempt %q, but the commit is attempt %q's", attempt, rules.attempt)
		}
		if rules.ext != "" && ext != rules.ext {
			return sums, c.errf(npath, "extension %s, but the compression fixes %s", ext, rules.ext)
		}
		tu, isRange := parseRangeUnitID(unit)
		_, isSegment := ParseSegmentUnitID(unit)
		switch {
		case (rules.mode == ModeSegments) != isSegment && rules.mode != "":
			return sums, c.errf(upath, "%q: segment units and %s exports go together", unit, ModeSegments)
		case rules.mode == ModeKeys && isRange:
			return sums, c.errf(upath, "%q is a range unit in a key-list export", unit)
		case rules.mode == ModeRanges && !isRange && !isSegment:
			return sums, c.errf(upath, "%q is a key-list unit in a token-range export", unit)
		case isRange && rules.ring != nil && tu.ring != rules.ring:
			return sums, c.errf(upath, "%q is not a %s unit ID (%d hex digits)", unit, shortName(rules.ring.Name), rules.ring.IDWidth)
		}
		if ext == ExtNone && f.StoredBytes != f.Bytes {
			return sums, c.errf(joinField(p, "stored_bytes"), "%d, but an uncompressed part stores its %d bytes as they are", f.StoredBytes, f.Bytes)
		}
		if err := c.hex(joinField(p, "crc32c"), f.CRC32C, crc32cPattern, 8); err != nil {
			return sums, err
		}
		if err := c.hex(joinField(p, "sha256"), f.SHA256, sha256Pattern, 64); err != nil {
			return sums, err
		}
		rpath := joinField(p, "ranges")
		if !isRange {
			if len(f.Ranges) > 0 {
				return sums, c.errf(rpath, "a key-list part lists no token ranges")
			}
		} else {
			if len(f.Ranges) == 0 {
				return sums, c.errf(rpath, "empty: a part of a token-range unit lists its ranges")
			}
			fivs, err := c.ranges(rpath, f.Ranges, tu.ring)
			if err != nil {
				return sums, err
			}
			for j, tr := range f.Ranges {
				if rules.allowed != nil && !rules.allowed[tr] {
					return sums, c.errf(joinIndex(rpath, j), "(%s, %s] is not one of the commit's ranges", tr.Start, tr.End)
				}
			}
			// A unit's parts may share its ranges; different units' may not.
			placed := seen[unit]
			if placed == nil {
				placed = map[TokenRange]bool{}
				seen[unit] = placed
			}
			for j, tr := range f.Ranges {
				if !placed[tr] {
					placed[tr] = true
					ivs = append(ivs, fivs[j]...)
				}
			}
		}
		if err := c.time(joinField(p, "read_at"), f.ReadAt); err != nil {
			return sums, err
		}
		sums.rows.add(f.Rows)
		sums.bytes.add(f.Bytes)
		sums.stored.add(f.StoredBytes)
	}
	if a, b, found := firstOverlap(ivs); found {
		return sums, c.errf(b, "overlaps %s, a range of another unit", a)
	}
	return sums, nil
}

// nameProblem says why a file name cannot be a part of a dump, or "".
// Parts live directly in the dump's prefix: a name is one path segment.
func nameProblem(name string) string {
	switch {
	case name == "":
		return "empty"
	case strings.HasPrefix(name, "/"):
		return "escapes the dump prefix: " + strconv.Quote(name) + " is absolute"
	case strings.Contains(name, `\`):
		return "escapes the dump prefix: " + strconv.Quote(name) + " has a backslash"
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." || seg == "." {
			return "escapes the dump prefix: " + strconv.Quote(name)
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return "control character in " + strconv.Quote(name)
		}
	}
	if strings.Contains(name, "/") {
		return "names a subdirectory: " + strconv.Quote(name) + " (parts live directly in the dump prefix)"
	}
	return ""
}
