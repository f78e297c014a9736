package status

import (
	"strings"
	"testing"
	"time"
)

func TestLoadedName(t *testing.T) {
	tables := map[string]bool{"ks.a": true, "ks.a.b": false, "shop.orders": true}
	tests := []struct {
		name, want string
	}{
		{"20261206T010203Z.2026-12-06.ks.a.json", "2026-12-06/ks.a/20261206T010203Z"},
		{"20261206T010203Z.v1.2.shop.orders.json", "v1.2/shop.orders/20261206T010203Z"},
		{"20261206T010203Z.b1.other.t.json", ""},
		{"20261206T010203Z.json", ""},
		{"garbage", ""},
	}
	for _, tc := range tests {
		d, ok := loadedName(tc.name, tables)
		if got := map[bool]string{true: d.Prefix}[ok]; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTargetMatches(t *testing.T) {
	tests := []struct {
		url, label string
		want       bool
	}{
		{"cassandra://10.0.0.1:9042/shop", "cassandra:prod/shop.orders", true},
		{"cassandra://10.0.0.1:9042/shop", "cassandra:prod/crm.users", false},
		{"cassandra://10.0.0.1:9042/", "cassandra:prod/crm.users", true},
		{"spanner://projects/p/instances/i/databases/d", "spanner:projects/p/instances/i/d.orders", true},
		{"spanner://projects/p/instances/j/databases/d", "spanner:projects/p/instances/i/d.orders", false},
		{"bigtable://p/i?family=cf", "bigtable:p/i/cf.orders", true},
		{"bigtable://p/other?family=cf", "bigtable:p/i/cf.orders", false},
		{"cassandra://h/shop", "spanner:projects/p/instances/i/shop.orders", false},
	}
	for _, tc := range tests {
		tu, err := parseTarget(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if got := (&target{label: tc.label}).matches(tu); got != tc.want {
			t.Errorf("%s matches %s: %v, want %v", tc.url, tc.label, got, tc.want)
		}
	}
	if _, err := parseTarget("cassandra://user:hunter2@"); err == nil {
		t.Error("a URL without host accepted")
	} else if msg := err.Error(); strings.Contains(msg, "hunter2") {
		t.Errorf("the error quotes a secret: %s", msg)
	}
}

func TestBehind(t *testing.T) {
	b := &builder{cfg: Config{MaxLag: time.Hour}}
	at := time.Now()
	tests := []struct {
		s    Stage
		want bool
	}{
		{Stage{Stage: StageShip, State: StatePending, LagSeconds: 7200}, true},
		{Stage{Stage: StageShip, State: StatePending, LagSeconds: 60}, false},
		{Stage{Stage: StageShip, State: StateDone, At: &at, LagSeconds: 7200}, false},
		{Stage{Stage: StageLoad, State: StateSuperseded, LagSeconds: 7200}, false},
		{Stage{Stage: StageLoad, State: StateRunning, LagSeconds: 7200}, true},
		{Stage{Stage: StageVerify, State: StatePending, LagSeconds: 7200}, false},
		{Stage{Stage: StageVerify, State: StateFailed, LagSeconds: 1}, true},
		{Stage{Stage: StageExport, State: StateStale, LagSeconds: 7200}, true},
	}
	for _, tc := range tests {
		if got := b.behind(&tc.s); got != tc.want {
			t.Errorf("%+v: behind %v, want %v", tc.s, got, tc.want)
		}
	}
	b.cfg.MaxLag = 0
	if b.behind(&Stage{Stage: StageShip, State: StatePending, LagSeconds: 1e9}) {
		t.Error("behind without --max-lag")
	}
}

func TestLagText(t *testing.T) {
	at := time.Now()
	tests := []struct {
		s    Stage
		want string
	}{
		{Stage{Stage: StageExport, State: StateDone, At: &at, LagSeconds: 90}, "took 1m30s"},
		{Stage{Stage: StageExport, State: StateRunning, LagSeconds: 90}, "running 1m30s"},
		{Stage{Stage: StageShip, State: StateDone, At: &at, LagSeconds: 90}, "+1m30s"},
		{Stage{Stage: StageVerify, State: StateDone, LagSeconds: 90}, "+1m30s"}, // an old record without a time
		{Stage{Stage: StageLoad, State: StatePending, LagSeconds: 90}, "waiting 1m30s"},
		{Stage{Stage: StageLoad, State: StateSuperseded, LagSeconds: 90}, "-"},
	}
	for _, tc := range tests {
		if got := LagText(tc.s); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
