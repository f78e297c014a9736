package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// PartWriter streams encoded rows through a part's compressor into an
// io.Writer, counting rows, uncompressed bytes and the bytes written to
// the io.Writer so far. It is not safe for concurrent use.
type PartWriter struct {
	out  countingWriter
	sink io.Writer // where lines go: the compressor or a buffer
	zw   *zstd.Encoder
	gw   *gzip.Writer
	bw   *bufio.Writer
	pool *sync.Pool

	rows, bytes int64
	err         error
	closed      bool
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewPartWriter returns a writer of a part compressed with compression
// ("zstd", "gzip" or "none") into w. Close it to flush the compressor; it
// does not close w.
func NewPartWriter(w io.Writer, compression string, opts CompressOptions) (*PartWriter, error) {
	p := &PartWriter{out: countingWriter{w: w}}
	switch compression {
	case Zstd:
		e, pool, err := zstdEncoder(opts)
		if err != nil {
			return nil, err
		}
		e.Reset(&p.out)
		p.zw, p.pool, p.sink = e, pool, e
	case Gzip:
		if opts.Concurrency > 1 {
			return nil, fmt.Errorf("gzip: concurrency %d is not supported", opts.Concurrency)
		}
		g, pool, err := gzipWriter(opts)
		if err != nil {
			return nil, err
		}
		g.Reset(&p.out)
		p.gw, p.pool, p.sink = g, pool, g
	case None:
		if opts.Level != 0 || opts.Concurrency > 1 {
			return nil, errors.New("compression none takes no level or concurrency")
		}
		p.bw = bufio.NewWriterSize(&p.out, 256<<10)
		p.sink = p.bw
	default:
		_, err := Extension(compression)
		return nil, err
	}
	return p, nil
}

// WriteRow writes one encoded line, which must end with its only '\n'.
func (p *PartWriter) WriteRow(line []byte) error {
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return errors.New("part writer: write after Close")
	}
	if len(line) == 0 || line[len(line)-1] != '\n' || bytes.IndexByte(line[:len(line)-1], '\n') >= 0 {
		return errors.New("part writer: want exactly one line ending in '\\n'")
	}
	if _, err := p.sink.Write(line); err != nil {
		p.err = fmt.Errorf("write part: %w", err)
		return p.err
	}
	p.rows++
	p.bytes += int64(len(line))
	return nil
}

// Rows returns the number of rows written.
func (p *PartWriter) Rows() int64 { return p.rows }

// Bytes returns the number of uncompressed bytes written.
func (p *PartWriter) Bytes() int64 { return p.bytes }

// StoredBytes returns the number of bytes written to the underlying
// writer so far: the part's size once closed. Before Close it lags behind
// by what the compressor buffers (a block, up to 128 KiB; more with
// Concurrency above 1).
func (p *PartWriter) StoredBytes() int64 { return p.out.n }

// Close flushes the compressor and ends the compressed stream. It does not
// close the underlying writer. Calling it again returns the first result.
func (p *PartWriter) Close() error {
	if p.closed {
		return p.err
	}
	p.closed = true
	var err error
	switch {
	case p.zw != nil:
		err = p.zw.Close()
		p.zw.Reset(nil)
		if err == nil {
			p.pool.Put(p.zw)
		}
		p.zw = nil
	case p.gw != nil:
		err = p.gw.Close()
		p.gw.Reset(io.Discard)
		if err == nil {
			p.pool.Put(p.gw)
		}
		p.gw = nil
	case p.bw != nil:
		err = p.bw.Flush()
	}
	p.sink = nil
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("close part: %w", err)
	}
	return p.err
}
