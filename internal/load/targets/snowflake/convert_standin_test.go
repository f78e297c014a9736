package snowflake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStandInConversions runs the COPY transformation's expressions on the
// stand-in over dump lines written as docs/format.md specifies, as
// INSERT … SELECT <conversions> FROM (SELECT PARSE_JSON(line)): the stand-in
// has no COPY INTO, so this checks the expressions, not COPY itself. Every
// value is read back through gosnowflake and compared exactly. The varint
// stays within int64: the stand-in (DuckDB) reads a larger JSON integer as
// INT64 and fails (README.md).
func TestStandInConversions(t *testing.T) {
	db := standIn(t)
	dbName := fmt.Sprintf("LADING_C%d", time.Now().UnixNano())
	exec(t, db, "CREATE DATABASE "+quoteIdent(dbName))
	exec(t, db, "CREATE SCHEMA "+quoteIdent(dbName)+"."+quoteIdent("RAW"))
	cols, err := columns(everyType(t), true, true)
	if err != nil {
		t.Fatal(err)
	}
	target := tableName{dbName, "RAW", "orders"}
	exec(t, db, createTableSQL(target, cols, ""))
	t.Cleanup(func() { db.Exec(dropSQL(target)) })

	line := `{"id":9223372036854775807,"ck":"héllo \"wörld\"\n","a_ascii":"abc","a_blob":"0xcafe00","a_bool":true,` +
		`"a_date":"2026-11-22","a_decimal":"1.50","a_double":0.1,"a_duration":"1y2mo25d5h6m7s8ms9us10ns","a_float":-2.5,` +
		`"a_inet":"2001:db8::1","a_int":-2147483648,"a_list":[3,1,2],"a_map":[[-2,"minus two"],[1,"one"]],"a_set":["a","b"],` +
		`"a_smallint":-32768,"a_time":"23:59:59.999999999","a_timestamp":"2026-11-22T15:45:30.123Z",` +
		`"a_timeuuid":"d2177dd0-eaa2-11de-a572-001b779c76e3","a_tinyint":-128,"a_tuple":[1,"x",null],` +
		`"a_udt":{"street":"1 Main St","zip":null},"a_uuid":"123e4567-e89b-42d3-a456-426614174000",` +
		`"a_varint":-9223372036854775808,"a_vector":[1,-0.5,2],"Odd \"Name\"":"odd",` +
		`"_writetime":{"a_int":1700000000000000},"_ttl":{"a_int":3600}}`
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.Name)
	}
	exec(t, db, "INSERT INTO "+target.String()+" ("+strings.Join(names, ", ")+") SELECT "+
		strings.Join(conversions(cols, "v"), ", ")+" FROM (SELECT PARSE_JSON(?) AS v)", line)

	// Read every column back as text, in a form both sides agree on.
	sel := []string{
		`"id"::VARCHAR`, `"ck"`, `"a_ascii"`, `HEX_ENCODE("a_blob")`, `"a_bool"::VARCHAR`, `TO_VARCHAR("a_date", 'YYYY-MM-DD')`,
		`"a_decimal"`, `"a_double"::VARCHAR`, `"a_duration"`, `"a_float"::VARCHAR`, `"a_inet"`, `"a_int"::VARCHAR`,
		`"a_smallint"::VARCHAR`, `"a_time"`, `DATE_PART(EPOCH_MILLISECOND, "a_timestamp")::VARCHAR`, `"a_timeuuid"`,
		`"a_tinyint"::VARCHAR`, `"a_uuid"`, `"a_varint"::VARCHAR`, `"Odd ""Name"""`,
	}
	want := []string{
		"9223372036854775807", "héllo \"wörld\"\n", "abc", "CAFE00", "true", "2026-11-22",
		"1.50", "0.1", "1y2mo25d5h6m7s8ms9us10ns", "-2.5", "2001:db8::1", "-2147483648",
		"-32768", "23:59:59.999999999", "1795362330123", "d2177dd0-eaa2-11de-a572-001b779c76e3",
		"-128", "123e4567-e89b-42d3-a456-426614174000", "-9223372036854775808", "odd",
	}
	for i, expr := range sel {
		var got string
		if err := db.QueryRow("SELECT " + expr + " FROM " + target.String()).Scan(&got); err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if got != want[i] && !(strings.HasPrefix(expr, "HEX") && strings.EqualFold(got, want[i])) {
			t.Errorf("%s = %q, want %q", expr, got, want[i])
		}
	}

	// VARIANT columns hold the dump's JSON: compared as JSON values.
	var src map[string]any
	if err := json.Unmarshal([]byte(line), &src); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a_list", "a_map", "a_set", "a_tuple", "a_udt", "a_vector", "_writetime", "_ttl"} {
		var text string
		if err := db.QueryRow("SELECT " + quoteIdent(name) + " FROM " + target.String()).Scan(&text); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got any
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Errorf("%s: %q is not JSON: %v", name, text, err)
			continue
		}
		if !reflect.DeepEqual(got, src[name]) {
			t.Errorf("%s = %s, want %v", name, text, src[name])
		}
	}
}
