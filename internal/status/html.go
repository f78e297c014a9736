package status

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/report"
)

// The page is one file: CSS and SVG inline, no script, no font or image
// fetched from anywhere, so it can be mailed, attached to a ticket or
// opened from a bucket as it is.
//
//go:embed status.html.tmpl
var pageSource string

var page = template.Must(template.New("status").Funcs(template.FuncMap{
	"when":  when,
	"lag":   LagText,
	"dash":  dash,
	"cls":   stateClass,
	"place": place,
}).Parse(pageSource))

// Timeline geometry (SVG user units).
const (
	tlWidth  = 900
	tlLabel  = 250 // left column: stage and where
	tlRight  = 90  // right margin: the lag text
	tlRow    = 22
	tlTop    = 18 // room for the time axis labels
	tlBarMin = 3
)

// tlBar is one stage on a dump's timeline: a bar from when the stage
// could start (the export's end; the export's own start for the export)
// to when it finished, or to now when it has not.
type tlBar struct {
	Label, Lag, Class, Title string
	Y, X, W, TextY           int
}

type tlDump struct {
	Dump
	Height       int
	Bars         []tlBar
	From, To     string
	AxisY, Width int
	LabelW       int
	NowX         int
}

type pageData struct {
	*Report
	Generated string
	MaxLag    string
	Counts    map[string]int
	Timelines []tlDump
}

// WriteHTML writes the report as one self-contained HTML page: the table
// WriteText prints, and a timeline per dump of its stages, coloured by
// state (behind in red), with a legend.
func WriteHTML(w io.Writer, r *Report) error {
	data := pageData{Report: r, Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"), Counts: map[string]int{}}
	if r.MaxLagSeconds > 0 {
		data.MaxLag = report.HumanDuration(time.Duration(r.MaxLagSeconds * float64(time.Second)))
	}
	for _, d := range r.Dumps {
		if d.Behind {
			data.Counts["behind"]++
		} else {
			data.Counts["ok"]++
		}
		data.Timelines = append(data.Timelines, timeline(d, r.GeneratedAt))
	}
	return page.Execute(w, data)
}

// timeline lays out one dump's stages on a common time axis from the
// export's start to now (or the last stage's end, if later).
func timeline(d Dump, now time.Time) tlDump {
	start := now
	end := now
	for _, s := range d.Stages {
		if s.Started != nil && s.Started.Before(start) {
			start = *s.Started
		}
		if s.At != nil && s.At.After(end) {
			end = *s.At
		}
	}
	if d.Exported != nil && d.Exported.Before(start) {
		start = *d.Exported
	}
	span := end.Sub(start)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) int {
		return tlLabel + int(float64(tlWidth-tlLabel-tlRight)*float64(t.Sub(start))/float64(span))
	}
	tl := tlDump{Dump: d, From: start.UTC().Format("2006-01-02 15:04:05"), To: end.UTC().Format("2006-01-02 15:04:05"),
		AxisY: tlTop - 6, Width: tlWidth, LabelW: tlLabel, NowX: x(now)}
	for i, s := range d.Stages {
		from := start
		switch {
		case s.Stage == StageExport && s.Started != nil:
			from = *s.Started
		case d.Exported != nil:
			from = *d.Exported
		}
		to := now
		if s.At != nil {
			to = *s.At
		}
		bx, bw := x(from), x(to)-x(from)
		if bw < tlBarMin {
			bw = tlBarMin
		}
		y := tlTop + i*tlRow
		tl.Bars = append(tl.Bars, tlBar{
			Label: s.Stage + " " + short(place(s.Where), 30), Lag: LagText(s), Class: stateClass(s),
			Title: fmt.Sprintf("%s %s: %s, %s", s.Stage, s.Where, s.State, LagText(s)),
			Y:     y + 4, X: bx, W: bw, TextY: y + 15,
		})
	}
	tl.Height = tlTop + len(d.Stages)*tlRow + 6
	return tl
}

// place shortens a root URL for the table: without its query (the
// endpoint and region, listed in full at the top of the page).
func place(where string) string {
	if where == "" {
		return "-"
	}
	base, _, _ := strings.Cut(where, "?")
	return base
}

// stateClass is the CSS class that colours a stage.
func stateClass(s Stage) string {
	switch {
	case s.Behind:
		return "behind"
	case s.State == StateDone:
		return "ok"
	case s.State == StateRunning:
		return "running"
	case s.State == StateSkipped, s.State == StateSuperseded:
		return "skipped"
	}
	return "pending"
}

func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}
