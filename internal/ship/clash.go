package ship

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// markedSHA256 is the one field of a _SUCCESS note (the shipper's or the
// exporter's) that says which dump it marks.
type markedSHA256 struct {
	ManifestSHA256 string `json:"manifest_sha256"`
}

// sameDump checks that the dump marked complete at the destination is
// the source's dump and not another one given the same path (say, a
// batch exported again after its first dump was shipped and deleted):
// the destination _SUCCESS's manifest_sha256 must equal the SHA-256 of
// the source's manifest.json. A difference is a verification failure
// naming both; nothing is copied over a complete dump, nor is the source
// deleted. A destination note without the field (another tool's marker)
// is judged by the destination's manifest.json instead; with neither,
// there is nothing to compare and the marker is left as it is.
func (s *shipper) sameDump(ctx context.Context, d discover.Dump) error {
	note, err := s.c.dst.ReadAll(ctx, d.SuccessKey())
	if err != nil {
		return fmt.Errorf("--to: dump %s: read %s: %w", d, manifest.SuccessName, err)
	}
	var marked markedSHA256
	dstSum, what := "", s.c.dst.Location().Join(d.SuccessKey()).String()
	if json.Unmarshal(note, &marked) == nil && marked.ManifestSHA256 != "" {
		dstSum = marked.ManifestSHA256
	} else {
		data, err := s.c.dst.ReadAll(ctx, d.ManifestKey())
		if errors.Is(err, objstore.ErrNotFound) {
			s.log.Warn("marked complete at the destination without a manifest_sha256 or a manifest; cannot tell which dump it is, left as it is",
				"dump", d.String(), "marker", what)
			return nil
		}
		if err != nil {
			return fmt.Errorf("--to: dump %s: %w", d, err)
		}
		dstSum, what = sha256Hex(data), s.c.dst.Location().Join(d.ManifestKey()).String()
	}
	data, err := s.c.src.ReadAll(ctx, d.ManifestKey())
	if errors.Is(err, objstore.ErrNotFound) {
		return fault.Verifyf("dump %s: marked complete but has no %s", d, manifest.ManifestName)
	}
	if err != nil {
		return fmt.Errorf("--from: dump %s: %w", d, err)
	}
	if srcSum := sha256Hex(data); srcSum != dstSum {
		return fault.Verifyf("dump %s: another dump is complete under its path at the destination: %s names manifest sha256 %s, the source's %s has sha256 %s; nothing copied or deleted (export the table into a new --batch)",
			d, what, dstSum, s.c.src.Location().Join(d.ManifestKey()), srcSum)
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
