package manifest

import (
	"fmt"
	"math/big"
	"testing"
)

// bigManifest is a dump of n units of one part each, as a 256-vnode
// cluster's export would have: n ranges spread evenly over the ring.
func bigManifest(b *testing.B, n int) *Manifest {
	b.Helper()
	p := examplePlan()
	step := new(big.Int).Div(murmur3Ring.Size(), big.NewInt(int64(n)))
	tok := func(i int) string {
		if i == n {
			return exMin
		}
		v := new(big.Int).Mul(step, big.NewInt(int64(i)))
		return v.Add(v, murmur3Ring.Min).String()
	}
	p.Units = nil
	var commits []*Commit
	for i := range n {
		r := []TokenRange{{tok(i), tok(i + 1)}}
		id, _ := UnitID(r[0].Start, Murmur3Partitioner)
		p.Units = append(p.Units, Unit{ID: id, Ranges: r})
		att := fmt.Sprintf("%08x", i)
		commits = append(commits, &Commit{
			Format: FormatCommit, Unit: id, Attempt: att, Ranges: r,
			Files: []File{{
				Name: PartName(id, att, 0, ExtZstd), Unit: id, Rows: 1000, Bytes: 600_000, StoredBytes: 150_000,
				CRC32C: "0123abcd", SHA256: "4f1b9e0c2d7a8b36e5f40c19a2d3b7e8f6a5c4d3e2b1a09f8e7d6c5b4a392817", Ranges: r, ReadAt: p.Created,
			}},
			Rows: 1000, Started: p.Created, Finished: p.Created,
		})
	}
	m, err := Assemble(p, commits, exampleTool)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkDecodeManifest(b *testing.B) {
	for _, n := range []int{3, 10_000} {
		var data []byte
		if n == 3 {
			data = readGolden(b, "manifest.golden.json")
		} else {
			var err error
			if data, err = bigManifest(b, n).Marshal(); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeManifest(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshalManifest(b *testing.B) {
	m := bigManifest(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
