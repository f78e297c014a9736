package export

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
)

// A multi-table run exits with the worst of its tables' codes: a failed
// verification (3) over bad usage (2) over a retryable failure (1).
func TestTablesErrorWorstCode(t *testing.T) {
	retry := errors.New("ks.a: timeout")
	usage := fault.Usagef("ks.b: --columns: no such column")
	verify := fault.Verifyf("ks.c: batch marker lists other dumps")
	for _, tc := range []struct {
		errs []error
		want int
	}{
		{[]error{retry}, fault.ExitRetry},
		{[]error{retry, usage}, fault.ExitUsage},
		{[]error{usage, retry}, fault.ExitUsage},
		{[]error{retry, verify, usage}, fault.ExitVerify},
	} {
		err := error(&TablesError{Errs: tc.errs, Failed: len(tc.errs), Total: 4})
		if got := fault.Code(err); got != tc.want {
			t.Errorf("%v: exit %d, want %d", err, got, tc.want)
		}
		if !strings.Contains(err.Error(), "of 4 tables failed") {
			t.Errorf("message %q", err)
		}
	}
}

func TestTablePatterns(t *testing.T) {
	got, err := ParseTablePatterns([]string{"shop.*, crm.users", "shop.*", ""})
	if err != nil || !slices.Equal(got, []string{"shop.*", "crm.users"}) {
		t.Fatalf("ParseTablePatterns = %q, %v", got, err)
	}
	if _, err := ParseTablePatterns([]string{"shop.[a"}); !fault.IsUsage(err) || !strings.Contains(err.Error(), `"shop.[a"`) {
		t.Fatalf("bad pattern: %v", err)
	}
	got, err = ReadTablesFile(strings.NewReader("# nightly\nshop.*\n\n  crm.users  # the CRM\n"), "t.txt")
	if err != nil || !slices.Equal(got, []string{"shop.*", "crm.users"}) {
		t.Fatalf("ReadTablesFile = %q, %v", got, err)
	}
	for _, in := range []string{"# nothing\n\n", "a.b,c.d\n"} {
		if _, err := ReadTablesFile(strings.NewReader(in), "t.txt"); !fault.IsUsage(err) || !strings.Contains(err.Error(), "t.txt") {
			t.Errorf("ReadTablesFile(%q): %v, want a usage error naming the file", in, err)
		}
	}
	if _, err := (Config{Source: "cassandra://h", Table: "a.b", Tables: []string{"a.*"}, Dest: "file:///x"}).withDefaults(); !fault.IsUsage(err) {
		t.Errorf("--table with --tables: %v", err)
	}
}
