package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

func TestPlanKeyUnits(t *testing.T) {
	units := planKeyUnits(2500, 1000)
	if len(units) != 3 || units[0].ID != manifest.KeyUnitID(0) || units[1].FirstKey != 1000 || units[2].Keys != 500 {
		t.Fatalf("units %+v", units)
	}
	for i := 1; i < len(units); i++ {
		if units[i].ID <= units[i-1].ID {
			t.Errorf("unit IDs out of order: %s after %s", units[i].ID, units[i-1].ID)
		}
	}
	if u := planKeyUnits(1000, 1000); len(u) != 1 || u[0].Keys != 1000 {
		t.Errorf("1000 keys by 1000: %+v", u)
	}
}

func TestConfigKeysAndThrottle(t *testing.T) {
	base := Config{Source: "cassandra://127.0.0.1", Table: "ks.t", Dest: "file:///tmp/x"}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"keys with splits", func(c *Config) { c.Keys, c.Splits = "k.csv", 10 }, "--splits"},
		{"stdin without input", func(c *Config) { c.Keys = "-" }, "standard input"},
		{"keys per unit", func(c *Config) { c.KeysPerUnit = -1 }, "--keys-per-unit"},
		{"target latency", func(c *Config) { c.TargetLatency = -1 }, "--target-latency"},
		{"retry for", func(c *Config) { c.RetryFor = -1 }, "--retry-for"},
		{"adaptive signal", func(c *Config) { c.AdaptiveSignal = "foreground" }, "--adaptive-signal"},
		{"probe ratio", func(c *Config) { c.ProbeRatio = 0.9 }, "--probe-ratio"},
	} {
		c := base
		tc.mod(&c)
		if _, err := c.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) || !fault.IsUsage(err) {
			t.Errorf("%s: %v, want a usage error naming %s", tc.name, err, tc.want)
		}
	}
	c, err := base.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeysPerUnit != DefaultKeysPerUnit {
		t.Errorf("KeysPerUnit default %d", c.KeysPerUnit)
	}
	for _, tc := range []struct {
		parallel, maxInflight int
		fixed                 bool
		wantMin, wantMax, ini int
	}{
		{4, 0, false, 1, 4, 1},
		{16, 0, false, 1, 16, 4},
		{16, 6, false, 1, 6, 2},
		{4, 64, false, 1, 4, 1},
		{8, 0, true, 8, 8, 8},
		{8, 3, true, 3, 3, 3},
	} {
		c := Config{Parallel: tc.parallel, MaxInflight: tc.maxInflight, NoAdaptive: tc.fixed}
		tcfg := c.throttleConfig()
		if tcfg.Min != tc.wantMin || tcfg.Max != tc.wantMax || tcfg.Initial != tc.ini {
			t.Errorf("parallel %d max-inflight %d fixed %v: min %d max %d initial %d, want %d %d %d",
				tc.parallel, tc.maxInflight, tc.fixed, tcfg.Min, tcfg.Max, tcfg.Initial, tc.wantMin, tc.wantMax, tc.ini)
		}
		if !tc.fixed && (tcfg.TargetFloor != TargetLatencyFloor || tcfg.MinDuty != AdaptiveMinDuty || tcfg.DecideInterval != AdaptiveDecideEvery) {
			t.Errorf("adaptive floor %s, min duty %v, decisions every %s", tcfg.TargetFloor, tcfg.MinDuty, tcfg.DecideInterval)
		}
		if tc.fixed && tcfg.MinDuty != 0 {
			t.Errorf("fixed: min duty %v", tcfg.MinDuty)
		}
	}
}

func TestReadStoredKeys(t *testing.T) {
	data := joinLines([][]byte{[]byte(`{"k":"a"}`), []byte(`{"k":"b"}`)})
	sha := sha256Hex(data)
	if lines, err := readStoredKeys(data, sha, 2); err != nil || len(lines) != 2 {
		t.Fatalf("readStoredKeys: %d lines, %v", len(lines), err)
	}
	for _, bad := range []struct {
		data  []byte
		sha   string
		count int64
	}{
		{data, sha, 3},
		{append(bytes.Clone(data), "{}\n"...), sha, 2},
		{data[:len(data)-1], sha256Hex(data[:len(data)-1]), 2},
	} {
		if _, err := readStoredKeys(bad.data, bad.sha, bad.count); err == nil || !fault.IsVerify(err) {
			t.Errorf("readStoredKeys(%d bytes, count %d): %v, want a verification error", len(bad.data), bad.count, err)
		}
	}
}
