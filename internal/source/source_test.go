package source_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
)

// A test scheme of this package's own: the real sources register from
// their packages, which this test does not import.
func init() {
	source.Register("testsrc", source.Backend{
		Check: func(raw, table string) (string, error) { return "ks." + table, nil },
		Open: func(context.Context, string, source.Options) (source.Source, error) {
			return nil, fault.Usagef("testsrc opens nothing")
		},
	})
}

// The scheme of --source picks the backend; an unknown scheme, or no
// scheme, is a usage error (exit 2) naming the known ones, with the
// URL's password redacted.
func TestRegistryByScheme(t *testing.T) {
	if got, err := source.Check("testsrc://x", "t"); err != nil || got != "ks.t" {
		t.Fatalf("Check(testsrc://x) = %q, %v", got, err)
	}
	if _, err := source.Open(context.Background(), "testsrc://x", source.Options{}); err == nil || !strings.Contains(err.Error(), "testsrc opens nothing") {
		t.Fatalf("Open(testsrc://x): %v, want the backend's own error", err)
	}
	for _, raw := range []string{"mongodb://u:hunter2@h/db", "h:9042", ""} {
		_, err := source.Check(raw, "t")
		if err == nil || fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), "testsrc") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Check(%q): %v (exit %d), want exit 2 naming the known schemes, no password", raw, err, fault.Code(err))
		}
		if _, err := source.Open(context.Background(), raw, source.Options{}); err == nil || fault.Code(err) != fault.ExitUsage {
			t.Errorf("Open(%q): %v, want exit 2", raw, err)
		}
	}
	if !strings.Contains(strings.Join(source.Schemes(), ","), "testsrc") {
		t.Errorf("Schemes() = %v, want testsrc among them", source.Schemes())
	}
}

// A scheme registered twice panics: two backends must not share one.
func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a second Register of testsrc did not panic")
		}
	}()
	source.Register("testsrc", source.Backend{})
}
