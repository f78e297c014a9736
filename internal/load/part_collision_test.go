package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/url"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
)

// patchCRC rewrites b[at:at+4] so that the CRC32C of b becomes want.
// CRC is affine over GF(2): flipping a set of bits changes the checksum
// by the XOR of what each bit changes it by alone, so the 32 bits of the
// patch are found by solving a 32x32 linear system.
func patchCRC(t *testing.T, b []byte, at int, want uint32) {
	t.Helper()
	clear(b[at : at+4])
	base := crc32.Checksum(b, objstore.Castagnoli)
	// Each row: the change one patch bit makes (low 32 bits) and, above
	// them, which patch bits the row combines.
	var rows [32]uint64
	for i := range 32 {
		b[at+i/8] ^= 1 << (i % 8)
		rows[i] = uint64(crc32.Checksum(b, objstore.Castagnoli)^base) | uint64(1)<<(32+i)
		b[at+i/8] ^= 1 << (i % 8)
	}
	// Gauss-Jordan elimination on the checksum bits.
	for bit := range 32 {
		p := -1
		for r := bit; r < 32; r++ {
			if rows[r]>>bit&1 == 1 {
				p = r
				break
			}
		}
		if p < 0 {
			t.Fatalf("patch at %d cannot reach every checksum", at)
		}
		rows[bit], rows[p] = rows[p], rows[bit]
		for r := range 32 {
			if r != bit && rows[r]>>bit&1 == 1 {
				rows[r] ^= rows[bit]
			}
		}
	}
	// Row k now changes exactly checksum bit k.
	need := want ^ base
	var bits uint64
	for k := range 32 {
		if need>>k&1 == 1 {
			bits ^= rows[k] >> 32
		}
	}
	for i := range 32 {
		if bits>>i&1 == 1 {
			b[at+i/8] ^= 1 << (i % 8)
		}
	}
	if got := crc32.Checksum(b, objstore.Castagnoli); got != want {
		t.Fatalf("patched CRC32C %08x, want %08x", got, want)
	}
}

// s3TestStore opens a fresh prefix of the test S3 bucket, emptied at
// the end.
func s3TestStore(t *testing.T) *objstore.Bucket {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	suffix := make([]byte, 4)
	rand.Read(suffix)
	b, err := objstore.Open(context.Background(), "s3://"+bucket+"/load-twice/"+hex.EncodeToString(suffix)+"?endpoint="+url.QueryEscape(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		objs, _, _ := b.ListAll(context.Background(), "", "")
		for _, o := range objs {
			b.Delete(context.Background(), o.Key)
		}
		b.Close()
	})
	return b
}

// A part that changes between the two reads of read-twice in a way that
// keeps each 1 MiB chunk's CRC32C (an easy collision: CRC is linear) is
// caught all the same: no byte of the changed chunk is handed on, and
// the error says which chunks were.
func TestReadTwiceCatchesCRCCollision(t *testing.T) {
	ctx := context.Background()
	stores := map[string]*objstore.Bucket{"file": fileStore(t), "s3": s3TestStore(t)}
	for name, b := range stores {
		t.Run(name, func(t *testing.T) {
			data := randomBytes(3 * chunkSize)
			f := putPart(t, b, "part-collide", data)
			v, err := NewVerifier(t.TempDir(), 0, report.New("t"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Prove(ctx, b, f.Name, f)
			if err != nil {
				t.Fatal(err)
			}
			if p.Strategy != Twice {
				t.Fatalf("strategy %s, want read-twice", p.Strategy)
			}
			changed := bytes.Clone(data)
			chunk := changed[chunkSize : 2*chunkSize]
			copy(chunk[1000:], "a different row")
			patchCRC(t, chunk, 5000, crc32.Checksum(data[chunkSize:2*chunkSize], objstore.Castagnoli))
			if bytes.Equal(changed, data) {
				t.Fatal("the change changed nothing")
			}
			if _, err := b.WriteAll(ctx, f.Name, changed, nil); err != nil {
				t.Fatal(err)
			}
			got, err := readAllPart(t, p)
			if fault.Code(err) != fault.ExitVerify {
				t.Fatalf("second read of a part changed under an equal CRC32C: %d bytes, err %v (exit %d), want a verification failure", len(got), err, fault.Code(err))
			}
			msg := fmt.Sprint(err)
			for _, want := range []string{"part-collide", "chunk 1", "chunks 0..0", "byte-identical"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "nothing of it was written") {
				t.Errorf("error %q claims nothing was written, but chunk 0 was handed on", msg)
			}
			if !bytes.Equal(got, data[:chunkSize]) {
				t.Errorf("handed out %d bytes, want exactly the first (unchanged) chunk", len(got))
			}
		})
	}
}
