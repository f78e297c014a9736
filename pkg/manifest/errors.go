package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// DecodeError reports a document that is malformed or hostile: bad JSON,
// an unknown version, an unknown, missing or duplicate field, a value out
// of range, totals that do not add up, a name that would leave the dump's
// prefix. Retrying will not help: callers map it to exit code 2 with
// fault.Usage.
type DecodeError struct {
	// Doc names the document: "manifest", "plan", "commit", "dump marker"
	// (Assemble adds the unit: "commit 8000000000000000").
	Doc string
	// Field is the path of the bad field, e.g. "files[3].crc32c"; empty
	// when the problem is the document as a whole.
	Field string
	// Msg says what is wrong.
	Msg string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Doc)
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// IsDecodeError reports whether err is, or wraps, a *DecodeError.
func IsDecodeError(err error) bool {
	var d *DecodeError
	return errors.As(err, &d)
}

// UnitsError reports commits that do not match the plan's units one to
// one. Missing alone means the dump is not finished yet (other workers may
// still be at it); Unknown or Duplicate means the dump's state is corrupt.
type UnitsError struct {
	// Missing lists planned units without a commit, in plan order.
	Missing []string
	// Unknown lists committed units the plan does not have, sorted.
	Unknown []string
	// Duplicate lists units given more than one commit, sorted.
	Duplicate []string
}

// Incomplete reports whether the only problem is missing commits.
func (e *UnitsError) Incomplete() bool {
	return len(e.Missing) > 0 && len(e.Unknown) == 0 && len(e.Duplicate) == 0
}

func (e *UnitsError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d planned unit(s) not committed: %s", len(e.Missing), listSome(e.Missing)))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, fmt.Sprintf("commits for %d unit(s) not in the plan: %s", len(e.Unknown), listSome(e.Unknown)))
	}
	if len(e.Duplicate) > 0 {
		parts = append(parts, fmt.Sprintf("more than one commit for unit(s): %s", listSome(e.Duplicate)))
	}
	return "assemble manifest: " + strings.Join(parts, "; ")
}

// listSome joins up to 10 names, so that an error about a plan with
// thousands of units stays one readable line.
func listSome(names []string) string {
	const max = 10
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", … (%d more)", len(names)-max)
}
