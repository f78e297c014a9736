package format

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DefaultPartBytes is the target compressed size of a part: the exporter
// rolls to a new part when PartWriter.StoredBytes reaches it. It sits in
// the 100-250 MB range that bulk loaders (Snowflake COPY, BigQuery) like.
const DefaultPartBytes = 128 << 20

// Compression names, as options and manifests spell them.
const (
	Zstd = "zstd"
	Gzip = "gzip"
	None = "none"
)

var extensions = [...]struct{ name, ext string }{
	{Zstd, ".ndjson.zst"},
	{Gzip, ".ndjson.gz"},
	{None, ".ndjson"},
}

// ErrCorrupt marks a part whose bytes cannot be a part: a truncated or
// damaged compressed stream, a last line without '\n'. Errors of the
// underlying reader (network, disk) are passed through unmarked.
var ErrCorrupt = errors.New("corrupt part")

// Extension returns the file name extension of a compression:
// "zstd" -> ".ndjson.zst", "gzip" -> ".ndjson.gz", "none" -> ".ndjson".
func Extension(compression string) (string, error) {
	for _, e := range extensions {
		if e.name == compression {
			return e.ext, nil
		}
	}
	return "", fmt.Errorf("unknown compression %q (want zstd, gzip or none)", compression)
}

// CompressionOf returns the compression of a part from its name's
// extension.
func CompressionOf(name string) (string, error) {
	for _, e := range extensions {
		if strings.HasSuffix(name, e.ext) && len(name) > len(e.ext) {
			return e.name, nil
		}
	}
	return "", fmt.Errorf("part %q: name does not end in .ndjson.zst, .ndjson.gz or .ndjson", name)
}

// CompressOptions tune a PartWriter's compressor.
type CompressOptions struct {
	// Level is codec-specific: zstd 1-22 (mapped to the nearest of
	// klauspost's fastest/default/better/best), gzip 1-9; 0 is the
	// default (zstd: the fastest level; gzip: its own default). It must
	// be 0 for "none".
	Level int
	// Concurrency is the number of goroutines compressing one zstd part
	// (0 = 1). Above 1, input is cut into jobs of 32 MiB compressed in
	// parallel, at the cost of that much memory per goroutine.
	Concurrency int
}

const maxWindow = 128 << 20

// encoderWindow is the window of the zstd parts lading writes.
const encoderWindow = 1 << 20

type zstdKey struct{ level, concurrency int }

var (
	zstdEncoders sync.Map // zstdKey -> *sync.Pool of *zstd.Encoder
	gzipWriters  sync.Map // level -> *sync.Pool of *gzip.Writer
	zstdDecoders = sync.Pool{New: func() any {
		// Concurrency 1: synchronous, no goroutines to leak from a pool.
		// The window cap bounds the memory a hostile part can claim; it
		// admits zstd --long=27 streams.
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow))
		if err != nil {
			panic(fmt.Sprintf("zstd decoder: %v", err)) // static options; cannot fail
		}
		return d
	}}
	gzipReaders sync.Pool // *gzip.Reader
)

func zstdEncoder(o CompressOptions) (*zstd.Encoder, *sync.Pool, error) {
	if o.Level < 0 || o.Level > 22 {
		return nil, nil, fmt.Errorf("zstd level %d: want 1-22 or 0 for the default", o.Level)
	}
	if o.Concurrency < 0 {
		return nil, nil, fmt.Errorf("zstd concurrency %d: want 0 or more", o.Concurrency)
	}
	key := zstdKey{o.Level, max(o.Concurrency, 1)}
	pi, _ := zstdEncoders.LoadOrStore(key, &sync.Pool{})
	pool := pi.(*sync.Pool)
	if e, ok := pool.Get().(*zstd.Encoder); ok {
		return e, pool, nil
	}
	// The default is the fastest level: on scripts/gen's mixed table it
	// took half the exporter's CPU of the encoder's default level and
	// stored slightly fewer bytes with the 1 MiB window below (300,000
	// rows: 5.4-5.7 s of CPU and 232,370,461 bytes, against 10.4-10.7 s
	// and 235,588,225), and on two cores the exporter's CPU is what
	// limits its speed beside the server.
	level := zstd.SpeedFastest
	if key.level != 0 {
		level = zstd.EncoderLevelFromZstd(key.level)
	}
	// A 1 MiB window: rows repeat their neighbours' keys and values, not
	// text from megabytes back, so a longer window buys nothing measurable
	// on dumps (a 50,000-row mixed table stored 39,239,727 bytes with it,
	// 39,241,819 with the level's default of 8 MiB) and costs the encoder
	// its history: each default encoder held about 19 MiB, one per reader.
	opts := []zstd.EOption{zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(key.concurrency), zstd.WithWindowSize(encoderWindow)}
	if key.concurrency > 1 {
		opts = append(opts, zstd.WithConcurrentBlocks(true))
	}
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return e, pool, nil
}

func gzipWriter(o CompressOptions) (*gzip.Writer, *sync.Pool, error) {
	level := o.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	if level < 1 && level != gzip.DefaultCompression || level > 9 {
		return nil, nil, fmt.Errorf("gzip level %d: want 1-9 or 0 for the default", o.Level)
	}
	pi, _ := gzipWriters.LoadOrStore(level, &sync.Pool{})
	pool := pi.(*sync.Pool)
	if w, ok := pool.Get().(*gzip.Writer); ok {
		return w, pool, nil
	}
	w, err := gzip.NewWriterLevel(nil, level)
	if err != nil {
		return nil, nil, fmt.Errorf("gzip writer: %w", err)
	}
	return w, pool, nil
}
