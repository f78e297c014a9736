package cassandra

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// keyList is a de-duplicated list of partition keys in canonical form:
// one NDJSON object a key, the partition key columns in key order, values
// as pkg/format writes them, the lines sorted bytewise (so that the same
// set of keys in another order, or with other duplicates, is the same
// list). The stored list is these lines, each ending in '\n'; its
// SHA-256 is the plan's KeysSHA256.
type keyList struct {
	lines [][]byte // without the newline
	dups  int      // lines dropped as duplicates while parsing
}

// bytes is the stored form of the list.
func (k *keyList) bytes() []byte {
	n := 0
	for _, l := range k.lines {
		n += len(l) + 1
	}
	out := make([]byte, 0, n)
	for _, l := range k.lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

// keyParser turns user input into canonical keys of one table.
type keyParser struct {
	cols []*schema.Column // partition key columns, in key order
	seen map[string]bool
	list keyList
}

// parseKeys reads a key list for table t: either NDJSON objects with one
// member per partition key column ({"pk1": ..., "pk2": ...}, values as
// in a dump), or CSV records with one field per partition key column in
// key order (values as CQL writes them: text as is, numbers, uuids,
// 0x… blobs, timestamps; quoted fields for commas). The first non-blank
// character decides: '{' is NDJSON. Blank lines are skipped; duplicate
// keys are kept once; the list comes out sorted (see keyList). Bad input
// is a usage error naming the line and column.
func parseKeys(r io.Reader, t *schema.Table) (*keyList, error) {
	p := &keyParser{cols: t.KeyColumns(), seen: map[string]bool{}}
	if len(p.cols) == 0 {
		return nil, fmt.Errorf("table %s has no partition key columns", t.QualifiedName())
	}
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstNonSpace(br)
	if err != nil {
		return nil, fault.Usagef("--keys: %w", err)
	}
	switch first {
	case 0:
		return nil, fault.Usagef("--keys: the key list is empty")
	case '{':
		err = p.ndjson(br)
	default:
		err = p.csv(br)
	}
	if err != nil {
		return nil, err
	}
	if len(p.list.lines) == 0 {
		return nil, fault.Usagef("--keys: the key list is empty")
	}
	slices.SortFunc(p.list.lines, bytes.Compare)
	return &p.list, nil
}

// firstNonSpace peeks at the first byte that is not white space (0 at
// EOF) without consuming anything, so CSV line numbers stay right.
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if errors.Is(err, io.EOF) {
				return 0, nil
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, fmt.Errorf("the key list starts with %d bytes of white space", n-1)
			}
			return 0, fmt.Errorf("read key list: %w", err)
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b[n-1], nil
	}
}

func (p *keyParser) add(key []cql.Raw) error {
	line, err := canonicalKey(p.cols, key)
	if err != nil {
		return err
	}
	if p.seen[string(line)] {
		p.list.dups++
		return nil
	}
	p.seen[string(line)] = true
	p.list.lines = append(p.list.lines, line)
	return nil
}

// canonicalKey writes a key as the canonical NDJSON object.
func canonicalKey(cols []*schema.Column, key []cql.Raw) ([]byte, error) {
	line := []byte{'{'}
	for i, c := range cols {
		if i > 0 {
			line = append(line, ',')
		}
		name, _ := json.Marshal(c.Name)
		line = append(line, name...)
		line = append(line, ':')
		var err error
		if line, err = format.AppendValue(line, c.T, key[i]); err != nil {
			return nil, fmt.Errorf("key column %s: %w", c.Name, err)
		}
	}
	return append(line, '}'), nil
}

func (p *keyParser) ndjson(br *bufio.Reader) error {
	lineNo := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
				key, perr := parseKeyObject(p.cols, trimmed)
				if perr != nil {
					return fault.Usagef("--keys line %d: %w", lineNo, perr)
				}
				if perr := p.add(key); perr != nil {
					return fault.Usagef("--keys line %d: %w", lineNo, perr)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read key list: %w", err)
		}
	}
}

// parseKeyObject parses one NDJSON key: an object with exactly the
// partition key columns as members.
func parseKeyObject(cols []*schema.Column, line []byte) ([]cql.Raw, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	key := make([]cql.Raw, len(cols))
	for i, c := range cols {
		v, ok := obj[c.Name]
		if !ok {
			return nil, fmt.Errorf("no %q (the partition key is %s)", c.Name, keyNames(cols))
		}
		raw, err := format.ParseValue(c.T, v)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %v", c.Name, c.Type, err)
		}
		if raw == nil {
			return nil, fmt.Errorf("column %s is null (partition key columns never are)", c.Name)
		}
		key[i] = raw
	}
	if len(obj) != len(cols) {
		for name := range obj {
			if !isKeyColumn(cols, name) {
				return nil, fmt.Errorf("%q is not a partition key column (the partition key is %s)", name, keyNames(cols))
			}
		}
	}
	if err := checkKeyNotEmpty(cols, key); err != nil {
		return nil, err
	}
	return key, nil
}

func (p *keyParser) csv(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(p.cols)
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				return fault.Usagef("--keys line %d: %d fields, want %d (the partition key is %s, in this order)", pe.StartLine, len(rec), len(p.cols), keyNames(p.cols))
			}
			return fault.Usagef("--keys: %w", err)
		}
		line, _ := cr.FieldPos(0)
		key := make([]cql.Raw, len(p.cols))
		for i, c := range p.cols {
			raw, err := parseKeyField(c.T, rec[i])
			if err != nil {
				return fault.Usagef("--keys line %d, column %s (%s): %w", line, c.Name, c.Type, err)
			}
			key[i] = raw
		}
		if err := checkKeyNotEmpty(p.cols, key); err != nil {
			return fault.Usagef("--keys line %d: %w", line, err)
		}
		if err := p.add(key); err != nil {
			return fault.Usagef("--keys line %d: %w", line, err)
		}
	}
}

// parseKeyField parses one CSV field of type t. Types a dump writes as
// JSON strings take the field's text; numbers and booleans take it as
// JSON does; collections, tuples and user types take the JSON a dump
// writes. Timestamps also take milliseconds since the epoch and RFC 3339
// or CQL forms with a zone offset.
func parseKeyField(t *schema.Type, field string) (cql.Raw, error) {
	var js []byte
	switch t.Kind {
	case schema.Text, schema.Ascii, schema.Varchar, schema.Inet, schema.UUID, schema.Timeuuid,
		schema.Date, schema.Time, schema.Duration, schema.Blob:
		js, _ = json.Marshal(field)
	case schema.Timestamp:
		js, _ = json.Marshal(normalizeTimestamp(field))
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Varint,
		schema.Decimal, schema.Float, schema.Double, schema.Boolean:
		f := strings.TrimSpace(field)
		if f == "" {
			return nil, errors.New("empty")
		}
		js = []byte(f)
		if t.Kind == schema.Float || t.Kind == schema.Double {
			switch f {
			case "NaN", "Infinity", "-Infinity":
				js, _ = json.Marshal(f)
			}
		}
	default:
		js = []byte(field)
	}
	raw, err := format.ParseValue(t, js)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("null (partition key columns never are)")
	}
	return raw, nil
}

// timestampLayouts are the forms with a zone a key list may use besides
// the dump's own (2026-11-22T15:45:30.123Z).
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999-0700",
}

// normalizeTimestamp rewrites milliseconds since the epoch and zoned
// forms into the dump's form; anything else is left for ParseValue to
// judge.
func normalizeTimestamp(s string) string {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	for _, l := range timestampLayouts {
		if tm, err := time.Parse(l, s); err == nil && tm.Year() >= 1 && tm.Year() <= 9999 {
			return tm.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	return s
}

// checkKeyNotEmpty refuses an empty single-column partition key, which
// Cassandra never stores.
func checkKeyNotEmpty(cols []*schema.Column, key []cql.Raw) error {
	if len(cols) == 1 && len(key[0]) == 0 {
		return fmt.Errorf("empty partition key (Cassandra stores none)")
	}
	return nil
}

func isKeyColumn(cols []*schema.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func keyNames(cols []*schema.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return "(" + strings.Join(names, ", ") + ")"
}
