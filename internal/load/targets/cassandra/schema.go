package cassandra

import (
	"fmt"

	"github.com/lading-dev/lading/pkg/schema"
)

// compareSchema lists how the target table have differs from the dump's
// table src for the dumped columns (all when cols is empty): a missing
// column, another type, role, key position or clustering order, a user
// type with other fields, or a counter table against a plain one. Extra
// regular columns in the target are fine (they stay null).
func compareSchema(src *schema.Table, cols []string, have *schema.Table) []string {
	var diffs []string
	if len(cols) == 0 {
		for _, c := range src.Columns {
			cols = append(cols, c.Name)
		}
	}
	for _, n := range cols {
		c := src.Column(n)
		if c == nil {
			continue
		}
		h := have.Column(n)
		if h == nil {
			diffs = append(diffs, fmt.Sprintf("column %s (%s): missing in the target", n, c.Type))
			continue
		}
		if !c.T.Equal(h.T) {
			diffs = append(diffs, fmt.Sprintf("column %s: %s in the dump, %s in the target", n, c.T, h.T))
		}
		if c.Role != h.Role || c.Position != h.Position || c.Order != h.Order {
			diffs = append(diffs, fmt.Sprintf("column %s: %s in the dump, %s in the target", n, describeRole(c), describeRole(h)))
		}
	}
	for _, h := range have.Columns {
		if (h.Role == schema.PartitionKey || h.Role == schema.Clustering) && src.Column(h.Name) == nil {
			diffs = append(diffs, fmt.Sprintf("column %s: a %s column of the target that the dump does not have", h.Name, describeRole(&h)))
		}
	}
	if src.Counter != have.Counter {
		diffs = append(diffs, fmt.Sprintf("counter table in the dump: %v, in the target: %v", src.Counter, have.Counter))
	}
	for _, u := range src.UserTypes {
		var hu *schema.UserType
		for i := range have.UserTypes {
			if have.UserTypes[i].Name == u.Name {
				hu = &have.UserTypes[i]
			}
		}
		if hu == nil {
			continue // a column's type already differs
		}
		if len(hu.Fields) != len(u.Fields) {
			diffs = append(diffs, fmt.Sprintf("user type %s: %d fields in the dump, %d in the target", u.Name, len(u.Fields), len(hu.Fields)))
			continue
		}
		for i, f := range u.Fields {
			hf := hu.Fields[i]
			st, err1 := schema.Parse(f.Type, nil)
			ht, err2 := schema.Parse(hf.Type, nil)
			same := f.Type == hf.Type || err1 == nil && err2 == nil && st.Equal(ht)
			if f.Name != hf.Name || !same {
				diffs = append(diffs, fmt.Sprintf("user type %s field %d: %s %s in the dump, %s %s in the target", u.Name, i, f.Name, f.Type, hf.Name, hf.Type))
			}
		}
	}
	return diffs
}

func describeRole(c *schema.Column) string {
	switch c.Role {
	case schema.PartitionKey:
		return fmt.Sprintf("partition key #%d", c.Position)
	case schema.Clustering:
		return fmt.Sprintf("clustering #%d %s", c.Position, c.Order)
	}
	return string(c.Role)
}
