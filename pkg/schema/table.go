package schema

import (
	"fmt"
	"strings"
)

// Role is a column's place in the primary key, as system_schema calls it.
type Role string

// Column roles.
const (
	PartitionKey Role = "partition_key"
	Clustering   Role = "clustering"
	Regular      Role = "regular"
	Static       Role = "static"
)

// Order is a clustering column's sort order.
type Order string

// Clustering orders.
const (
	Asc  Order = "asc"
	Desc Order = "desc"
)

// Column is one column of a table.
type Column struct {
	Name string `json:"name"`
	// Type is the CQL type text, e.g. "frozen<list<int>>".
	Type string `json:"type"`
	Role Role   `json:"role"`
	// Position orders partition key and clustering columns (0-based);
	// it is 0 for regular and static columns.
	Position int `json:"position"`
	// Order is set for clustering columns only.
	Order Order `json:"order,omitempty"`

	// T is Type parsed; filled by Table.Resolve.
	T *Type `json:"-"`
}

// Field is one field of a user type.
type Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// UserType is a user-defined type of the table's keyspace.
type UserType struct {
	Keyspace string  `json:"keyspace"`
	Name     string  `json:"name"`
	Fields   []Field `json:"fields"`
	// CQL is the CREATE TYPE statement that recreates it.
	CQL string `json:"cql"`

	parsed   *Type
	resolved bool
}

// typ returns the UDT as a Type; Table.Resolve has parsed its fields.
func (u *UserType) typ(depth int) (*Type, error) {
	if !u.resolved || u.parsed == nil {
		return nil, fmt.Errorf("user type %q is used before it is defined", u.Name)
	}
	// A copy, so that frozen<> on one use does not freeze every use.
	t := *u.parsed
	return &t, nil
}

// Table is a CQL table as a dump records it.
type Table struct {
	Keyspace string `json:"keyspace"`
	Name     string `json:"table"`
	// CQL is the CREATE TABLE statement of the source table.
	CQL string `json:"cql"`
	// Columns lists partition key columns by position, then clustering
	// columns by position, then static and regular columns by name: the
	// order in which rows are written.
	Columns []Column `json:"columns"`
	// UserTypes lists every user type the columns use, directly or
	// nested, each after the types it uses.
	UserTypes []UserType `json:"user_types"`
	// Counter is set for a counter table.
	Counter bool `json:"counter"`
	// Indexes lists the table's secondary indexes and materialized
	// views, by name; nil when it has none (and in dumps made before
	// they were recorded).
	Indexes []Index `json:"indexes,omitempty"`
}

// QualifiedName returns "keyspace.table" as dumps name tables.
func (t *Table) QualifiedName() string { return t.Keyspace + "." + t.Name }

// Resolve parses every column and user type field type, checking names,
// roles and positions. It must be called after decoding a Table.
func (t *Table) Resolve() error {
	udts := UserTypes{}
	for i := range t.UserTypes {
		u := &t.UserTypes[i]
		if u.Name == "" {
			return fmt.Errorf("user_types[%d].name: empty", i)
		}
		if _, dup := udts[u.Name]; dup {
			return fmt.Errorf("user_types[%d].name: duplicate %q", i, u.Name)
		}
		ut := &Type{Kind: UDT, Name: u.Name}
		seen := map[string]bool{}
		for j, f := range u.Fields {
			if f.Name == "" || seen[f.Name] {
				return fmt.Errorf("user_types[%d].fields[%d].name: empty or duplicate %q", i, j, f.Name)
			}
			seen[f.Name] = true
			ft, err := Parse(f.Type, udts)
			if err != nil {
				return fmt.Errorf("user_types[%d].fields[%d].type: %w", i, j, err)
			}
			ut.Params = append(ut.Params, ft)
			ut.Fields = append(ut.Fields, f.Name)
		}
		if len(u.Fields) == 0 {
			return fmt.Errorf("user_types[%d].fields: empty", i)
		}
		u.parsed, u.resolved = ut, true
		udts[u.Name] = u
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("columns: empty")
	}
	seen := map[string]bool{}
	next := map[Role]int{}
	pk := 0
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("columns[%d].name: empty or duplicate %q", i, c.Name)
		}
		seen[c.Name] = true
		ct, err := Parse(c.Type, udts)
		if err != nil {
			return fmt.Errorf("columns[%d].type: %w", i, err)
		}
		c.T = ct
		switch c.Role {
		case PartitionKey, Clustering:
			if c.Position != next[c.Role] {
				return fmt.Errorf("columns[%d].position: %d, want %d", i, c.Position, next[c.Role])
			}
			next[c.Role]++
			if c.Role == PartitionKey {
				pk++
			}
			if c.Role == Clustering && c.Order != Asc && c.Order != Desc {
				return fmt.Errorf("columns[%d].order: %q, want asc or desc", i, c.Order)
			}
			if c.Role == PartitionKey && c.Order != "" {
				return fmt.Errorf("columns[%d].order: set on a partition key column", i)
			}
		case Regular, Static:
			if c.Position != 0 || c.Order != "" {
				return fmt.Errorf("columns[%d]: position/order set on a %s column", i, c.Role)
			}
		default:
			return fmt.Errorf("columns[%d].role: unknown %q", i, c.Role)
		}
	}
	if pk == 0 {
		return fmt.Errorf("columns: no partition key column")
	}
	return nil
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// KeyColumns returns the partition key columns in position order.
func (t *Table) KeyColumns() []*Column { return t.byRole(PartitionKey) }

// ClusteringColumns returns the clustering columns in position order.
func (t *Table) ClusteringColumns() []*Column { return t.byRole(Clustering) }

func (t *Table) byRole(r Role) []*Column {
	var out []*Column
	for i := range t.Columns {
		if t.Columns[i].Role == r {
			out = append(out, &t.Columns[i])
		}
	}
	return out
}

// CreateTableCQL renders a CREATE TABLE statement for the table in the
// given keyspace under the given name (clustering order included; other
// table options are the target's defaults).
func (t *Table) CreateTableCQL(keyspace, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s.%s (", QuoteIdent(keyspace), QuoteIdent(name))
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "%s %s", QuoteIdent(c.Name), c.Type)
		if c.Role == Static {
			b.WriteString(" STATIC")
		}
		b.WriteString(", ")
	}
	b.WriteString("PRIMARY KEY ((")
	for i, c := range t.KeyColumns() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteIdent(c.Name))
	}
	b.WriteString(")")
	cl := t.ClusteringColumns()
	for _, c := range cl {
		b.WriteString(", ")
		b.WriteString(QuoteIdent(c.Name))
	}
	b.WriteString("))")
	if len(cl) > 0 {
		b.WriteString(" WITH CLUSTERING ORDER BY (")
		for i, c := range cl {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", QuoteIdent(c.Name), strings.ToUpper(string(c.Order)))
		}
		b.WriteString(")")
	}
	return b.String()
}

// CreateTypeCQL renders a CREATE TYPE statement for u in the given keyspace.
func (u *UserType) CreateTypeCQL(keyspace string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TYPE IF NOT EXISTS %s.%s (", QuoteIdent(keyspace), quoteTypeName(u.Name))
	for i, f := range u.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", QuoteIdent(f.Name), f.Type)
	}
	b.WriteString(")")
	return b.String()
}
