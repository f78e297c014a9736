package format

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// benchRow is a realistic row of about 600 bytes of JSON: a dozen columns
// of the common types.
func benchRow(tb testing.TB) (*schema.Table, *Row) {
	tb.Helper()
	t := &schema.Table{Keyspace: "shop", Name: "orders", Columns: []schema.Column{
		{Name: "order_id", Type: "uuid", Role: schema.PartitionKey},
		{Name: "created_at", Type: "timestamp", Role: schema.Clustering, Order: schema.Desc},
		{Name: "customer", Type: "text", Role: schema.Regular},
		{Name: "email", Type: "text", Role: schema.Regular},
		{Name: "quantity", Type: "bigint", Role: schema.Regular},
		{Name: "price", Type: "double", Role: schema.Regular},
		{Name: "paid", Type: "boolean", Role: schema.Regular},
		{Name: "tags", Type: "set<text>", Role: schema.Regular},
		{Name: "counts", Type: "map<text, int>", Role: schema.Regular},
		{Name: "payload", Type: "blob", Role: schema.Regular},
		{Name: "total", Type: "decimal", Role: schema.Regular},
		{Name: "note", Type: "text", Role: schema.Regular},
	}}
	if err := t.Resolve(); err != nil {
		tb.Fatal(err)
	}
	payload := make([]byte, 100)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	r := &Row{Values: [][]byte{
		{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00},
		i64(1795362330123),
		[]byte("Zoë Müller-Lüdenscheidt"),
		[]byte("zoe.mueller@example.com"),
		i64(42),
		f64(1234.5678),
		{1},
		coll(3, []byte("express"), []byte("gift"), []byte("priority")),
		coll(4, []byte("apples"), i32(3), []byte("bananas"), i32(12), []byte("cherries"), i32(250), []byte("dates"), i32(-1)),
		payload,
		dec(big.NewInt(5185138476), 4),
		[]byte("Leave at the back door, next to the \"blue\" bin; ring twice.\nSecond floor, flat 3b — code 4711."),
	}}
	return t, r
}

// vary changes r in place: a new id, time, numbers and random payload, so
// that compression sees realistic, not identical, rows.
func vary(r *Row, rng *rand.Rand) {
	binary.BigEndian.PutUint64(r.Values[0], rng.Uint64())
	binary.BigEndian.PutUint64(r.Values[1], uint64(1795362330123+rng.Int64N(1e9)))
	binary.BigEndian.PutUint64(r.Values[4], uint64(rng.IntN(1000)))
	binary.BigEndian.PutUint64(r.Values[5], math.Float64bits(float64(rng.IntN(1000000))/100))
	for k := 0; k+8 <= len(r.Values[9]); k += 8 {
		binary.BigEndian.PutUint64(r.Values[9][k:], rng.Uint64())
	}
	binary.BigEndian.PutUint32(r.Values[10][len(r.Values[10])-4:], rng.Uint32())
}

func BenchmarkEncodeRow(b *testing.B) {
	t, r := benchRow(b)
	enc, err := NewEncoder(t, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	buf, err := enc.AppendRow(nil, r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if buf, err = enc.AppendRow(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeRow(b *testing.B) {
	t, r := benchRow(b)
	enc, _ := NewEncoder(t, nil, Options{})
	dec, err := NewDecoder(t, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	line, err := enc.AppendRow(nil, r)
	if err != nil {
		b.Fatal(err)
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	var out Row
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := dec.DecodeRow(line, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPartWriterZstd measures encoding plus zstd compression at the
// default level, the exporter's path from raw row to stored bytes.
func BenchmarkPartWriterZstd(b *testing.B) {
	for _, c := range []struct {
		name string
		opts CompressOptions
	}{{"default", CompressOptions{}}, {"fastest", CompressOptions{Level: 1}}, {"concurrency4", CompressOptions{Concurrency: 4}}} {
		b.Run(c.name, func(b *testing.B) {
			t, r := benchRow(b)
			enc, _ := NewEncoder(t, nil, Options{})
			rng := rand.New(rand.NewPCG(7, 8))
			line, _ := enc.AppendRow(nil, r)
			w, err := NewPartWriter(io.Discard, Zstd, c.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				vary(r, rng)
				if line, err = enc.AppendRow(line[:0], r); err != nil {
					b.Fatal(err)
				}
				if err := w.WriteRow(line); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(w.Bytes())/float64(max(w.StoredBytes(), 1)), "ratio")
		})
	}
}

// BenchmarkPartReaderZstd measures decompression plus line splitting.
func BenchmarkPartReaderZstd(b *testing.B) {
	t, r := benchRow(b)
	enc, _ := NewEncoder(t, nil, Options{})
	var lines [][]byte
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		vary(r, rng)
		line, _ := enc.AppendRow(nil, r)
		lines = append(lines, line)
	}
	part := writePart(b, Zstd, CompressOptions{}, lines)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pr, err := NewPartReader(bytes.NewReader(part), "p.ndjson.zst")
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := pr.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		pr.Close()
	}
}

// TestAllocs pins the allocation-free hot paths: encoding into a reused
// buffer and decoding into a reused Row.
func TestAllocs(t *testing.T) {
	tb, r := benchRow(t)
	enc, _ := NewEncoder(tb, nil, Options{})
	dec, _ := NewDecoder(tb, nil, Options{})
	buf, _ := enc.AppendRow(nil, r)
	if n := testing.AllocsPerRun(100, func() { buf, _ = enc.AppendRow(buf[:0], r) }); n != 0 {
		t.Errorf("AppendRow: %v allocations per row, want 0", n)
	}
	var out Row
	line := bytes.TrimSuffix(buf, []byte("\n"))
	if err := dec.DecodeRow(line, &out); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = dec.DecodeRow(line, &out) }); n != 0 {
		t.Errorf("DecodeRow: %v allocations per row, want 0", n)
	}
}
