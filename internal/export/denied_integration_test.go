package export_test

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/cqldeny"
)

// A user without SELECT on the table gets Cassandra's Unauthorized on
// every read: the export stops at once with exit 2 (retrying cannot
// help), without retrying page after page, and completes no dump.
func TestUnauthorizedTableIsDenied(t *testing.T) {
	s := cqltest.Session(t)
	ks, _ := kvTable(t, s, 50, 2, 0)
	upstream := strings.Split(testenv.CassandraHosts(t), ",")[0]
	via := netip.MustParseAddrPort(cqldeny.StartUnauthorized(t, upstream, ks+".kv"))
	cfg := export.Config{
		Source: "cassandra://" + via.String() + "/", Table: ks + ".kv", Dest: fileDest(t), Batch: "denied",
		Splits: 4, Parallel: 2,
		TranslateAddress: func(netip.AddrPort) netip.AddrPort { return via },
	}
	run := report.New("exporter")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	res, err := export.Run(ctx, cfg, slog.New(slog.NewTextHandler(testLog{t}, nil)), run)
	if err == nil || res.Complete || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("export of a table the user may not read: err %v, complete %v", err, res.Complete)
	}
	if code := fault.Code(err); code != fault.ExitUsage || !fault.IsDenied(err) {
		t.Fatalf("exit %d (denied %v), want 2: %v", code, fault.IsDenied(err), err)
	}
	if r := run.Counter("retries"); r != 0 || time.Since(begin) > 30*time.Second {
		t.Fatalf("%d retries, %s: a refusal is not worth retrying", r, time.Since(begin))
	}
	t.Logf("%v", err)
}
