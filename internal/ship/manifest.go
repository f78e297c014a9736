package ship

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// readManifest reads a dump's manifest.json and decodes it strictly. A
// manifest that is malformed, hostile or that names another dump is bad
// input (exit 2); a complete dump without one is a failed verification.
func readManifest(ctx context.Context, b *objstore.Bucket, d discover.Dump) ([]byte, *manifest.Manifest, error) {
	data, err := b.ReadAll(ctx, d.ManifestKey())
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil, fault.Verifyf("dump %s: marked complete but has no %s", d, manifest.ManifestName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dump %s: %w", d, err)
	}
	m, err := checkManifest(d, data)
	return data, m, err
}

// checkManifest decodes manifest bytes of dump d strictly and checks that
// they describe d and only name files inside it.
func checkManifest(d discover.Dump, data []byte) (*manifest.Manifest, error) {
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		return nil, fault.Usage(fmt.Errorf("dump %s: bad %s: %w", d, manifest.ManifestName, err))
	}
	for _, c := range []struct{ field, got, want string }{
		{"batch", m.Batch, d.Batch}, {"table", m.Table, d.Table}, {"timestamp", m.Timestamp, d.Timestamp},
	} {
		if c.got != c.want {
			return nil, fault.Usagef("dump %s: bad %s: %s: %q, but the dump's path says %q", d, manifest.ManifestName, c.field, c.got, c.want)
		}
	}
	for i, f := range m.Files {
		if err := objstore.ValidateKey(d.Key(f.Name)); err != nil || reserved(f.Name) {
			return nil, fault.Usagef("dump %s: bad %s: files[%d].name: %q is not a part name inside the dump", d, manifest.ManifestName, i, f.Name)
		}
		if _, err := parseCRC(f.CRC32C); err != nil {
			return nil, fault.Usagef("dump %s: bad %s: files[%d].crc32c: %v", d, manifest.ManifestName, i, err)
		}
	}
	return m, nil
}

// reserved reports names a part may never have: the dump's own documents.
func reserved(name string) bool {
	return name == manifest.ManifestName || name == manifest.SuccessName || strings.HasPrefix(name, "_state/")
}
