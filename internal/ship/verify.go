package ship

import (
	"context"
	"crypto/sha256"
	"hash/crc32"
	"io"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// cleanupTimeout bounds deletes made after a failure, which must happen
// even when the run's context is done.
const cleanupTimeout = 2 * time.Minute

// hashObject reads a whole object and measures it.
func hashObject(ctx context.Context, b *objstore.Bucket, key string) (objstore.Sum, error) {
	r, err := b.NewReader(ctx, key)
	if err != nil {
		return objstore.Sum{}, err
	}
	defer r.Close()
	crc := crc32.New(objstore.Castagnoli)
	sha := sha256.New()
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	n, err := io.CopyBuffer(io.MultiWriter(crc, sha), r, *buf)
	if err != nil {
		return objstore.Sum{}, err
	}
	s := objstore.Sum{Size: n, CRC32C: crc.Sum32()}
	copy(s.SHA256[:], sha.Sum(nil))
	return s, nil
}
