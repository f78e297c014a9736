package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// FormatProgress is the version of progress commits.
const FormatProgress = "lading/progress/v1"

// ProgressDir holds the progress commits of units that resume inside
// themselves (DynamoDB Scan segments): ProgressDir/<unit>/<seq>.json.
const ProgressDir = "_state/progress/"

// Progress is _state/progress/<unit>/<seq>.json: a unit's rows up to a
// page boundary are durably in Files, and a scan of the unit continues
// after Next (the source's resume point, e.g. DynamoDB's
// LastEvaluatedKey as DynamoDB JSON). Seq counts a unit's progress
// commits from 1; each is created conditionally, so of two attempts that
// resumed from the same commit exactly one makes the next, and the other
// stops. Files are cumulative: every part of the unit so far, sorted by
// name (written by this attempt or, before Resumed, by earlier ones).
// The unit's commit lists the last progress commit's files and the parts
// written after it.
type Progress struct {
	Format  string `json:"format"`
	Unit    string `json:"unit"`
	Seq     int64  `json:"seq"`
	Attempt string `json:"attempt"`
	// Resumed is the Seq this attempt resumed from (0: the unit's start).
	Resumed int64     `json:"resumed"`
	Next    string    `json:"next"`
	Files   []File    `json:"files"`
	Rows    int64     `json:"rows"`
	Started time.Time `json:"started"`
	Written time.Time `json:"written"`
}

var progressShape = shapeOf(reflect.TypeFor[Progress]())

const docProgress = "progress"

// ProgressName is the key of a unit's seq-th progress commit, relative to
// the dump's prefix; names sort by seq.
func ProgressName(unit string, seq int64) string {
	return fmt.Sprintf("%s%s/%09d.json", ProgressDir, unit, seq)
}

// ParseProgressName returns the unit and seq a progress key names.
func ParseProgressName(name string) (string, int64, bool) {
	rest, ok := strings.CutPrefix(name, ProgressDir)
	if !ok {
		return "", 0, false
	}
	unit, file, ok := strings.Cut(rest, "/")
	if !ok || !validUnitID(unit) {
		return "", 0, false
	}
	num, ok := strings.CutSuffix(file, ".json")
	if !ok || len(num) != 9 {
		return "", 0, false
	}
	var seq int64
	for _, ch := range num {
		if ch < '0' || ch > '9' {
			return "", 0, false
		}
		seq = seq*10 + int64(ch-'0')
	}
	return unit, seq, seq > 0
}

func checkProgress(p *Progress) error {
	c := checker{doc: docProgress}
	if err := c.format(p.Format, FormatProgress); err != nil {
		return err
	}
	if _, ok := ParseSegmentUnitID(p.Unit); !ok {
		return c.errf("unit", "%q is not a unit that resumes inside itself", p.Unit)
	}
	if p.Seq < 1 {
		return c.errf("seq", "must be positive")
	}
	if p.Resumed >= p.Seq {
		return c.errf("resumed", "%d, but this is progress commit %d", p.Resumed, p.Seq)
	}
	if !ValidAttemptID(p.Attempt) {
		return c.errf("attempt", "%q is not an attempt ID (8 lower-case hex digits)", p.Attempt)
	}
	if p.Next == "" {
		return c.errf("next", "empty")
	}
	sums, err := c.files("files", p.Files, fileRules{unit: p.Unit, mode: ModeSegments})
	if err != nil {
		return err
	}
	if err := c.total("rows", p.Rows, sums.rows, "rows"); err != nil {
		return err
	}
	return c.interval("started", p.Started, "written", p.Written)
}

// DecodeProgress decodes a progress commit as strictly as DecodeCommit.
func DecodeProgress(data []byte) (*Progress, error) {
	p := new(Progress)
	if err := decode(docProgress, data, FormatProgress, progressShape, p); err != nil {
		return nil, err
	}
	if err := checkProgress(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Marshal checks p as DecodeProgress would and returns its canonical
// bytes (see Manifest.Marshal).
func (p *Progress) Marshal() ([]byte, error) {
	if err := checkProgress(p); err != nil {
		return nil, err
	}
	return encode(docProgress, reflect.ValueOf(p).Elem(), progressShape)
}
