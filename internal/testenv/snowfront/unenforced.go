package snowfront

import (
	"encoding/json"
	"regexp"
)

// Snowflake records a table's PRIMARY KEY but does not enforce it: two
// rows of one key are both kept. DuckDB, under fakesnow, enforces it, and
// so would refuse the very duplicates a loader's tests must be able to
// see (a COPY landing rows again would fail instead of doubling them).
// The front drops the PRIMARY KEY clause of CREATE TABLE before fakesnow
// sees it; NOT NULL, which Snowflake enforces, stays.

var (
	createTableRE = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|TRANSIENT)\s+)?TABLE\s`)
	primaryKeyRE  = regexp.MustCompile(`(?is),\s*PRIMARY\s+KEY\s*\((?:[^()'"]|"(?:[^"]|"")*")*\)`)
)

// unenforced returns the request body with the statement's PRIMARY KEY
// clause dropped, and whether it changed anything.
func unenforced(body []byte, q string) ([]byte, bool) {
	if !createTableRE.MatchString(q) || !primaryKeyRE.MatchString(q) {
		return body, false
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		return body, false
	}
	req["sqlText"] = primaryKeyRE.ReplaceAllString(q, "")
	out, err := json.Marshal(req)
	if err != nil {
		return body, false
	}
	return out, true
}
