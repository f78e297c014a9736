package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

func fileStore(t *testing.T) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func putPart(t *testing.T, b *objstore.Bucket, name string, data []byte) *manifest.File {
	t.Helper()
	if _, err := b.WriteAll(context.Background(), name, data, nil); err != nil {
		t.Fatal(err)
	}
	sha := sha256.Sum256(data)
	return &manifest.File{Name: name, StoredBytes: int64(len(data)),
		CRC32C: fmt.Sprintf("%08x", crc32.Checksum(data, objstore.Castagnoli)), SHA256: hex.EncodeToString(sha[:])}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func readAllPart(t *testing.T, p *Part) ([]byte, error) {
	t.Helper()
	rc, err := p.Open(context.Background())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestProveHandsOutExactBytes(t *testing.T) {
	ctx := context.Background()
	b := fileStore(t)
	for _, size := range []int{0, 1, chunkSize, chunkSize + 1, 3*chunkSize - 7} {
		data := randomBytes(size)
		f := putPart(t, b, fmt.Sprintf("p%d", size), data)
		for _, budget := range []int64{0, 64 << 20} {
			v, err := NewVerifier(t.TempDir(), budget, report.New("t"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Prove(ctx, b, f.Name, f)
			if err != nil {
				t.Fatalf("size %d budget %d: %v", size, budget, err)
			}
			want := Twice
			if budget > 0 {
				want = Spool
			}
			if p.Strategy != want {
				t.Errorf("size %d budget %d: strategy %s, want %s", size, budget, p.Strategy, want)
			}
			got, err := readAllPart(t, p)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("size %d budget %d: read %d bytes (%v), want the %d written", size, budget, len(got), err, size)
			}
			p.Close()
		}
	}
}

func TestProveRefusesCorruptParts(t *testing.T) {
	ctx := context.Background()
	b := fileStore(t)
	data := randomBytes(2*chunkSize + 100)
	good := putPart(t, b, "part-good", data)
	cases := map[string]func(f manifest.File) manifest.File{
		"crc32c": func(f manifest.File) manifest.File { f.CRC32C = "00000000"; return f },
		"sha256": func(f manifest.File) manifest.File { f.SHA256 = strings.Repeat("0", 64); return f },
		"size":   func(f manifest.File) manifest.File { f.StoredBytes--; return f },
	}
	for name, mutate := range cases {
		for _, budget := range []int64{0, 64 << 20} {
			f := mutate(*good)
			v, _ := NewVerifier(t.TempDir(), budget, report.New("t"))
			_, err := v.Prove(ctx, b, f.Name, &f)
			var ce *CorruptError
			if !errors.As(err, &ce) || fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), "part-good") || !strings.Contains(err.Error(), name) {
				t.Errorf("%s budget %d: %v (exit %d), want a verification error naming the part and %s", name, budget, err, fault.Code(err), name)
			}
		}
	}
}

// With read-twice, bytes that change between the reads are caught chunk
// by chunk: the chunks before the change are handed out (they match the
// proven bytes), the changed one never is.
func TestReadTwiceCatchesChangeBetweenReads(t *testing.T) {
	ctx := context.Background()
	b := fileStore(t)
	data := randomBytes(3 * chunkSize)
	f := putPart(t, b, "part-x", data)
	v, _ := NewVerifier(t.TempDir(), 0, report.New("t"))
	p, err := v.Prove(ctx, b, f.Name, f)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(data)
	changed[chunkSize+5] ^= 1
	if _, err := b.WriteAll(ctx, f.Name, changed, nil); err != nil {
		t.Fatal(err)
	}
	got, err := readAllPart(t, p)
	if fault.Code(err) != fault.ExitVerify || !strings.Contains(fmt.Sprint(err), "chunk 1") {
		t.Fatalf("second read: %v, want a verification error in chunk 1", err)
	}
	if len(got) != chunkSize || !bytes.Equal(got, data[:chunkSize]) {
		t.Errorf("handed out %d bytes before the change, want exactly the first chunk", len(got))
	}
}

// The chooser reads twice when the store is measured faster than the
// spool disk, and always when a part exceeds the budget.
func TestChooseStrategy(t *testing.T) {
	v, _ := NewVerifier(t.TempDir(), 10<<20, report.New("t"))
	if got := v.choose(20 << 20); got != Twice {
		t.Errorf("part above the budget: %s", got)
	}
	if got := v.choose(1 << 20); got != Spool {
		t.Errorf("no measurements: %s, want spool", got)
	}
	v.storeRate.add(100<<20, 1e9) // 100 MiB/s
	v.diskRate.add(10<<20, 1e9)   // 10 MiB/s
	if got := v.choose(1 << 20); got != Twice {
		t.Errorf("fast store, slow disk: %s, want read-twice", got)
	}
	v.diskRate.add(1000<<20, 1e9)
	if got := v.choose(1 << 20); got != Spool {
		t.Errorf("fast disk: %s, want spool", got)
	}
}
