package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// storedKeys is the key list a dump stores: its SHA-256 and count.
type storedKeys struct {
	sha   string
	count int64
}

// readKeyInput reads and parses --keys (a file, or "-" for KeysInput).
func readKeyInput(cfg Config, src *source) (*keyList, error) {
	if cfg.Keys == "-" {
		return parseKeys(cfg.KeysInput, src.table)
	}
	f, err := os.Open(cfg.Keys)
	if err != nil {
		return nil, fault.Usagef("--keys: %w", err)
	}
	defer f.Close()
	return parseKeys(f, src.table)
}

// storeKeys reads the key list and stores it, de-duplicated and
// canonical, as the dump's _state/keys.ndjson with a conditional create.
// A list already stored (a first run that died before its plan, or a
// concurrent shard) must be the same list.
func storeKeys(ctx context.Context, root *objstore.Bucket, d dump, t *schema.Table, cfg Config, logger *slog.Logger) (*storedKeys, error) {
	list, err := readKeyInput(cfg, &source{table: t})
	if err != nil {
		return nil, err
	}
	data := list.bytes()
	sk := &storedKeys{sha: sha256Hex(data), count: int64(len(list.lines))}
	key := d.key(KeysName)
	err = root.CreateIfAbsent(ctx, key, data)
	switch {
	case err == nil:
		logger.Info("key list stored", "keys", sk.count, "duplicates_dropped", list.dups, "name", KeysName)
		return sk, nil
	case !errors.Is(err, objstore.ErrExists):
		return nil, fmt.Errorf("store key list: %w", err)
	}
	old, err := root.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read stored key list: %w", err)
	}
	if sha256Hex(old) != sk.sha {
		return nil, fault.Usagef("--keys %s is not the key list already stored for this dump (%s); a batch holds one dump of a table: use another --batch",
			cfg.Keys, root.Location().Join(key))
	}
	return sk, nil
}

// planKeyUnits cuts count keys into units of at most per keys.
func planKeyUnits(count, per int64) []manifest.Unit {
	var units []manifest.Unit
	for first := int64(0); first < count; first += per {
		units = append(units, manifest.Unit{ID: manifest.KeyUnitID(first), FirstKey: first, Keys: min(per, count-first)})
	}
	return units
}

// loadKeys reads the dump's stored key list, checked against the plan.
func (x *exporter) loadKeys(ctx context.Context) error {
	data, err := x.root.ReadAll(ctx, x.d.key(x.plan.KeysName))
	if err != nil {
		return fmt.Errorf("read the dump's key list: %w", err)
	}
	lines, err := readStoredKeys(data, x.plan.KeysSHA256, x.plan.KeysCount)
	if err != nil {
		return fmt.Errorf("%s: %w", x.root.Location().Join(x.d.key(x.plan.KeysName)), err)
	}
	x.keys = lines
	return nil
}

// unitKeys parses the stored keys of a key-list unit.
func (x *exporter) unitKeys(u manifest.Unit) ([][]cql.Raw, error) {
	if u.FirstKey < 0 || u.Keys < 0 || u.FirstKey+u.Keys > int64(len(x.keys)) {
		return nil, fault.Verifyf("unit %s: keys [%d, %d) are outside the stored list of %d", u.ID, u.FirstKey, u.FirstKey+u.Keys, len(x.keys))
	}
	cols := x.plan.Source.Table.KeyColumns()
	out := make([][]cql.Raw, 0, u.Keys)
	for i := u.FirstKey; i < u.FirstKey+u.Keys; i++ {
		k, err := parseKeyObject(cols, x.keys[i])
		if err != nil {
			return nil, fault.Verifyf("%s line %d: %w", KeysName, i+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}
