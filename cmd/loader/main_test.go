package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/load"
)

// A verification that did not run says why on the summary line, so that
// it never reads like one that passed.
func TestSummarySaysWhyVerifySkipped(t *testing.T) {
	var out bytes.Buffer
	res := load.Result{Dumps: []load.DumpResult{
		{Dump: "b/ks.t/20260101T000000Z", Outcome: "loaded", Target: "x:c/n.t",
			Verify: load.VerifyResult{Mode: load.VerifyFull, Result: "skipped", Detail: "--verify full: x:c/n.t cannot read rows back for comparison"}},
		{Dump: "b/ks.u/20260101T000000Z", Outcome: "loaded", Target: "x:c/n.u",
			Verify: load.VerifyResult{Mode: load.VerifyCount, Result: "passed"}},
	}}
	printResult(&cli.Runtime{Stdout: &out}, load.Options{}, res)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("summary:\n%s", out.String())
	}
	if !strings.HasSuffix(lines[0], "verify full: skipped (--verify full: x:c/n.t cannot read rows back for comparison)") {
		t.Errorf("skipped verification without its reason: %s", lines[0])
	}
	if !strings.HasSuffix(lines[1], "verify count: passed") {
		t.Errorf("passed verification: %s", lines[1])
	}
}
