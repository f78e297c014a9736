package export

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// errProgressLost ends an attempt whose progress commit another attempt
// made first: both resumed from the same point, and the other one's rows
// are the unit's now. Its parts are never listed; the finisher deletes
// them.
var errProgressLost = errors.New("another attempt committed this unit's progress first")

// loadProgress finds the unit's last progress commit, if the source
// resumes inside units, and continues from it: its files become this
// attempt's first files, its Next the scan's start, and the part numbers
// go on after its parts (each name also carries this attempt's id).
func (u *unitRun) loadProgress(ctx context.Context) error {
	if u.x.plan.Options.Mode != manifest.ModeSegments {
		return nil
	}
	x := u.x
	dir := x.d.key(manifest.ProgressDir + u.unit.ID + "/")
	objs, _, err := x.root.ListAll(ctx, dir, "")
	if err != nil {
		return fmt.Errorf("list progress of unit %s: %w", u.unit.ID, err)
	}
	var last string
	var lastSeq int64
	for _, o := range objs {
		unit, seq, ok := manifest.ParseProgressName(o.Key[len(x.d.prefix):])
		if ok && unit == u.unit.ID && seq > lastSeq {
			last, lastSeq = o.Key, seq
		}
	}
	if last == "" {
		return nil
	}
	data, err := x.root.ReadAll(ctx, last)
	if err != nil {
		return fmt.Errorf("read progress of unit %s: %w", u.unit.ID, err)
	}
	p, err := manifest.DecodeProgress(data)
	if err != nil {
		return fault.Usagef("%s: %w", x.root.Location().Join(last), err)
	}
	if p.Unit != u.unit.ID || p.Seq != lastSeq {
		return fault.Usagef("%s: progress %d of unit %s under the name of %d of %s", x.root.Location().Join(last), p.Seq, p.Unit, lastSeq, u.unit.ID)
	}
	u.files = slices.Clone(p.Files)
	u.rows = p.Rows
	u.resume, u.next = []byte(p.Next), []byte(p.Next)
	u.progress = int(p.Seq)
	u.seq = len(p.Files)
	u.started = p.Started
	x.logger.Info("unit resumes at its last progress commit", "unit", u.unit.ID, "progress", p.Seq, "rows", p.Rows, "parts", len(p.Files))
	x.run.Add("units_resumed", 1)
	return nil
}

// saveProgress commits the unit's parts so far and where its scan goes
// on (conditional create of the next progress commit).
func (u *unitRun) saveProgress(ctx context.Context) error {
	x := u.x
	p := &manifest.Progress{
		Format:  manifest.FormatProgress,
		Unit:    u.unit.ID,
		Seq:     int64(u.progress + 1),
		Attempt: u.attempt,
		Resumed: int64(u.progress),
		Next:    string(u.next),
		Files:   slices.Clone(u.files),
		Rows:    u.rows,
		Started: u.started.UTC(),
		Written: x.cfg.Now().UTC(),
	}
	slices.SortFunc(p.Files, func(a, b manifest.File) int { return strings.Compare(a.Name, b.Name) })
	if p.Written.Before(p.Started) {
		p.Written = p.Started
	}
	data, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("progress of unit %s: %w", u.unit.ID, err)
	}
	key := x.d.key(manifest.ProgressName(u.unit.ID, p.Seq))
	err = x.root.CreateIfAbsent(ctx, key, data)
	if errors.Is(err, objstore.ErrExists) {
		got, rerr := x.root.ReadAll(ctx, key)
		if rerr != nil {
			return fmt.Errorf("read progress of unit %s: %w", u.unit.ID, rerr)
		}
		other, derr := manifest.DecodeProgress(got)
		if derr != nil || other.Attempt != u.attempt {
			return errProgressLost
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("commit progress of unit %s: %w", u.unit.ID, err)
	}
	u.progress++
	u.lastProgress = time.Now()
	x.run.Add("progress_commits", 1)
	return nil
}
