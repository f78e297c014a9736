// Package schema describes a CQL table the way a dump records it: columns
// with their CQL types and key roles, and the user types they use.
//
// The exporter fills a Table from the source's system tables, the manifest
// stores it, pkg/format needs it to encode and decode rows, and the loader
// compares it with (or creates) the target table. Types are stored as CQL
// text ("frozen<map<text, list<int>>>") and parsed with Parse.
package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the CQL type constructor of a Type.
type Kind uint8

// The CQL 5.0 types lading knows.
const (
	Invalid Kind = iota
	Ascii
	Bigint
	Blob
	Boolean
	Counter
	Date
	Decimal
	Double
	Duration
	Float
	Inet
	Int
	Smallint
	Text
	Time
	Timestamp
	Timeuuid
	Tinyint
	UUID
	Varchar
	Varint
	List
	Set
	Map
	Tuple
	UDT
	Vector
)

var kindNames = [...]string{
	Invalid: "invalid", Ascii: "ascii", Bigint: "bigint", Blob: "blob", Boolean: "boolean",
	Counter: "counter", Date: "date", Decimal: "decimal", Double: "double", Duration: "duration",
	Float: "float", Inet: "inet", Int: "int", Smallint: "smallint", Text: "text", Time: "time",
	Timestamp: "timestamp", Timeuuid: "timeuuid", Tinyint: "tinyint", UUID: "uuid",
	Varchar: "varchar", Varint: "varint", List: "list", Set: "set", Map: "map", Tuple: "tuple",
	UDT: "udt", Vector: "vector",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

var nativeKinds = map[string]Kind{
	"ascii": Ascii, "bigint": Bigint, "blob": Blob, "boolean": Boolean, "counter": Counter,
	"date": Date, "decimal": Decimal, "double": Double, "duration": Duration, "float": Float,
	"inet": Inet, "int": Int, "smallint": Smallint, "text": Text, "time": Time,
	"timestamp": Timestamp, "timeuuid": Timeuuid, "tinyint": Tinyint, "uuid": UUID,
	"varchar": Varchar, "varint": Varint,
}

// Type is a parsed CQL type.
type Type struct {
	Kind Kind
	// Frozen is set for frozen<...> collections, tuples and user types
	// (tuples are always frozen in CQL; Parse sets it for them).
	Frozen bool
	// Params are the element types: one for list, set and vector; key and
	// value for map; the components of a tuple. For a UDT, the field types
	// in field order.
	Params []*Type
	// Dim is a vector's dimension.
	Dim int
	// Name is a user type's name (unquoted, in the table's keyspace).
	Name string
	// Fields are a user type's field names, parallel to Params.
	Fields []string
}

// IsCollection reports whether t is a list, set or map.
func (t *Type) IsCollection() bool {
	return t.Kind == List || t.Kind == Set || t.Kind == Map
}

// MultiCell reports whether Cassandra stores t as one cell per element
// (non-frozen collections and user types). Such a column has a WRITETIME
// and TTL per element, and an empty value reads back as null.
func (t *Type) MultiCell() bool {
	return !t.Frozen && (t.IsCollection() || t.Kind == UDT)
}

// String renders t as CQL text, the form stored in manifests.
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b, false)
	return b.String()
}

func (t *Type) write(b *strings.Builder, nested bool) {
	frozen := t.Frozen && t.Kind != Tuple && t.Kind != Vector
	if frozen {
		b.WriteString("frozen<")
	}
	switch t.Kind {
	case UDT:
		b.WriteString(quoteTypeName(t.Name))
	case List, Set, Map, Tuple:
		b.WriteString(t.Kind.String())
		b.WriteByte('<')
		for i, p := range t.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			p.write(b, true)
		}
		b.WriteByte('>')
	case Vector:
		b.WriteString("vector<")
		t.Params[0].write(b, true)
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(t.Dim))
		b.WriteByte('>')
	default:
		b.WriteString(t.Kind.String())
	}
	if frozen {
		b.WriteByte('>')
	}
}

// Equal reports whether two types are the same CQL type.
func (t *Type) Equal(u *Type) bool {
	if t == nil || u == nil {
		return t == u
	}
	return t.String() == u.String()
}

// UserTypes resolves user type names while parsing. The key is the
// unquoted type name.
type UserTypes map[string]*UserType

// Parse parses CQL type text as system_schema and manifests write it. User
// type names are looked up in udts (which may be nil when none are used);
// an unknown name is an error.
func Parse(s string, udts UserTypes) (*Type, error) {
	p := parser{src: s, udts: udts}
	t, err := p.parse(0)
	if err != nil {
		return nil, fmt.Errorf("cql type %q: %w", s, err)
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("cql type %q: unexpected %q at offset %d", s, p.src[p.pos:], p.pos)
	}
	return t, nil
}

type parser struct {
	src  string
	pos  int
	udts UserTypes
}

const maxTypeDepth = 64

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func (p *parser) ident() (string, error) {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		var b strings.Builder
		p.pos++
		for p.pos < len(p.src) {
			c := p.src[p.pos]
			p.pos++
			if c == '"' {
				if p.pos < len(p.src) && p.src[p.pos] == '"' {
					b.WriteByte('"')
					p.pos++
					continue
				}
				if b.Len() == 0 {
					return "", fmt.Errorf("empty quoted name")
				}
				return b.String(), nil
			}
			b.WriteByte(c)
		}
		return "", fmt.Errorf("unterminated quoted name")
	}
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' {
			p.pos++
			continue
		}
		break
	}
	if start == p.pos {
		if p.pos < len(p.src) {
			return "", fmt.Errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
		}
		return "", fmt.Errorf("unexpected end")
	}
	return strings.ToLower(p.src[start:p.pos]), nil
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != c {
		return fmt.Errorf("expected %q at offset %d", c, p.pos)
	}
	p.pos++
	return nil
}

func (p *parser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) parse(depth int) (*Type, error) {
	if depth > maxTypeDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxTypeDepth)
	}
	quoted := p.peek() == '"'
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	if !quoted {
		if k, ok := nativeKinds[name]; ok {
			return &Type{Kind: k}, nil
		}
	}
	params := func(n int) ([]*Type, error) {
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		var out []*Type
		for {
			t, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			if p.peek() == ',' && (n < 0 || len(out) < n) {
				p.pos++
				continue
			}
			break
		}
		if n >= 0 && len(out) != n {
			return nil, fmt.Errorf("%s takes %d type parameters, got %d", name, n, len(out))
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return out, nil
	}
	if !quoted {
		switch name {
		case "frozen":
			ps, err := params(1)
			if err != nil {
				return nil, err
			}
			t := ps[0]
			if !t.IsCollection() && t.Kind != UDT && t.Kind != Tuple {
				return nil, fmt.Errorf("frozen<%s> is not a collection, tuple or user type", t)
			}
			t.Frozen = true
			return t, nil
		case "list", "set":
			ps, err := params(1)
			if err != nil {
				return nil, err
			}
			k := List
			if name == "set" {
				k = Set
			}
			return &Type{Kind: k, Params: ps}, nil
		case "map":
			ps, err := params(2)
			if err != nil {
				return nil, err
			}
			return &Type{Kind: Map, Params: ps}, nil
		case "tuple":
			ps, err := params(-1)
			if err != nil {
				return nil, err
			}
			return &Type{Kind: Tuple, Frozen: true, Params: ps}, nil
		case "vector":
			if err := p.expect('<'); err != nil {
				return nil, err
			}
			elem, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			if err := p.expect(','); err != nil {
				return nil, err
			}
			p.skipSpace()
			start := p.pos
			for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
				p.pos++
			}
			dim, err := strconv.Atoi(p.src[start:p.pos])
			if err != nil || dim <= 0 {
				return nil, fmt.Errorf("vector dimension at offset %d is not a positive number", start)
			}
			if err := p.expect('>'); err != nil {
				return nil, err
			}
			return &Type{Kind: Vector, Frozen: true, Params: []*Type{elem}, Dim: dim}, nil
		}
	}
	if strings.Contains(name, ".") && !quoted {
		return nil, fmt.Errorf("custom type %q is not supported", name)
	}
	ut, ok := p.udts[name]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", name)
	}
	return ut.typ(depth)
}

// quoteTypeName quotes a user type name like QuoteIdent, and also when it
// reads as a native type or a type constructor ("list", "frozen"), which
// Parse takes for those when unquoted.
func quoteTypeName(name string) string {
	if _, native := nativeKinds[name]; native || typeKeywords[name] {
		return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	}
	return QuoteIdent(name)
}

var typeKeywords = map[string]bool{
	"frozen": true, "list": true, "set": true, "map": true, "tuple": true, "vector": true,
}

// QuoteIdent returns a CQL identifier, double-quoted when it is not a
// plain lower-case name.
func QuoteIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' && i > 0) {
			plain = false
			break
		}
	}
	if plain && !reserved[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reserved holds CQL keywords that cannot be used as bare identifiers.
var reserved = map[string]bool{
	"add": true, "allow": true, "alter": true, "and": true, "apply": true, "asc": true,
	"authorize": true, "batch": true, "begin": true, "by": true, "columnfamily": true,
	"create": true, "delete": true, "desc": true, "describe": true, "drop": true,
	"entries": true, "execute": true, "from": true, "full": true, "grant": true, "if": true,
	"in": true, "index": true, "infinity": true, "insert": true, "into": true, "is": true,
	"keyspace": true, "limit": true, "materialized": true, "mbean": true, "mbeans": true,
	"modify": true, "nan": true, "norecursive": true, "not": true, "null": true, "of": true,
	"on": true, "or": true, "order": true, "primary": true, "rename": true, "replace": true,
	"revoke": true, "schema": true, "select": true, "set": true, "table": true, "to": true,
	"token": true, "truncate": true, "unlogged": true, "unset": true, "update": true,
	"use": true, "using": true, "view": true, "where": true, "with": true,
}
