package load

import (
	"strings"
	"testing"
)

// --map takes a DynamoDB table whose name holds '-' and '.' as its
// source (the name after "dynamodb." is the table's, dots and all), and
// refuses a target name that is not an identifier, naming it.
func TestParseTableMapDynamoDBNames(t *testing.T) {
	m, err := parseTableMap([]string{"dynamodb.orders-eu.v2=orders_eu_v2", "ks.t=t2"})
	if err != nil || m["dynamodb.orders-eu.v2"] != "orders_eu_v2" || m["ks.t"] != "t2" || len(m) != 2 {
		t.Fatalf("parseTableMap: %v, %v", m, err)
	}
	for _, bad := range []string{"dynamodb.orders-eu.v2=orders-eu", "ks.or-ders=t", "dynamodb.a/b=t"} {
		src, dst, _ := strings.Cut(bad, "=")
		if _, err := parseTableMap([]string{bad}); err == nil || !strings.Contains(err.Error(), src) && !strings.Contains(err.Error(), dst) {
			t.Errorf("parseTableMap(%q): %v, want an error naming it", bad, err)
		}
	}
	l := &Loader{opts: Options{tableMap: m}}
	if got := l.targetTableName("dynamodb.orders-eu.v2"); got != "orders_eu_v2" {
		t.Errorf("targetTableName = %q", got)
	}
	if got := (&Loader{}).targetTableName("dynamodb.orders-eu.v2"); got != "orders-eu.v2" {
		t.Errorf("targetTableName without --map = %q, want the DynamoDB name", got)
	}
}
