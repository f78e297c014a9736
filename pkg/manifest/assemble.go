package manifest

import (
	"slices"
	"strings"
)

// Assemble builds the manifest of a finished dump from its plan and the
// commits of its units, and nothing else, so that any finisher given the
// same plan and commits, in any order, writes the same bytes:
//
//   - every planned unit has exactly one commit, and every commit a
//     planned unit (otherwise a *UnitsError: Missing alone means "not
//     finished yet");
//   - each commit passes DecodeCommit's checks, lists exactly its unit's
//     ranges, and its parts carry the extension of the plan's compression
//     (otherwise a *DecodeError for "commit <unit>");
//   - Files are the commits' files sorted by name, Totals their sums;
//   - Started is plan.Created, Finished the latest commit's Finished (or
//     plan.Created, should a worker's clock be behind the planner's);
//   - Tool is the assembler's, Batch, Table, Timestamp, Source and Options
//     the plan's.
//
// The result has been checked as DecodeManifest would check it. Plan and
// commits are not modified, and the manifest shares no memory with them.
func Assemble(plan *Plan, commits []*Commit, tool Tool) (*Manifest, error) {
	if err := checkPlan(plan, false); err != nil {
		return nil, err
	}
	ext, _ := ExtForCompression(plan.Options.Compression)

	byUnit := make(map[string]*Commit, len(commits))
	uerr := &UnitsError{}
	planned := make(map[string]bool, len(plan.Units))
	for _, u := range plan.Units {
		planned[u.ID] = true
	}
	for i, cm := range commits {
		if cm == nil {
			return nil, &DecodeError{Doc: docCommit, Field: joinIndex("commits", i), Msg: "nil"}
		}
		if _, dup := byUnit[cm.Unit]; dup {
			if !slices.Contains(uerr.Duplicate, cm.Unit) {
				uerr.Duplicate = append(uerr.Duplicate, cm.Unit)
			}
			continue
		}
		byUnit[cm.Unit] = cm
		if !planned[cm.Unit] {
			uerr.Unknown = append(uerr.Unknown, cm.Unit)
		}
	}
	for _, u := range plan.Units {
		if byUnit[u.ID] == nil {
			uerr.Missing = append(uerr.Missing, u.ID)
		}
	}
	if len(uerr.Missing)+len(uerr.Unknown)+len(uerr.Duplicate) > 0 {
		slices.Sort(uerr.Unknown)
		slices.Sort(uerr.Duplicate)
		return nil, uerr
	}

	m := &Manifest{
		Format:    FormatManifest,
		Tool:      tool,
		Batch:     plan.Batch,
		Table:     plan.Table,
		Timestamp: plan.Timestamp,
		Source:    cloneSource(plan.Source),
		Options:   cloneOptions(plan.Options),
		Files:     []File{},
	}
	m.Totals.Started = plan.Created.UTC()
	m.Totals.Finished = m.Totals.Started
	for _, u := range plan.Units {
		cm := byUnit[u.ID]
		c := checker{doc: docCommit + " " + u.ID}
		if err := checkCommitAs(c, cm, ext); err != nil {
			return nil, err
		}
		if !slices.Equal(cm.Ranges, u.Ranges) {
			return nil, c.errf("ranges", "differ from the plan's ranges of unit %s", u.ID)
		}
		for _, f := range cm.Files {
			f.Ranges = slices.Clone(f.Ranges)
			if f.Ranges == nil {
				f.Ranges = []TokenRange{}
			}
			f.ReadAt = f.ReadAt.UTC()
			m.Files = append(m.Files, f)
		}
		if fin := cm.Finished.UTC(); fin.After(m.Totals.Finished) {
			m.Totals.Finished = fin
		}
	}
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	var rows, bytes, stored sum
	for _, f := range m.Files {
		rows.add(f.Rows)
		bytes.add(f.Bytes)
		stored.add(f.StoredBytes)
	}
	if rows.overflow || bytes.overflow || stored.overflow {
		return nil, &DecodeError{Doc: docManifest, Field: "totals", Msg: "the files' sums overflow a 64-bit integer"}
	}
	m.Totals.Files = int64(len(m.Files))
	m.Totals.Rows, m.Totals.Bytes, m.Totals.StoredBytes = rows.n, bytes.n, stored.n
	if err := checkManifest(m, true); err != nil {
		return nil, err
	}
	return m, nil
}

func cloneSource(s Source) Source {
	s.Table.Columns = slices.Clone(s.Table.Columns)
	s.Table.UserTypes = slices.Clone(s.Table.UserTypes)
	s.Table.Indexes = slices.Clone(s.Table.Indexes)
	d := &s.DynamoDB
	d.KeySchema, d.Attributes = slices.Clone(d.KeySchema), slices.Clone(d.Attributes)
	d.GlobalIndexes, d.LocalIndexes = slices.Clone(d.GlobalIndexes), slices.Clone(d.LocalIndexes)
	for i := range s.Table.UserTypes {
		s.Table.UserTypes[i].Fields = slices.Clone(s.Table.UserTypes[i].Fields)
	}
	return s
}

func cloneOptions(o Options) Options {
	o.Columns = slices.Clone(o.Columns)
	return o
}
