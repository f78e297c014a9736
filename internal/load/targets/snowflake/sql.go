package snowflake

import (
	"fmt"
	"strings"
)

// maxFilesPerCopy is Snowflake's limit on the FILES list of one COPY.
const maxFilesPerCopy = 1000

// tableName is a fully qualified, quoted table name.
type tableName struct{ DB, Schema, Table string }

func (n tableName) String() string {
	if n.DB == "" && n.Schema == "" {
		// A temporary table of the session, in its current schema (the
		// stand-in refuses a qualified temporary table name).
		return quoteIdent(n.Table)
	}
	return quoteIdent(n.DB) + "." + quoteIdent(n.Schema) + "." + quoteIdent(n.Table)
}

// incarnationPrefix starts the COMMENT of a table the loader created:
// the rest is the table's incarnation id.
const incarnationPrefix = "lading incarnation "

// createTableSQL creates the target table from the dump's columns; key
// columns are NOT NULL and named in PRIMARY KEY (which Snowflake records
// but does not enforce: the MERGE on the key is what keeps rows unique).
// The COMMENT holds the incarnation id inc (none when inc is "").
func createTableSQL(t tableName, cols []column, inc string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + t.String() + " (")
	var keys []string
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name) + " " + c.Type.DDL)
		if c.Key {
			b.WriteString(" NOT NULL")
			keys = append(keys, quoteIdent(c.Name))
		}
	}
	if len(keys) > 0 {
		b.WriteString(", PRIMARY KEY (" + strings.Join(keys, ", ") + ")")
	}
	b.WriteString(")")
	if inc != "" {
		b.WriteString(" COMMENT = " + quoteString(incarnationPrefix+inc))
	}
	return b.String()
}

// createStageSQL creates an external stage over the dump's prefix (url is
// s3://bucket/prefix/ or gcs://bucket/prefix/) with a storage integration.
func createStageSQL(stage tableName, url, integration string) string {
	return "CREATE STAGE IF NOT EXISTS " + stage.String() +
		" URL = " + quoteString(url) +
		" STORAGE_INTEGRATION = " + quoteIdent(integration)
}

// createTempStageSQL creates the temporary internal stage PUT fills for
// dumps no external stage can reach (file://).
func createTempStageSQL(stage tableName) string {
	return "CREATE TEMPORARY STAGE IF NOT EXISTS " + stage.String()
}

// putSQL uploads one local part to the internal stage as is (the parts
// are compressed already; AUTO_COMPRESS would compress them again).
func putSQL(localPath string, stage string) string {
	return "PUT " + quoteString("file://"+localPath) + " " + stage +
		" AUTO_COMPRESS = FALSE OVERWRITE = TRUE"
}

// fileFormat is the JSON file format of the dump's parts by compression
// ("zstd", "gzip" or "none").
func fileFormat(compression string) (string, error) {
	c := map[string]string{"zstd": "ZSTD", "gzip": "GZIP", "none": "NONE"}[compression]
	if c == "" {
		return "", fmt.Errorf("compression %q: Snowflake reads zstd, gzip or none", compression)
	}
	return "FILE_FORMAT = (TYPE = JSON COMPRESSION = " + c + ")", nil
}

// onError maps --max-rejects: 0 aborts the COPY at the first bad row;
// otherwise bad rows are skipped (CONTINUE) and the loader sums the errors
// COPY reports against the limit.
func onError(maxRejects int64) string {
	if maxRejects == 0 {
		return "ON_ERROR = ABORT_STATEMENT"
	}
	return "ON_ERROR = CONTINUE"
}

// copySQL is one COPY INTO of the given files, read from a stage
// reference (from: @stage or @stage/path/ to the dump), (at most maxFilesPerCopy)
// with the transformation query that converts the dump's JSON into the
// target's types. FORCE = TRUE: the loader's ledger, not Snowflake's
// 64-day load metadata, decides what is loaded.
func copySQL(into tableName, cols []column, from string, files []string, format, onErr string) (string, error) {
	if len(files) == 0 || len(files) > maxFilesPerCopy {
		return "", fmt.Errorf("COPY of %d files: want 1 to %d", len(files), maxFilesPerCopy)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.Name)
	}
	exprs := conversions(cols, "$1")
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = quoteString(f)
	}
	return "COPY INTO " + into.String() + " (" + strings.Join(names, ", ") + ")" +
		" FROM (SELECT " + strings.Join(exprs, ", ") + " FROM " + from + ")" +
		" FILES = (" + strings.Join(quoted, ", ") + ") " + format + " " + onErr + " FORCE = TRUE", nil
}

// conversions are the transformation query's expressions: each column
// read from the row's JSON object src ($1 in a COPY) and converted.
func conversions(cols []column, src string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Type.conv(src + ":" + quoteIdent(c.Name))
	}
	return out
}

// fileGroups splits the parts into COPY-sized groups, in order.
func fileGroups(files []string) [][]string {
	var out [][]string
	for len(files) > 0 {
		n := min(len(files), maxFilesPerCopy)
		out = append(out, files[:n])
		files = files[n:]
	}
	return out
}

// createStagingSQL creates the transient staging table a load into a
// table that has rows COPYs into before its one MERGE.
func createStagingSQL(staging, target tableName) string {
	return "CREATE OR REPLACE TRANSIENT TABLE " + staging.String() + " LIKE " + target.String()
}

// mergeSQL merges the staging table into the target on the key: one
// statement for the whole dump (a MERGE per COPY group would rescan the
// target each time).
func mergeSQL(target, staging tableName, cols []column) string {
	var on, set, names, vals []string
	for _, c := range cols {
		q := quoteIdent(c.Name)
		names = append(names, q)
		vals = append(vals, "s."+q)
		if c.Key {
			on = append(on, "t."+q+" = s."+q)
		} else {
			set = append(set, "t."+q+" = s."+q)
		}
	}
	var b strings.Builder
	b.WriteString("MERGE INTO " + target.String() + " AS t USING " + staging.String() + " AS s ON " + strings.Join(on, " AND "))
	if len(set) > 0 {
		b.WriteString(" WHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", "))
	}
	b.WriteString(" WHEN NOT MATCHED THEN INSERT (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")")
	return b.String()
}

// dropSQL drops a table if it exists (the staging table after the MERGE).
func dropSQL(t tableName) string { return "DROP TABLE IF EXISTS " + t.String() }

// countSQL counts the target's rows for --verify count.
func countSQL(t tableName) string { return "SELECT COUNT(*) FROM " + t.String() }

// swapSQL swaps two tables' contents and names in one statement (what a
// load into a fresh table then swapped in would issue).
func swapSQL(a, b tableName) string { return "ALTER TABLE " + a.String() + " SWAP WITH " + b.String() }

// emptySQL finds one row, if any.
func emptySQL(t tableName) string { return "SELECT 1 FROM " + t.String() + " LIMIT 1" }
