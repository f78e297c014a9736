package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// storedKeys is the key list a dump stores: its SHA-256 and count.
type storedKeys struct {
	sha   string
	count int64
}

// KeysName is where a key-list dump keeps its de-duplicated key list,
// relative to the dump's prefix.
const KeysName = "_state/keys.ndjson"

// readKeyInput reads --keys (a file, or "-" for KeysInput) through the
// source's key parser: canonical lines, sorted, de-duplicated.
func readKeyInput(cfg Config, src source.Source, live *manifest.Source) ([][]byte, int, error) {
	kl, ok := src.(source.KeyLister)
	if !ok {
		return nil, 0, fault.Usagef("--keys: a %s source exports whole tables only", live.Kind)
	}
	if cfg.Keys == "-" {
		return kl.ParseKeys(live, cfg.KeysInput)
	}
	f, err := os.Open(cfg.Keys)
	if err != nil {
		return nil, 0, fault.Usagef("--keys: %w", err)
	}
	defer f.Close()
	return kl.ParseKeys(live, f)
}

// joinLines is the stored form of a key list: each line and '\n'.
func joinLines(lines [][]byte) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	out := make([]byte, 0, n)
	for _, l := range lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// storeKeys reads the key list and stores it, de-duplicated and
// canonical, as the dump's _state/keys.ndjson with a conditional create.
// A list already stored (a first run that died before its plan, or a
// concurrent shard) must be the same list.
func storeKeys(ctx context.Context, root *objstore.Bucket, d dump, src source.Source, live *manifest.Source, cfg Config, logger *slog.Logger) (*storedKeys, error) {
	lines, dups, err := readKeyInput(cfg, src, live)
	if err != nil {
		return nil, err
	}
	data := joinLines(lines)
	sk := &storedKeys{sha: sha256Hex(data), count: int64(len(lines))}
	key := d.key(KeysName)
	err = root.CreateIfAbsent(ctx, key, data)
	switch {
	case err == nil:
		logger.Info("key list stored", "keys", sk.count, "duplicates_dropped", dups, "name", KeysName)
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

// unitKeys returns the stored keys of a key-list unit.
func (x *exporter) unitKeys(u manifest.Unit) ([][]byte, error) {
	if u.FirstKey < 0 || u.Keys < 0 || u.FirstKey+u.Keys > int64(len(x.keys)) {
		return nil, fault.Verifyf("unit %s: keys [%d, %d) are outside the stored list of %d", u.ID, u.FirstKey, u.FirstKey+u.Keys, len(x.keys))
	}
	return x.keys[u.FirstKey : u.FirstKey+u.Keys], nil
}

// readStoredKeys decodes a stored key list, checking it against the
// plan's count and SHA-256: a list that does not match is damaged
// (fault.Verify).
func readStoredKeys(data []byte, wantSHA string, wantCount int64) ([][]byte, error) {
	if got := sha256Hex(data); got != wantSHA {
		return nil, fault.Verifyf("%s has SHA-256 %s, the plan says %s", KeysName, got, wantSHA)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, fault.Verifyf("%s does not end with a newline", KeysName)
	}
	lines := bytes.Split(data[:len(data)-1], []byte{'\n'})
	if int64(len(lines)) != wantCount {
		return nil, fault.Verifyf("%s holds %d keys, the plan says %d", KeysName, len(lines), wantCount)
	}
	return lines, nil
}
