package bigtable

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// pyHarness feeds the documented decoder one key a line and prints each
// decoded value in the rendering docRender writes on the Go side.
const pyHarness = `
import json, sys

def _spec(j):
    return tuple(_spec(x) for x in j) if isinstance(j, list) else j

def _render(v, t):
    if isinstance(t, tuple):
        if t[0] in ("list", "set"):
            return [_render(x, t[1]) for x in v]
        if t[0] == "map":
            return [_render(x, t[1 + i % 2]) for i, x in enumerate(v)]
        return [None if x is None else _render(x, t[1 + i]) for i, x in enumerate(v)]
    if t == "boolean":
        return v
    if t == "float":
        return struct.pack(">f", v).hex()
    if t == "double":
        return struct.pack(">d", v).hex()
    if t in ("text", "ascii", "varchar", "uuid", "timeuuid"):
        return v
    if t in ("blob", "inet"):
        return v.hex()
    if t == "decimal":
        sign, digits, exp = v.as_tuple()
        return ("-" if sign else "") + str(int("".join(map(str, digits)))) + ":" + str(-exp)
    return str(v)

for line in sys.stdin:
    c = json.loads(line)
    cols = [(_spec(s), d) for s, d in c["cols"]]
    vals = decode_row_key(bytes.fromhex(c["key"]), cols)
    print(json.dumps([_render(v, s) for v, (s, _) in zip(vals, cols)]))
`

// docDecoder returns the Python decoder of docs/format.md ("Bigtable
// row keys"), as a user would copy it.
func docDecoder(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "format.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "A decoder, in Python")
	if ok {
		_, rest, ok = strings.Cut(rest, "```python\n")
	}
	code, _, ok2 := strings.Cut(rest, "\n```")
	if !ok || !ok2 {
		t.Fatal("docs/format.md has no Python decoder after \"A decoder, in Python\"")
	}
	return code
}

// docSpec is a key column's type as the documented decoder takes it.
func docSpec(t *schema.Type) any {
	switch t.Kind {
	case schema.List:
		return []any{"list", docSpec(t.Params[0])}
	case schema.Set:
		return []any{"set", docSpec(t.Params[0])}
	case schema.Map:
		return []any{"map", docSpec(t.Params[0]), docSpec(t.Params[1])}
	case schema.Tuple, schema.UDT:
		out := []any{"tuple"}
		for _, p := range t.Params {
			out = append(out, docSpec(p))
		}
		return out
	}
	return t.String()
}

// docRender renders a CQL wire value as the harness renders what the
// documented decoder returns for it: integers, dates (days since the
// epoch), times and timestamps (ms) as decimal text, floats as their
// IEEE bits (one NaN), text as text, blobs, inets and uuids as hex,
// decimals as "unscaled:scale", collections and tuples as arrays.
func docRender(t *schema.Type, v []byte) any {
	switch t.Kind {
	case schema.Boolean:
		return v[0] != 0
	case schema.Tinyint:
		return strconv.Itoa(int(int8(v[0])))
	case schema.Smallint:
		return strconv.Itoa(int(int16(binary.BigEndian.Uint16(v))))
	case schema.Int:
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(v))))
	case schema.Bigint, schema.Counter, schema.Timestamp:
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(v)), 10)
	case schema.Date:
		return strconv.FormatInt(int64(binary.BigEndian.Uint32(v))-1<<31, 10)
	case schema.Time:
		return strconv.FormatUint(binary.BigEndian.Uint64(v), 10)
	case schema.Float:
		if f := math.Float32frombits(binary.BigEndian.Uint32(v)); f != f {
			return "7fc00000"
		}
		return hex.EncodeToString(v)
	case schema.Double:
		if f := math.Float64frombits(binary.BigEndian.Uint64(v)); f != f {
			return "7ff8000000000000"
		}
		return hex.EncodeToString(v)
	case schema.Text, schema.Ascii, schema.Varchar:
		return string(v)
	case schema.Blob, schema.Inet, schema.UUID, schema.Timeuuid:
		return hex.EncodeToString(v)
	case schema.Varint:
		return wireBig(v).String()
	case schema.Decimal:
		return fmt.Sprintf("%s:%d", wireBig(v[4:]).String(), int32(binary.BigEndian.Uint32(v)))
	case schema.List, schema.Set, schema.Map:
		ts := elemTypes(t)
		elems, err := wireElems(v, len(ts))
		if err != nil {
			panic(err)
		}
		out := []any{}
		for i, e := range elems {
			out = append(out, docRender(ts[i%len(ts)], e))
		}
		return out
	case schema.Tuple, schema.UDT:
		out := []any{}
		for i := 0; len(v) > 0; i++ {
			e, rest, _ := wireElem(v)
			v = rest
			if e == nil {
				out = append(out, nil)
				continue
			}
			out = append(out, docRender(t.Params[i], e))
		}
		return out
	}
	panic("no rendering for " + t.String())
}

// bigDecimal is a decimal's wire bytes: scale, then the unscaled value.
func bigDecimal(unscaled string, scale int32) []byte {
	n, _ := new(big.Int).SetString(unscaled, 10)
	return append(binary.BigEndian.AppendUint32(nil, uint32(scale)), varintBytes(n)...)
}

// TestDocumentedPythonDecoder runs the Python decoder printed in
// docs/format.md on row keys the loader encodes: random keys of every
// key type, alone (ASC and DESC) and composite, and decimals of more
// digits than Python's default decimal context holds; each decodes to
// the values encoded.
func TestDocumentedPythonDecoder(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("LADING_REQUIRE_SERVICES") != "" {
			t.Fatal("python3 not found: the documented decoder cannot be run")
		}
		t.Skip("python3 not found: the documented decoder is not run")
	}
	r := rand.New(rand.NewPCG(5, 6))
	type sample struct {
		cols []keyCol
		vals [][]byte
	}
	var samples []sample
	add := func(cols []keyCol, n int) {
		for range n {
			vals := make([][]byte, len(cols))
			for j, c := range cols {
				vals[j] = genValue(r, c.t)
			}
			samples = append(samples, sample{cols, vals})
		}
	}
	for _, s := range keyTypes {
		typ := mustType(t, s)
		add([]keyCol{{name: "k", t: typ}}, 20)
		add([]keyCol{{name: "k", t: mustType(t, "int")}, {name: "c", t: typ, desc: true}}, 20)
	}
	for range 30 {
		var cols []keyCol
		for i := range 2 + r.IntN(3) {
			cols = append(cols, keyCol{name: string(rune('a' + i)), t: mustType(t, keyTypes[r.IntN(len(keyTypes))]), desc: i > 0 && r.IntN(2) == 0})
		}
		add(cols, 10)
	}
	dec, text := mustType(t, "decimal"), mustType(t, "text")
	for _, d := range [][]byte{
		bigDecimal("1"+strings.Repeat("0", 39)+"7", 5), bigDecimal("-"+strings.Repeat("9", 45), 0),
		bigDecimal("123456789012345678901234567890123", -3), bigDecimal("0", 7),
	} {
		samples = append(samples, sample{[]keyCol{{name: "k", t: dec}, {name: "c", t: dec, desc: true}, {name: "t", t: text}}, [][]byte{d, d, []byte("a\x00b")}})
	}

	var in bytes.Buffer
	var want []string
	for _, s := range samples {
		key, err := encodeKey(nil, s.cols, s.vals)
		if err != nil {
			t.Fatalf("encode %x: %v", s.vals, err)
		}
		var cols, vals []any
		for j, c := range s.cols {
			cols = append(cols, []any{docSpec(c.t), c.desc})
			vals = append(vals, docRender(c.t, s.vals[j]))
		}
		line, _ := json.Marshal(map[string]any{"key": hex.EncodeToString(key), "cols": cols})
		in.Write(append(line, '\n'))
		w, _ := json.Marshal(vals)
		want = append(want, string(w))
	}
	script := filepath.Join(t.TempDir(), "decode.py")
	if err := os.WriteFile(script, []byte(docDecoder(t)+"\n"+pyHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the documented decoder failed: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines decoded, want %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		var g any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, got[i])
		}
		canon, _ := json.Marshal(g)
		if string(canon) != want[i] {
			if bad++; bad <= 10 {
				var desc []string
				for _, c := range samples[i].cols {
					desc = append(desc, fmt.Sprintf("%s %s desc=%v", c.name, c.t, c.desc))
				}
				t.Errorf("key (%s): decoded %s, want %s", strings.Join(desc, ", "), got[i], want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d keys decode wrongly", bad, len(want))
	}
}
