package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// readConcurrency bounds the commits read at once by a finisher.
const readConcurrency = 16

// finish completes a dump whose every unit is committed: it assembles
// manifest.json from the plan and the commits alone (deterministic bytes,
// so a second finisher writes the same object), deletes the parts no
// commit lists, and writes _SUCCESS last. It returns nil, nil when some
// unit has no commit yet.
func (x *exporter) finish(ctx context.Context) (*manifest.Manifest, error) {
	units, err := x.committedUnits(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range x.plan.Units {
		if !units[u.ID] {
			return nil, nil
		}
	}
	commits := make([]*manifest.Commit, len(x.plan.Units))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for i, u := range x.plan.Units {
		g.Go(func() error {
			cm, err := x.readCommit(gctx, u.ID)
			commits[i] = cm
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m, err := manifest.Assemble(x.plan, commits, tool())
	if err != nil {
		return nil, fault.Usagef("assemble the manifest of %s: %w", x.d, err)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", x.d, err)
	}
	if err := x.writeManifest(ctx, m, data); err != nil {
		return nil, err
	}
	if err := x.sweep(ctx, m); err != nil {
		return nil, err
	}
	if err := x.writeSuccess(ctx, m, data); err != nil {
		return nil, err
	}
	return m, nil
}

// writeManifest creates manifest.json. If it exists (another finisher),
// it must list the same files: equal bytes, or (written by another
// version) an equal list of parts.
func (x *exporter) writeManifest(ctx context.Context, m *manifest.Manifest, data []byte) error {
	key := x.d.key(manifest.ManifestName)
	err := x.root.CreateIfAbsent(ctx, key, data)
	if err == nil {
		x.logger.Info("manifest written", "files", m.Totals.Files, "rows", m.Totals.Rows)
		return nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("write manifest: %w", err)
	}
	old, err := x.root.ReadAll(ctx, key)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	if bytes.Equal(old, data) {
		return nil
	}
	om, err := manifest.DecodeManifest(old)
	if err != nil {
		return fault.Verifyf("%s exists and is not a valid manifest: %w", x.root.Location().Join(key), err)
	}
	if !sameFiles(om.Files, m.Files) {
		return fault.Verifyf("%s exists and lists other parts than the dump's commits", x.root.Location().Join(key))
	}
	return nil
}

func sameFiles(a, b []manifest.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].SHA256 != b[i].SHA256 || a[i].Rows != b[i].Rows {
			return false
		}
	}
	return true
}

// sweep deletes the parts in the dump's prefix that the manifest does not
// list: those of attempts that lost their commit or never made one.
func (x *exporter) sweep(ctx context.Context, m *manifest.Manifest) error {
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Name] = true
	}
	objs, _, err := x.root.ListAll(ctx, x.d.prefix, "/")
	if err != nil {
		return fmt.Errorf("list dump: %w", err)
	}
	deleted := 0
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, x.d.prefix)
		if !strings.HasPrefix(name, "part-") || listed[name] {
			continue
		}
		if _, _, _, _, err := manifest.ParsePartName(name); err != nil {
			continue
		}
		if err := x.root.Delete(ctx, o.Key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return fmt.Errorf("delete unlisted part: %w", err)
		}
		deleted++
	}
	if deleted > 0 {
		x.logger.Info("deleted parts no commit lists", "parts", deleted)
		x.run.Add("parts_deleted", int64(deleted))
	}
	return nil
}

// writeSuccess writes _SUCCESS, last; one already there is kept.
func (x *exporter) writeSuccess(ctx context.Context, m *manifest.Manifest, manifestData []byte) error {
	sum := sha256.Sum256(manifestData)
	s := manifest.ExportedNote{
		Format:         manifest.FormatExported,
		Tool:           tool(),
		Dump:           x.d.String(),
		Files:          m.Totals.Files,
		Rows:           m.Totals.Rows,
		StoredBytes:    m.Totals.StoredBytes,
		ManifestSHA256: hex.EncodeToString(sum[:]),
		FinishedAt:     x.cfg.Now().UTC().Truncate(time.Millisecond),
	}
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	err = x.root.CreateIfAbsent(ctx, x.d.key(manifest.SuccessName), data)
	if err != nil && !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("write _SUCCESS: %w", err)
	}
	if err == nil {
		x.logger.Info("dump complete", "files", m.Totals.Files, "rows", m.Totals.Rows, "stored_bytes", m.Totals.StoredBytes)
	}
	return nil
}
