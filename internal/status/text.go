package status

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as a plain table: one line per stage of
// each dump, the dump named on its first line, then what is behind.
func WriteText(w io.Writer, r *Report) error {
	if len(r.Dumps) == 0 {
		fmt.Fprintf(w, "no dumps under %s\n", joinRoots(r.Roots))
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BATCH\tTABLE\tDUMP\tSTAGE\tWHERE\tSTATE\tAT (UTC)\tLAG\tDETAIL")
	for _, d := range r.Dumps {
		for i, s := range d.Stages {
			batch, table, ts := d.Batch, d.Table, d.Timestamp
			if i > 0 {
				batch, table, ts = "", "", ""
			}
			state := s.State
			if s.Behind {
				state += " (behind)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", batch, table, ts, s.Stage, dash(s.Where), state, when(s.At), LagText(s), dash(s.Detail))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeBatchMarkers(w, r.Batches)
	if len(r.Behind) > 0 {
		fmt.Fprintf(w, "\n%d behind", len(r.Behind))
		if r.MaxLagSeconds > 0 {
			fmt.Fprintf(w, " (--max-lag %s)", report.HumanDuration(time.Duration(r.MaxLagSeconds*float64(time.Second))))
		}
		fmt.Fprintln(w, ":")
		for _, b := range r.Behind {
			fmt.Fprintln(w, "  "+b)
		}
	}
	return nil
}

// writeBatchMarkers lists the batches whose marker (<batch>/_SUCCESS)
// some root holds, and where; batches without one in any root (made by
// --table runs, or still exporting) are not listed.
func writeBatchMarkers(w io.Writer, ms []BatchMarker) {
	first := true
	for _, m := range ms {
		if m.At == nil {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nbatch markers (<batch>/_SUCCESS):")
			first = false
		}
		fmt.Fprintf(w, "  %s complete %s, %d tables, in %s\n", m.Batch, when(m.At), m.Tables, m.Where)
	}
}

// LagText says how a stage's lag reads: "took 3m" for an export, "+5m"
// after the export for a finished stage, "waiting 2h" for one not done.
func LagText(s Stage) string {
	d := report.HumanDuration(s.Lag())
	switch {
	case s.State == StateSuperseded:
		return "-"
	case s.Stage == StageExport && s.State == StateDone:
		return "took " + d
	case s.Stage == StageExport:
		return "running " + d
	case s.At != nil, s.State == StateDone, s.State == StateFailed, s.State == StateSkipped:
		return "+" + d
	}
	return "waiting " + d
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinRoots(roots []string) string {
	out := ""
	for i, r := range roots {
		if i > 0 {
			out += ", "
		}
		out += r
	}
	return out
}
