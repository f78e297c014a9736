package manifest

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// A checker collects nothing: it returns the first problem it finds in a
// document, as a *DecodeError naming the field. The same checks run when
// decoding and before encoding, so lading never writes a document that it
// would refuse to read.
type checker struct {
	doc string
}

func (c checker) errf(field, format string, args ...any) *DecodeError {
	return &DecodeError{Doc: c.doc, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// knownFormats lists every document version this build reads, for the
// error about an unknown one.
var knownFormats = []string{FormatManifest, FormatPlan, FormatCommit, FormatDump, FormatDeleted, FormatProgress, FormatTableList, FormatBatchSuccess}

func (c checker) format(got, want string) error {
	if got == want {
		return nil
	}
	return c.errf("format", "unknown version %q: this build reads %q (known versions: %s)", got, want, strings.Join(knownFormats, ", "))
}

func (c checker) tool(path string, t Tool) error {
	if t.Name == "" {
		return c.errf(joinField(path, "name"), "empty")
	}
	if t.Version == "" {
		return c.errf(joinField(path, "version"), "empty")
	}
	return nil
}

// dumpID checks the batch, table and timestamp that name a dump.
func (c checker) dumpID(batch, table, timestamp string) error {
	if err := ValidateBatch(batch); err != nil {
		return c.errf("batch", "%v", err)
	}
	if err := ValidateTableName(table); err != nil {
		return c.errf("table", "%v", err)
	}
	if _, err := ParseTimestamp(timestamp); err != nil {
		return c.errf("timestamp", "%v", err)
	}
	return nil
}

// time checks that a time is set (documents never carry a zero time).
func (c checker) time(path string, t time.Time) error {
	if t.IsZero() {
		return c.errf(path, "missing (zero time)")
	}
	return nil
}

func (c checker) interval(startPath string, started time.Time, finishedPath string, finished time.Time) error {
	if err := c.time(startPath, started); err != nil {
		return err
	}
	if err := c.time(finishedPath, finished); err != nil {
		return err
	}
	if finished.Before(started) {
		return c.errf(finishedPath, "%s is before %s %s", finished.UTC().Format(time.RFC3339Nano), startPath, started.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

var (
	crc32cPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (c checker) hex(path, s string, p *regexp.Regexp, digits int) error {
	if !p.MatchString(s) {
		return c.errf(path, "%q is not %d lower-case hex digits", s, digits)
	}
	return nil
}

// sum adds counts, failing rather than wrapping around.
type sum struct {
	n        int64
	overflow bool
}

func (s *sum) add(v int64) {
	if v > math.MaxInt64-s.n {
		s.overflow = true
		return
	}
	s.n += v
}

func (c checker) total(path string, declared int64, s sum, what string) error {
	if s.overflow {
		return c.errf(path, "the files' %s overflow a 64-bit integer", what)
	}
	if declared != s.n {
		return c.errf(path, "%d, but the files' %s add up to %d", declared, what, s.n)
	}
	return nil
}
