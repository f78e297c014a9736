package export

import (
	"context"
	"log/slog"
	"time"

	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
)

// TrafficPoll is how often an adaptive export (--adaptive-signal auto)
// counts the source's other clients' requests (two small queries per
// node): with none, it runs at the full budget (throttle.Controller.SetAlone).
const TrafficPoll = time.Second

// trafficWatch tells the adaptive controller whether the source has
// other clients, from the rise of their request counts between polls.
// The first count is read before the probes' baseline, so the first
// verdict comes before the export's first page.
type trafficWatch struct {
	ctx     context.Context
	r       source.TrafficReporter
	except  string // the table whose reads are the export's own
	logger  *slog.Logger
	traffic throttle.Traffic
}

// newTrafficWatch reads the first counts, or returns nil where the
// source does not count its other clients' requests. ownReads names the
// table ("keyspace.table") whose point reads are the export's own (a
// key-list export), left out of the counts; "" for a range export.
func newTrafficWatch(ctx context.Context, src source.Source, ownReads string, logger *slog.Logger) *trafficWatch {
	r, ok := src.(source.TrafficReporter)
	if !ok {
		return nil
	}
	t := &trafficWatch{ctx: ctx, r: r, except: ownReads, logger: logger}
	if err := t.poll(nil); err != nil {
		logger.Info("the source's other clients cannot be counted: the export assumes they are there", "reason", err.Error())
		return nil
	}
	return t
}

// poll reads the counts and tells gate (when not nil) the verdict.
func (t *trafficWatch) poll(gate *throttle.Controller) error {
	ctx, cancel := context.WithTimeout(t.ctx, 2*TrafficPoll)
	defer cancel()
	counts, err := t.r.ClientRequests(ctx, t.except)
	if err != nil {
		return err
	}
	present, known, reason := t.traffic.Observe(time.Now(), counts)
	if gate != nil && known {
		gate.SetAlone(!present, reason)
	}
	return nil
}

// ownReads names the table whose point reads are the export's own: a
// key-list export's table, "" for a range export.
func (x *exporter) ownReads() string {
	if x.plan.Options.Mode != manifest.ModeKeys {
		return ""
	}
	return x.live.Table.Keyspace + "." + x.live.Table.Name
}
