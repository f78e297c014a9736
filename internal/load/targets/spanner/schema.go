package spanner

import (
	"fmt"
	"strings"

	"github.com/lading-dev/lading/pkg/schema"
)

// ddlTable is a CREATE TABLE statement as the database prints it.
type ddlTable struct {
	name    string
	cols    map[string]ddlColumn // by lower-case name (Spanner names are case-insensitive)
	pk      []keyPart
	nonNull map[string]bool
}

type ddlColumn struct {
	name, typ string // typ normalized
}

type keyPart struct {
	name string
	desc bool
}

func unquote(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }

// splitTop splits s at commas outside parentheses and angle brackets.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '<':
			depth++
		case ')', '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseCreateTable parses the statement when it creates a table; it
// tolerates both the formatting of Spanner and that of spannertest.
func parseCreateTable(stmt string) *ddlTable {
	s := strings.TrimSpace(stmt)
	up := strings.ToUpper(s)
	if !strings.HasPrefix(up, "CREATE TABLE ") {
		return nil
	}
	rest := strings.TrimSpace(s[len("CREATE TABLE "):])
	open := strings.IndexByte(rest, '(')
	if open < 0 {
		return nil
	}
	t := &ddlTable{name: unquote(rest[:open]), cols: map[string]ddlColumn{}, nonNull: map[string]bool{}}
	depth, end := 0, -1
scan:
	for i := open; i < len(rest); i++ {
		switch rest[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 {
			end = i
			break scan
		}
	}
	if end < 0 {
		return nil
	}
	for _, item := range splitTop(rest[open+1 : end]) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		first, typ, _ := strings.Cut(item, " ")
		switch strings.ToUpper(first) {
		case "CONSTRAINT", "FOREIGN", "CHECK":
			continue
		}
		utyp := strings.ToUpper(typ)
		cut := len(typ)
		for _, w := range []string{" NOT NULL", " OPTIONS", " DEFAULT", " AS ", " HIDDEN"} {
			if i := strings.Index(utyp, w); i >= 0 && i < cut {
				cut = i
			}
		}
		name := unquote(first)
		t.cols[strings.ToLower(name)] = ddlColumn{name: name, typ: normalizeDDLType(typ[:cut])}
		if strings.Contains(utyp, " NOT NULL") || strings.HasPrefix(utyp, "NOT NULL") {
			t.nonNull[strings.ToLower(name)] = true
		}
	}
	after := rest[end+1:]
	ua := strings.ToUpper(after)
	if i := strings.Index(ua, "PRIMARY KEY"); i >= 0 {
		pk := after[i+len("PRIMARY KEY"):]
		if o, c := strings.IndexByte(pk, '('), strings.IndexByte(pk, ')'); o >= 0 && c > o {
			for _, p := range strings.Split(pk[o+1:c], ",") {
				f := strings.Fields(p)
				if len(f) == 0 {
					continue
				}
				t.pk = append(t.pk, keyPart{name: unquote(f[0]), desc: len(f) > 1 && strings.EqualFold(f[1], "DESC")})
			}
		}
	}
	return t
}

// findTable returns the named table among schema statements, or nil.
func findTable(stmts []string, name string) *ddlTable {
	for _, s := range stmts {
		if t := parseCreateTable(s); t != nil && strings.EqualFold(t.name, name) {
			return t
		}
	}
	return nil
}

// countIndexes counts the secondary indexes on a table: every row
// written adds one mutation per index to a commit's count.
func countIndexes(stmts []string, table string) int {
	n := 0
	for _, s := range stmts {
		f := strings.Fields(strings.ToUpper(s))
		if len(f) < 3 || f[0] != "CREATE" {
			continue
		}
		isIndex := false
		for _, w := range f[1:min(4, len(f))] {
			if w == "INDEX" {
				isIndex = true
			}
		}
		if !isIndex {
			continue
		}
		on := strings.Index(strings.ToUpper(s), " ON ")
		if on < 0 {
			continue
		}
		rest := strings.TrimSpace(s[on+4:])
		tn := rest
		if i := strings.IndexAny(rest, " ("); i >= 0 {
			tn = rest[:i]
		}
		if strings.EqualFold(unquote(tn), table) {
			n++
		}
	}
	return n
}

// createDDL is the CREATE TABLE statement for the dump's table.
func (tb *Table) createDDL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (\n", tb.name)
	for _, c := range tb.cols {
		fmt.Fprintf(&b, "  `%s` %s", c.name, c.st.ddl)
		if c.c.Role == schema.PartitionKey {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(",\n")
	}
	b.WriteString(") PRIMARY KEY (")
	for i, c := range tb.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s`", c.name)
		if c.c.Order == schema.Desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	return b.String()
}

// compare lists how the target table differs from what the dump needs:
// a missing column or one of another type, another primary key (columns,
// order or direction), or a NOT NULL column the dump does not write.
// Extra nullable columns are fine (they stay NULL).
func (tb *Table) compare(have *ddlTable) []string {
	var diffs []string
	for _, c := range tb.cols {
		h, ok := have.cols[strings.ToLower(c.name)]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("column %s (%s): missing in the target", c.name, c.st.ddl))
			continue
		}
		if h.typ != normalizeDDLType(c.st.ddl) && !tb.adoptNumeric(c, h.typ) {
			diffs = append(diffs, fmt.Sprintf("column %s: %s for the dump's %s, %s in the target", c.name, c.st.ddl, c.c.Type, h.typ))
		}
	}
	want := make([]string, len(tb.keys))
	for i, c := range tb.keys {
		want[i] = c.name
		if c.c.Order == schema.Desc {
			want[i] += " DESC"
		}
	}
	got := make([]string, len(have.pk))
	for i, p := range have.pk {
		got[i] = p.name
		if p.desc {
			got[i] += " DESC"
		}
	}
	if !strings.EqualFold(strings.Join(want, ", "), strings.Join(got, ", ")) {
		diffs = append(diffs, fmt.Sprintf("primary key: (%s) for the dump, (%s) in the target", strings.Join(want, ", "), strings.Join(got, ", ")))
	}
	for n := range have.nonNull {
		found := false
		for _, c := range tb.cols {
			found = found || strings.EqualFold(c.name, n)
		}
		if !found {
			diffs = append(diffs, fmt.Sprintf("column %s: NOT NULL in the target and not in the dump", have.cols[n].name))
		}
	}
	return diffs
}

// adoptNumeric takes an existing table's choice for a decimal or varint
// column (alone or as an ARRAY's elements): NUMERIC, or STRING(MAX)
// holding the exact text (what --numeric-as-string creates). A table
// created either way loads whichever way later runs are asked to
// create tables. DynamoDB numbers stay NUMERIC (docs/loader.md).
func (tb *Table) adoptNumeric(c *column, have string) bool {
	if tb.dyn != nil || !c.st.hasNumeric() {
		return false
	}
	alt := mapTypeAs(c.c.T, c.key, c.st.k != kNumText && c.st.elem != kNumText)
	if normalizeDDLType(alt.ddl) != have {
		return false
	}
	c.st = alt
	return true
}
