package snowflake

import (
	"fmt"
	"path"
	"sort"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// copyResult is one row of COPY INTO's result: one per file.
type copyResult struct {
	File       string // as Snowflake names it: the stage path, ending in the part's name
	Status     string // LOADED, PARTIALLY_LOADED, LOAD_FAILED
	RowsParsed int64
	RowsLoaded int64
	ErrorsSeen int64
	FirstError string
	FirstLine  int64
}

// copyOutcome is what one COPY's results add up to, per part name.
type copyOutcome struct {
	Loaded   map[string]int64 // rows loaded per part
	Rejected int64            // rows COPY skipped (ON_ERROR = CONTINUE)
	// Rejects name the first bad row of each part that had one.
	Rejects []string
}

// checkCopyResults checks COPY's result rows against the parts it was
// given: every part reported exactly once, no other file, no part failed,
// rows parsed equal to the manifest's rows, and loaded plus errors equal
// to parsed. A part whose counts disagree with its manifest is a failed
// verification (exit 3); a failed part is retryable; rejected rows are
// counted for --max-rejects by the caller.
func checkCopyResults(parts []*manifest.File, results []copyResult) (copyOutcome, error) {
	want := make(map[string]*manifest.File, len(parts))
	for _, p := range parts {
		want[p.Name] = p
	}
	out := copyOutcome{Loaded: map[string]int64{}}
	for _, r := range results {
		name := path.Base(r.File)
		p, ok := want[name]
		if !ok {
			return out, fault.Verifyf("COPY reported file %q, which is not one of the %d parts it was given", r.File, len(parts))
		}
		if _, dup := out.Loaded[name]; dup {
			return out, fault.Verifyf("COPY reported part %s twice", name)
		}
		switch r.Status {
		case "LOADED", "PARTIALLY_LOADED":
		case "LOAD_FAILED":
			// Every row refused under ON_ERROR = CONTINUE: rejects,
			// counted below; a file that could not be read at all is not.
			if r.ErrorsSeen == 0 || r.ErrorsSeen != r.RowsParsed {
				return out, fmt.Errorf("COPY of part %s: status %s, first error at line %d: %s", name, r.Status, r.FirstLine, r.FirstError)
			}
		default:
			return out, fmt.Errorf("COPY of part %s: status %s, first error at line %d: %s", name, r.Status, r.FirstLine, r.FirstError)
		}
		if r.RowsParsed != p.Rows {
			return out, fault.Verifyf("COPY of part %s parsed %d rows, the manifest says %d", name, r.RowsParsed, p.Rows)
		}
		if r.RowsLoaded+r.ErrorsSeen != r.RowsParsed {
			return out, fault.Verifyf("COPY of part %s: %d rows loaded and %d errors do not add up to the %d parsed", name, r.RowsLoaded, r.ErrorsSeen, r.RowsParsed)
		}
		out.Loaded[name] = r.RowsLoaded
		if r.ErrorsSeen > 0 {
			out.Rejected += r.ErrorsSeen
			out.Rejects = append(out.Rejects, fmt.Sprintf("%s line %d: %s", name, r.FirstLine, r.FirstError))
		}
	}
	var missing []string
	for name := range want {
		if _, ok := out.Loaded[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return out, fault.Verifyf("COPY did not report %d of its parts: %v", len(missing), missing)
	}
	return out, nil
}
