package urlquery

import (
	"slices"
	"strings"
	"testing"
)

func TestParams(t *testing.T) {
	names, values, err := Params("b=2&a=1&c=")
	if err != nil || !slices.Equal(names, []string{"a", "b", "c"}) || values["a"] != "1" || values["b"] != "2" || values["c"] != "" {
		t.Errorf("Params: %v %v %v", names, values, err)
	}
	for q, want := range map[string]string{"a=1&a=2": `parameter "a" given 2 times`, "a=%zz": `query "a=%zz"`} {
		if _, _, err := Params(q); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Params(%q): %v, want %q", q, err, want)
		}
	}
}
