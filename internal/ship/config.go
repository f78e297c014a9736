// Package ship copies complete dumps between stores (file://, s3://,
// gs://, any direction) so that the destination holds a byte-identical,
// verified copy, and only then marks it complete with _SUCCESS. It is the
// library behind the shipper command; Check verifies dumps at rest.
//
// A dump is due when its _SUCCESS exists at the source and not at the
// destination. Shipping it copies exactly the files its manifest.json
// lists: streamed through bounded, shared buffers with CRC32C and SHA-256
// computed on the fly and compared with the manifest, the CRC32C declared
// to the destination store so that it verifies too, or server-side when
// both ends are the same service (then verified by the store-computed
// CRC32C and size). Files already at the destination with the manifest's
// size and store-computed CRC32C are skipped, so a re-run after a crash
// copies only what is missing. The manifest is copied byte for byte after
// the files, and _SUCCESS is written last.
package ship

import (
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/throttle"
)

// Defaults.
const (
	DefaultTransfers = 4
	DefaultMaxMemory = 64 << 20
	DefaultInterval  = time.Minute
	// MinMaxMemory is the smallest memory budget accepted: one S3 part
	// (5 MiB) plus a copy buffer, with room to spare.
	MinMaxMemory = 8 << 20
)

// Config says what to ship and how.
type Config struct {
	// From and To are store URLs: a root (the level above <batch>) or one
	// dump's prefix.
	From, To string
	// Filter narrows the dumps shipped.
	Filter discover.Filter
	// OnDump, when set, is told what happened to each dump at the end of
	// the pass that handled it (with Watch, long before Run returns).
	OnDump func(DumpResult)
	// Transfers is how many files are copied at once (default 4).
	Transfers int
	// MaxMemory bounds the bytes buffered by all transfers together
	// (default 64 MiB).
	MaxMemory int64
	// PartSize is the chunk size of streamed uploads; 0 is 256 MiB (a
	// store without chunked uploads derives it from MaxMemory and
	// Transfers).
	PartSize int64
	// BWLimit caps the bytes per second of all streamed copies together;
	// 0 is unlimited. Server-side copies do not pass through lading and are
	// not limited.
	BWLimit int64
	// StorageClass for objects written at the destination ("" is the
	// bucket's default), in the destination service's words.
	StorageClass string
	// NoServerSide streams every file even when both ends are the same
	// service.
	NoServerSide bool
	// FullVerify re-reads server-side copies at the destination and checks
	// their SHA-256 too (streamed copies are always hashed in full).
	FullVerify bool
	// DryRun lists what would be shipped and copies nothing.
	DryRun bool
	// Watch keeps polling every Interval until the context is done.
	Watch    bool
	Interval time.Duration
	// DeleteSource removes a source dump once its copy at the destination
	// is complete and re-verified.
	DeleteSource bool
	// Retry is the per-file retry policy (default: 5 attempts, 1s..30s).
	Retry throttle.Backoff
	// Shard and Shards split the work among Shards copies of the shipper
	// (0 <= Shard < Shards; Shards 0 or 1 is one copy): each copies the
	// files whose index in the manifest is Shard modulo Shards, and the
	// one that finds every file in place writes the manifest and _SUCCESS.
	Shard, Shards int
	// Tool names the program in _SUCCESS notes (default "shipper").
	Tool string
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// withDefaults validates c and fills in defaults; errors are bad usage.
func (c Config) withDefaults() (Config, error) {
	if c.From == "" || c.To == "" {
		return c, fault.Usagef("both --from and --to are required")
	}
	if c.Transfers == 0 {
		c.Transfers = DefaultTransfers
	}
	if c.Transfers < 1 || c.Transfers > 1024 {
		return c, fault.Usagef("--transfers %d: want 1 to 1024", c.Transfers)
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.MaxMemory < MinMaxMemory {
		return c, fault.Usagef("--max-memory %d: want at least %d bytes (8 MiB)", c.MaxMemory, MinMaxMemory)
	}
	if c.PartSize != 0 && (c.PartSize < minPartSize || c.PartSize > maxPartSize) {
		return c, fault.Usagef("--part-size %d: want %d to %d bytes (5 MiB to 5 GiB)", c.PartSize, minPartSize, maxPartSize)
	}
	if c.BWLimit < 0 {
		return c, fault.Usagef("--bwlimit %d: want a positive byte rate, or 0 for none", c.BWLimit)
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Interval < time.Second {
		return c, fault.Usagef("--interval %s: want at least 1s", c.Interval)
	}
	if c.Retry == (throttle.Backoff{}) {
		c.Retry = throttle.Backoff{Initial: time.Second, Max: 30 * time.Second, Attempts: 5}
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Shards < 1 || c.Shard < 0 || c.Shard >= c.Shards {
		return c, fault.Usagef("shard %d/%d: want 0 <= index < count", c.Shard, c.Shards)
	}
	if c.Tool == "" {
		c.Tool = "shipper"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := c.Filter.Validate(); err != nil {
		return c, fault.Usage(err)
	}
	return c, nil
}
