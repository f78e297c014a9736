package cli

import (
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/pkg/objstore"
)

// ReportsDir is where run reports are kept beside a dump's state:
// <dump>/_state/reports/<command>-<time>-<host>.json.
const ReportsDir = "_state/reports"

// reportWriteTimeout bounds writing the report beside one dump's state.
const reportWriteTimeout = 30 * time.Second

// writeBucketReports writes the finished run report beside the state of
// every dump the command recorded with DumpDone, so it outlives the pod.
// A report that cannot be written is a warning, not a failure: the work
// it describes is done (or failed) either way, and the dump's own state
// says so. A dump refused with exit 2 or 3 gets none.
func (a *App) writeBucketReports(rt *Runtime, dumps []DumpOutcome) {
	b, err := rt.Run.MarshalJSON()
	if err != nil {
		rt.Logger.Warn("run report not written to the store", "err", err.Error())
		return
	}
	b = append(redact.JSONStrings(b, a.secrets.Scrub), '\n')
	name := reportName(a.name, finishedAt(rt.Run), hostname())
	done := map[string]bool{}
	for _, d := range dumps {
		if d.Store == "" || d.Dump == "" || done[d.Store+"\x00"+d.Dump] {
			continue
		}
		if d.Err != nil && fault.Code(d.Err) != fault.ExitRetry {
			// Refused (exit 2) or failed verification (exit 3): the
			// store stays untouched, as every refusal leaves it; the
			// report is in --report and the notification.
			continue
		}
		done[d.Store+"\x00"+d.Dump] = true
		where, err := writeReportBeside(d.Store, d.Dump, name, b)
		if err != nil {
			rt.Logger.Warn("run report not written to the store", "dump", d.Dump, "err", err.Error())
			continue
		}
		rt.Logger.Info("run report written", "dump", d.Dump, "report", where)
	}
}

// writeReportBeside writes data as <dump>/_state/reports/<name> in the
// store at storeURL, which is the root above the dump or the dump's own
// prefix. It returns the report's location, safe to print.
func writeReportBeside(storeURL, dump, name string, data []byte) (string, error) {
	ctx, cancel := bounded(reportWriteTimeout)
	defer cancel()
	loc, err := objstore.ParseURL(storeURL)
	if err != nil {
		return "", err
	}
	key := dump + "/" + ReportsDir + "/" + name
	if loc.Prefix == dump || strings.HasSuffix(loc.Prefix, "/"+dump) {
		key = ReportsDir + "/" + name
	}
	bkt, err := objstore.OpenLocation(ctx, loc)
	if err != nil {
		return "", err
	}
	defer bkt.Close()
	if _, err := bkt.WriteAll(ctx, key, data, &objstore.WriterOptions{ContentType: "application/json"}); err != nil {
		return "", err
	}
	return loc.Join(key).String(), nil
}
