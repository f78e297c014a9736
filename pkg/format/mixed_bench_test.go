package format

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/schema"
)

// mixedRows returns n rows shaped like scripts/gen's table, the one the
// side-by-side bench exports: text, bigint, timestamp, uuid, decimal, a
// blob of 4096·u³ bytes (mostly small; half random bytes, half text), a
// map<text, text> and a set<text>.
func mixedRows(tb testing.TB, n int) (*schema.Table, []Row) {
	tb.Helper()
	t := &schema.Table{Keyspace: "lading_bench", Name: "events", Columns: []schema.Column{
		{Name: "tenant", Type: "text", Role: schema.PartitionKey},
		{Name: "shard", Type: "bigint", Role: schema.PartitionKey, Position: 1},
		{Name: "seq", Type: "bigint", Role: schema.Clustering, Order: schema.Asc},
		{Name: "amount", Type: "decimal", Role: schema.Regular},
		{Name: "at", Type: "timestamp", Role: schema.Regular},
		{Name: "attrs", Type: "map<text, text>", Role: schema.Regular},
		{Name: "id", Type: "uuid", Role: schema.Regular},
		{Name: "name", Type: "text", Role: schema.Regular},
		{Name: "payload", Type: "blob", Role: schema.Regular},
		{Name: "tags", Type: "set<text>", Role: schema.Regular},
	}}
	if err := t.Resolve(); err != nil {
		tb.Fatal(err)
	}
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"}
	rng := rand.New(rand.NewPCG(18, 1))
	rows := make([]Row, n)
	for i := range rows {
		id := make([]byte, 16)
		binary.BigEndian.PutUint64(id, rng.Uint64())
		binary.BigEndian.PutUint64(id[8:], rng.Uint64())
		u := rng.Float64()
		payload := make([]byte, int(4096*u*u*u))
		if rng.IntN(2) == 0 {
			for k := range payload {
				payload[k] = byte(rng.Uint32())
			}
		} else {
			for k := 0; k < len(payload); {
				k += copy(payload[k:], words[rng.IntN(len(words))]+" ")
			}
		}
		var attrs [][]byte
		for range 1 + rng.IntN(4) {
			attrs = append(attrs, []byte(words[rng.IntN(len(words))]), []byte("v"+string(rune('0'+rng.IntN(10)))+"12"))
		}
		rows[i] = Row{Values: [][]byte{
			[]byte("tenant-0" + string(rune('0'+i/1000%10)) + "77"),
			i64(int64(i / 50)),
			i64(int64(i % 50)),
			dec(big.NewInt(rng.Int64N(1e10)-5e9), 3),
			i64(1_700_000_000_000 + rng.Int64N(1e11)),
			coll(len(attrs)/2, attrs...),
			id,
			[]byte(words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))] + " 17339"),
			payload,
			coll(2, []byte(words[rng.IntN(len(words))]), []byte(words[rng.IntN(len(words))]+"x")),
		}}
	}
	return t, rows
}

// BenchmarkExportHotPath is the exporter's work per row after the scan,
// on rows like the bench table's: "encode" is the NDJSON encoding alone;
// "part" adds zstd at the default (fastest) level and the CRC32C and
// SHA-256 the store's writer computes over the compressed bytes.
// cpu-ns/row is the process's CPU (user + system, the collector's
// included), less noisy than wall time on a shared machine.
func BenchmarkExportHotPath(b *testing.B) {
	t, rows := mixedRows(b, 4000)
	enc, err := NewEncoder(t, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		var line []byte
		var n int64
		cpu := testenv.SelfCPU()
		for i := 0; b.Loop(); i++ {
			if line, err = enc.AppendRow(line[:0], &rows[i%len(rows)]); err != nil {
				b.Fatal(err)
			}
			n += int64(len(line))
		}
		cpu = testenv.SelfCPU() - cpu
		b.SetBytes(n / int64(b.N))
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
	})
	b.Run("part", func(b *testing.B) {
		sink := &hashingDiscard{crc: crc32.New(crc32.MakeTable(crc32.Castagnoli)), sha: sha256.New()}
		w, err := NewPartWriter(sink, Zstd, CompressOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var line []byte
		b.ReportAllocs()
		cpu := testenv.SelfCPU()
		for i := 0; b.Loop(); i++ {
			if line, err = enc.AppendRow(line[:0], &rows[i%len(rows)]); err != nil {
				b.Fatal(err)
			}
			if err := w.WriteRow(line); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		cpu = testenv.SelfCPU() - cpu
		b.SetBytes(w.Bytes() / int64(b.N))
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/row")
		b.ReportMetric(float64(w.Bytes())/float64(max(w.StoredBytes(), 1)), "ratio")
	})
}

// hashingDiscard measures what is written as objstore's writer does, and
// keeps nothing.
type hashingDiscard struct {
	crc io.Writer
	sha io.Writer
}

func (h *hashingDiscard) Write(p []byte) (int, error) {
	h.crc.Write(p)
	h.sha.Write(p)
	return len(p), nil
}
