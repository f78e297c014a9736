package manifest

import (
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUnitID(t *testing.T) {
	cases := []struct {
		token, partitioner, want string
	}{
		{"-9223372036854775808", Murmur3Partitioner, "0000000000000000"},
		{"-9223372036854775807", "Murmur3Partitioner", "0000000000000001"},
		{"-1", Murmur3Partitioner, "7fffffffffffffff"},
		{"0", Murmur3Partitioner, "8000000000000000"},
		{"1", Murmur3Partitioner, "8000000000000001"},
		{"9223372036854775807", Murmur3Partitioner, "ffffffffffffffff"},
		{"-3074457345618258603", Murmur3Partitioner, "5555555555555555"},
		{"-1", RandomPartitioner, "00000000000000000000000000000000"},
		{"0", RandomPartitioner, "00000000000000000000000000000001"},
		{"170141183460469231731687303715884105728", "RandomPartitioner", "80000000000000000000000000000001"},
	}
	for _, tc := range cases {
		got, err := UnitID(tc.token, tc.partitioner)
		if err != nil || got != tc.want {
			t.Errorf("UnitID(%s, %s) = %q, %v; want %q", tc.token, tc.partitioner, got, err, tc.want)
		}
		tu, ok := parseRangeUnitID(got)
		if !ok || tu.start.String() != tc.token {
			t.Errorf("parseRangeUnitID(%q) = %v, %v; want token %s", got, tu.start, ok, tc.token)
		}
	}
	bad := []struct{ token, partitioner, msg string }{
		{"9223372036854775808", Murmur3Partitioner, "outside"},
		{"-9223372036854775809", Murmur3Partitioner, "outside"},
		{"-2", RandomPartitioner, "outside"},
		{"170141183460469231731687303715884105729", RandomPartitioner, "outside"},
		{"01", Murmur3Partitioner, "not a decimal integer"},
		{" 1", Murmur3Partitioner, "not a decimal integer"},
		{"", Murmur3Partitioner, "not a decimal integer"},
		{"1", "org.apache.cassandra.dht.ByteOrderedPartitioner", "not supported"},
	}
	for _, tc := range bad {
		if got, err := UnitID(tc.token, tc.partitioner); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("UnitID(%q, %s) = %q, %v; want an error containing %q", tc.token, tc.partitioner, got, err, tc.msg)
		}
	}
}

// TestUnitIDSortsInRingOrder: string order of IDs is numeric token order.
func TestUnitIDSortsInRingOrder(t *testing.T) {
	for _, p := range []string{Murmur3Partitioner, RandomPartitioner} {
		r, _ := ringOf(p, false)
		var tokens []*big.Int
		for _, s := range []string{"-1", "0", "1", "255", "256", "4096", "9223372036854775807"} {
			v, _ := new(big.Int).SetString(s, 10)
			tokens = append(tokens, v)
		}
		if r == murmur3Ring {
			tokens = append(tokens, big.NewInt(-9223372036854775808), big.NewInt(-4096), big.NewInt(-255))
		} else {
			tokens = append(tokens, new(big.Int).Lsh(big.NewInt(1), 127), new(big.Int).Lsh(big.NewInt(1), 100))
		}
		var ids []string
		for _, tok := range tokens {
			id, err := UnitID(tok.String(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(id) != r.IDWidth {
				t.Errorf("UnitID(%s) = %q: width %d, want %d", tok, id, len(id), r.IDWidth)
			}
			ids = append(ids, id)
		}
		byToken := slices.Clone(ids)
		slices.SortFunc(byToken, func(a, b string) int {
			ta, _ := parseRangeUnitID(a)
			tb, _ := parseRangeUnitID(b)
			return ta.start.Cmp(tb.start)
		})
		byString := slices.Clone(ids)
		slices.Sort(byString)
		if !slices.Equal(byToken, byString) {
			t.Errorf("%s: IDs in token order %v, in string order %v", shortName(p), byToken, byString)
		}
	}
}

func TestKeyUnitID(t *testing.T) {
	for _, n := range []int64{0, 1, 500, 999_999_999_999} {
		id := KeyUnitID(n)
		if len(id) != 13 || id[0] != 'k' {
			t.Errorf("KeyUnitID(%d) = %q", n, id)
		}
		if got, ok := parseKeyUnitID(id); !ok || got != n {
			t.Errorf("parseKeyUnitID(%q) = %d, %v", id, got, ok)
		}
	}
	if KeyUnitID(9) >= KeyUnitID(10) {
		t.Errorf("key unit IDs do not sort numerically")
	}
}

func TestPartName(t *testing.T) {
	cases := []struct {
		unit, attempt string
		seq           int
		ext, want     string
	}{
		{"8000000000000000", "1f3a9c2e", 0, ExtZstd, "part-8000000000000000-1f3a9c2e-000000.ndjson.zst"},
		{"8000000000000000", "1f3a9c2e", 42, ExtGzip, "part-8000000000000000-1f3a9c2e-000042.ndjson.gz"},
		{"k000000001000", "00000000", 999999, ExtNone, "part-k000000001000-00000000-999999.ndjson"},
		{"00000000000000000000000000000001", "ffffffff", 1234567, ExtZstd, "part-00000000000000000000000000000001-ffffffff-1234567.ndjson.zst"},
	}
	for _, tc := range cases {
		got := PartName(tc.unit, tc.attempt, tc.seq, tc.ext)
		if got != tc.want {
			t.Errorf("PartName = %q, want %q", got, tc.want)
		}
		u, a, s, e, err := ParsePartName(got)
		if err != nil || u != tc.unit || a != tc.attempt || s != tc.seq || e != tc.ext {
			t.Errorf("ParsePartName(%q) = %q %q %d %q %v", got, u, a, s, e, err)
		}
	}
	bad := []string{
		"",
		"part-8000000000000000-1f3a9c2e-000000", // no extension
		"part-8000000000000000-1f3a9c2e-000000.ndjson.zstd",          // unknown extension
		"part-8000000000000000-1f3a9c2e-00000.ndjson.zst",            // 5 digits
		"part-8000000000000000-1f3a9c2e-0000001.ndjson.zst",          // leading zero beyond 6
		"part-8000000000000000-1f3a9c2e--00001.ndjson.zst",           // sign
		"part-8000000000000000-1f3a9c2e-+00001.ndjson.zst",           // sign
		"part-8000000000000000-1f3a9c2-000000.ndjson.zst",            // short attempt
		"part-800000000000000-1f3a9c2e-000000.ndjson.zst",            // short unit
		"part-8000000000000000-1f3a9c2e-000000-1.ndjson.zst",         // extra field
		"part-8000000000000000-1f3a9c2e-000000.ndjson.zst.tmp",       // suffix
		"Part-8000000000000000-1f3a9c2e-000000.ndjson.zst",           // prefix case
		"part-k1-1f3a9c2e-000000.ndjson.zst",                         // short key unit
		"part-8000000000000000-1f3a9c2e-99999999999999999999.ndjson", // overflow
		"../part-8000000000000000-1f3a9c2e-000000.ndjson.zst",
	}
	for _, name := range bad {
		if _, _, _, _, err := ParsePartName(name); err == nil {
			t.Errorf("ParsePartName(%q) accepted", name)
		}
	}
	// Sequence numbers sort.
	if PartName("8000000000000000", "1f3a9c2e", 9, ExtZstd) >= PartName("8000000000000000", "1f3a9c2e", 10, ExtZstd) {
		t.Errorf("part names do not sort by sequence")
	}
}

func TestAttemptID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		a := NewAttemptID()
		if !ValidAttemptID(a) {
			t.Fatalf("NewAttemptID() = %q is not valid", a)
		}
		seen[a] = true
	}
	if len(seen) < 99 {
		t.Errorf("100 attempt IDs, only %d distinct", len(seen))
	}
	for _, bad := range []string{"", "1234567", "123456789", "1234567G", "ABCDEF12", "1234-567"} {
		if ValidAttemptID(bad) {
			t.Errorf("ValidAttemptID(%q) = true", bad)
		}
	}
}

func TestCommitName(t *testing.T) {
	if got := CommitName("8000000000000000"); got != "_state/commits/8000000000000000.json" {
		t.Errorf("CommitName = %q", got)
	}
	for _, id := range []string{"8000000000000000", "k000000000500", "00000000000000000000000000000001"} {
		if u, ok := ParseCommitName(CommitName(id)); !ok || u != id {
			t.Errorf("ParseCommitName(CommitName(%q)) = %q, %v", id, u, ok)
		}
	}
	for _, bad := range []string{"_state/commits/x.json", "_state/commits/8000000000000000", "_state/commits/../8000000000000000.json", "commits/8000000000000000.json", "_state/commits/8000000000000000.json.tmp"} {
		if u, ok := ParseCommitName(bad); ok {
			t.Errorf("ParseCommitName(%q) = %q, true", bad, u)
		}
	}
}

func TestTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 22, 15, 45, 30, 999_000_000, time.FixedZone("CET", 3600))
	s := FormatTimestamp(at)
	if s != "20261122T144530Z" {
		t.Errorf("FormatTimestamp = %q", s)
	}
	got, err := ParseTimestamp(s)
	if err != nil || !got.Equal(at.Truncate(time.Second)) || got.Location() != time.UTC {
		t.Errorf("ParseTimestamp(%q) = %v, %v", s, got, err)
	}
	for _, bad := range []string{"", "20261122T144530", "20261122t144530Z", "2026-11-22T14:45:30Z", "20261322T144530Z", "20261122T246030Z", "120261122T144530Z", "20261122T144530Z "} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", bad)
		}
	}
	// Timestamps sort as times do.
	a, b := FormatTimestamp(at), FormatTimestamp(at.Add(time.Second))
	if a >= b {
		t.Errorf("%s >= %s", a, b)
	}
}

func TestBatchAndTableNames(t *testing.T) {
	for _, ok := range []string{"2026-11-22", "daily", "dr.test_2", "A"} {
		if err := ValidateBatch(ok); err != nil {
			t.Errorf("ValidateBatch(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "_state", "-x", "a/b", `a\b`, "a b", "caf\u00e9", strings.Repeat("a", 201), "a\x00"} {
		if err := ValidateBatch(bad); err == nil {
			t.Errorf("ValidateBatch(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"shop.orders", "Shop_1.T2", "dynamodb.my-table.v2", "dynamodb.a.b", "dynamodb..-_", "dynamodb." + strings.Repeat("a", 246)} {
		if err := ValidateTableName(ok); err != nil {
			t.Errorf("ValidateTableName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "shop", "shop.", ".orders", "shop.orders.x", "shop/orders", "shop.or-ders", "shop..orders", "shop.orders.v2",
		"dynamodb." + strings.Repeat("a", 247), "dynamodb." + strings.Repeat("a", 255), "dynamodb.a/b", "dynamodb.a b", "dynamo-db.orders", "dynamodb"} {
		if err := ValidateTableName(bad); err == nil {
			t.Errorf("ValidateTableName(%q) accepted", bad)
		}
	}
	if got := DumpPrefix("2026-11-22", "shop.orders", "20261122T154530Z"); got != "2026-11-22/shop.orders/20261122T154530Z/" {
		t.Errorf("DumpPrefix = %q", got)
	}
	if got := DumpMarkerKey("2026-11-22", "shop.orders"); got != "2026-11-22/shop.orders/_state/dump.json" {
		t.Errorf("DumpMarkerKey = %q", got)
	}
}

func TestExtForCompression(t *testing.T) {
	for c, want := range map[string]string{"zstd": ".ndjson.zst", "gzip": ".ndjson.gz", "none": ".ndjson"} {
		if got, err := ExtForCompression(c); err != nil || got != want {
			t.Errorf("ExtForCompression(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ExtForCompression("ZSTD"); err == nil || !strings.Contains(err.Error(), strconv.Quote("ZSTD")) {
		t.Errorf("ExtForCompression(ZSTD) = %v", err)
	}
}

// A DynamoDB name goes into a dump path as it is and comes back from it
// exactly; names DynamoDB refuses, or too long for a path segment, are
// refused.
func TestDynamoDBDumpTable(t *testing.T) {
	for _, name := range []string{"orders", "prod-orders.v2", "a.b", "...", "-x-", "A_b.c-D", strings.Repeat("z", MaxDynamoDBDumpName)} {
		d, err := DynamoDBDumpTable(name)
		if err != nil {
			t.Errorf("DynamoDBDumpTable(%q): %v", name, err)
			continue
		}
		if err := ValidateTableName(d); err != nil {
			t.Errorf("ValidateTableName(%q): %v", d, err)
		}
		if back, ok := DynamoDBTableName(d); !ok || back != name {
			t.Errorf("DynamoDBTableName(%q) = %q, %v; want %q", d, back, ok, name)
		}
	}
	for _, name := range []string{"ab", "", "a/b", "a b", "caf\u00e9", strings.Repeat("z", MaxDynamoDBDumpName+1), strings.Repeat("z", 256)} {
		if d, err := DynamoDBDumpTable(name); err == nil {
			t.Errorf("DynamoDBDumpTable(%q) = %q, want an error", name, d)
		}
	}
	for _, d := range []string{"shop.orders", "dynamodb", "dynamodb.ab", "dynamo.orders", "dynamodb." + strings.Repeat("z", MaxDynamoDBDumpName+1)} {
		if name, ok := DynamoDBTableName(d); ok {
			t.Errorf("DynamoDBTableName(%q) = %q, want none", d, name)
		}
	}
}
