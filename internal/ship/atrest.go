package ship

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// ProblemKind classifies what Check finds wrong.
type ProblemKind string

// Problem kinds.
const (
	// Missing: listed in the manifest, absent from the store.
	Missing ProblemKind = "missing"
	// Corrupt: present, but size or checksum differs from the manifest.
	Corrupt ProblemKind = "corrupt"
	// Unlisted: in the dump's prefix but not in its manifest (nor one of
	// the dump's own documents).
	Unlisted ProblemKind = "unlisted"
	// Unverifiable: the store has no CRC32C for the object; only a full
	// re-read (--full) can verify it.
	Unverifiable ProblemKind = "unverifiable"
	// BadManifest: the dump is marked complete but its manifest is missing,
	// malformed or hostile.
	BadManifest ProblemKind = "bad-manifest"
)

// Problem is one thing wrong with a dump at rest.
type Problem struct {
	Dump string
	// Key is the object relative to the root ("" for the dump as a whole).
	Key    string
	Kind   ProblemKind
	Detail string
}

func (p Problem) String() string {
	if p.Key == "" {
		return fmt.Sprintf("%s %s: %s", p.Kind, p.Dump, p.Detail)
	}
	return fmt.Sprintf("%s %s: %s", p.Kind, p.Key, p.Detail)
}

// atRest verifies dump d's files at rest in b against manifest m: size and
// store-computed CRC32C of each (full: re-read and hash every byte), and,
// with unlisted, objects in the prefix the manifest does not name.
// Problems found are returned; an error means the check could not be done.
func atRest(ctx context.Context, b *objstore.Bucket, d discover.Dump, m *manifest.Manifest, full, unlisted bool, limit int, run *report.Run) ([]Problem, error) {
	var (
		mu       sync.Mutex
		problems []Problem
	)
	add := func(p Problem) {
		mu.Lock()
		problems = append(problems, p)
		mu.Unlock()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, f := range m.Files {
		g.Go(func() error {
			key := d.Key(f.Name)
			p, err := fileAtRest(gctx, b, key, f, full, run)
			if err != nil {
				return fmt.Errorf("dump %s: check %s: %w", d, key, err)
			}
			if p != nil {
				p.Dump = d.String()
				add(*p)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if unlisted {
		listed := make(map[string]bool, len(m.Files)+2)
		for _, f := range m.Files {
			listed[d.Key(f.Name)] = true
		}
		listed[d.ManifestKey()] = true
		listed[d.SuccessKey()] = true
		err := b.List(ctx, d.Prefix+"/", "", func(p objstore.Page) error {
			for _, o := range p.Objects {
				if !listed[o.Key] && !strings.HasPrefix(o.Key, d.Key("_state/")) {
					add(Problem{Dump: d.String(), Key: o.Key, Kind: Unlisted, Detail: fmt.Sprintf("%d bytes not named by the manifest", o.Size)})
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", d, err)
		}
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Key < problems[j].Key })
	return problems, nil
}

// fileAtRest checks one file; a nil Problem means it is intact.
func fileAtRest(ctx context.Context, b *objstore.Bucket, key string, f manifest.File, full bool, run *report.Run) (*Problem, error) {
	want, err := parseCRC(f.CRC32C)
	if err != nil {
		return nil, err
	}
	a, err := b.Attributes(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return &Problem{Key: key, Kind: Missing, Detail: fmt.Sprintf("listed in the manifest (%d bytes, crc32c %s)", f.StoredBytes, f.CRC32C)}, nil
	}
	if err != nil {
		return nil, err
	}
	run.Add("files_checked", 1)
	if a.Size != f.StoredBytes || (a.HasCRC32C && a.CRC32C != want) {
		e := &MismatchError{Key: key, Where: "store", WantSize: f.StoredBytes, GotSize: a.Size, WantCRC32C: f.CRC32C}
		if a.HasCRC32C {
			e.GotCRC32C = crcHex(a.CRC32C)
		}
		return &Problem{Key: key, Kind: Corrupt, Detail: e.Error()}, nil
	}
	if !full || a.Archived {
		if !a.HasCRC32C {
			return &Problem{Key: key, Kind: Unverifiable, Detail: "the store has no CRC32C for this object; check with --full to re-read it"}, nil
		}
		return nil, nil
	}
	s, err := hashObject(ctx, b, key)
	if err != nil {
		return nil, err
	}
	run.Add("bytes", s.Size)
	if s.Size != f.StoredBytes || s.CRC32CHex() != f.CRC32C || s.SHA256Hex() != f.SHA256 {
		e := &MismatchError{Key: key, Where: "re-read", WantSize: f.StoredBytes, GotSize: s.Size,
			WantCRC32C: f.CRC32C, GotCRC32C: s.CRC32CHex(), WantSHA256: f.SHA256, GotSHA256: s.SHA256Hex()}
		return &Problem{Key: key, Kind: Corrupt, Detail: e.Error()}, nil
	}
	return nil, nil
}

// verifyCopy re-verifies a shipped dump at the destination before its
// source is deleted: marker present, manifest bytes identical, every file
// intact (re-read in full with FullVerify).
func (s *shipper) verifyCopy(ctx context.Context, d discover.Dump, m *manifest.Manifest, data []byte) error {
	ok, err := s.c.dst.Exists(ctx, d.SuccessKey())
	if err != nil {
		return err
	}
	if !ok {
		return fault.Verifyf("the destination has no %s", manifest.SuccessName)
	}
	a, err := s.c.dst.Attributes(ctx, d.ManifestKey())
	if err != nil {
		return fault.Verify(fmt.Errorf("destination %s: %w", manifest.ManifestName, err))
	}
	if crc := crc32.Checksum(data, objstore.Castagnoli); a.Size != int64(len(data)) || !a.HasCRC32C || a.CRC32C != crc {
		return fault.Verifyf("the destination's %s differs from the source's", manifest.ManifestName)
	}
	problems, err := atRest(ctx, s.c.dst, d, m, s.cfg.FullVerify, false, s.cfg.Transfers, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fault.Verifyf("the destination's copy is not intact (%d problems, first: %s); source kept", len(problems), problems[0])
	}
	return nil
}
