package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/lading-dev/lading/pkg/objstore"
)

// cutDriver cuts the first cuts reads of every object short with a
// connection reset after cutAt bytes, as a flaky network does mid-body.
type cutDriver struct {
	objstore.Driver
	cutAt int64
	cuts  int
	opens []int64 // offsets asked for
}

func (d *cutDriver) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	d.opens = append(d.opens, off)
	r, err := d.Driver.NewRangeReader(ctx, key, off, n)
	if err != nil || d.cuts == 0 {
		return r, err
	}
	d.cuts--
	return &cutReader{r: r, left: d.cutAt}, nil
}

type cutReader struct {
	r    io.ReadCloser
	left int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, syscall.ECONNRESET
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutReader) Close() error { return c.r.Close() }

func TestResumingReader(t *testing.T) {
	ctx := context.Background()
	b, err := objstore.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	if _, err := b.WriteAll(ctx, "part", data, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		cuts     int
		attempts int
		wantErr  bool
	}{
		{"no cut", 0, 1, false},
		{"two cuts resumed", 2, 3, false},
		{"more cuts than attempts", 3, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &cutDriver{Driver: b.Driver(), cutAt: 1<<20 + 5, cuts: tc.cuts}
			fb := objstore.NewBucket(d, b.Location())
			r, err := fb.NewResumingReader(ctx, "part", tc.attempts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if tc.wantErr {
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("err = %v, want the reset after %d attempts", err, tc.attempts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, not the object's %d exact bytes", len(got), len(data))
			}
			want := []int64{0}
			for i := 1; i <= tc.cuts; i++ {
				want = append(want, int64(i)*d.cutAt)
			}
			if len(d.opens) != len(want) {
				t.Fatalf("opened at %v, want %v", d.opens, want)
			}
			for i := range want {
				if d.opens[i] != want[i] {
					t.Fatalf("opened at %v, want %v", d.opens, want)
				}
			}
		})
	}
}
