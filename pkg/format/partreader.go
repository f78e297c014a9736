package format

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// MaxLineBytes bounds one line of a part (a row with blobs of tens of MB
// fits many times over); a longer line is an error, not unbounded memory.
const MaxLineBytes = 1 << 30

// PartReader reads the lines of a part, decompressing it by its name's
// extension. It is not safe for concurrent use.
type PartReader struct {
	src  countingReader
	zr   *zstd.Decoder
	gr   *gzip.Reader
	br   *bufio.Reader
	long []byte
	err  error
}

// countingReader counts the stored bytes read and remembers the source's
// own error, so that a network error is not taken for corruption.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// NewPartReader returns a reader of the part r, whose file name (name)
// says how it is compressed.
func NewPartReader(r io.Reader, name string) (*PartReader, error) {
	comp, err := CompressionOf(name)
	if err != nil {
		return nil, err
	}
	p := &PartReader{src: countingReader{r: r}}
	var in io.Reader
	switch comp {
	case Zstd:
		d := zstdDecoders.Get().(*zstd.Decoder)
		if err := d.Reset(&p.src); err != nil {
			zstdDecoders.Put(d)
			return nil, p.fail("zstd", err)
		}
		p.zr, in = d, d
	case Gzip:
		var err error
		if g, ok := gzipReaders.Get().(*gzip.Reader); ok {
			err = g.Reset(&p.src)
			p.gr = g
		} else {
			p.gr, err = gzip.NewReader(&p.src)
		}
		if err != nil {
			if p.gr != nil {
				gzipReaders.Put(p.gr)
				p.gr = nil
			}
			if err == io.EOF {
				return nil, fmt.Errorf("%w: empty gzip stream", ErrCorrupt)
			}
			return nil, p.fail("gzip", err)
		}
		in = p.gr
	default:
		in = &p.src
	}
	p.br = bufio.NewReaderSize(in, 1<<20)
	return p, nil
}

// fail classifies a read error: the source's own error as is, anything
// else (the decompressor's complaint) as corruption.
func (p *PartReader) fail(what string, err error) error {
	if p.src.err != nil {
		return fmt.Errorf("read part: %w", p.src.err)
	}
	if err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %s stream truncated", ErrCorrupt, what)
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
}

// Next returns the next line without its '\n', valid until the next call,
// or io.EOF after the last one. A truncated or damaged stream, and a last
// line without '\n', are errors wrapping ErrCorrupt.
func (p *PartReader) Next() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	line, err := p.br.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], nil
	}
	pending := line
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(p.long) > MaxLineBytes {
				p.err = fmt.Errorf("%w: a line is longer than %d bytes", ErrCorrupt, MaxLineBytes)
				return nil, p.err
			}
			line, err = p.br.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		if err == nil {
			return p.long[:len(p.long)-1], nil
		}
		pending = p.long
	}
	switch {
	case err != io.EOF:
		p.err = p.fail(p.codec(), err)
	case len(pending) > 0:
		p.err = fmt.Errorf("%w: last line has no '\\n' (truncated part?)", ErrCorrupt)
	case p.src.n == 0 && p.zr != nil:
		p.err = fmt.Errorf("%w: empty zstd stream", ErrCorrupt)
	default:
		p.err = io.EOF
	}
	return nil, p.err
}

func (p *PartReader) codec() string {
	switch {
	case p.zr != nil:
		return "zstd"
	case p.gr != nil:
		return "gzip"
	}
	return "part"
}

// Close releases the decompressor. It does not close the underlying
// reader.
func (p *PartReader) Close() error {
	if p.zr != nil {
		_ = p.zr.Reset(nil)
		zstdDecoders.Put(p.zr)
		p.zr = nil
	}
	if p.gr != nil {
		err := p.gr.Close()
		gzipReaders.Put(p.gr)
		p.gr = nil
		if err != nil {
			return fmt.Errorf("close part: %w", err)
		}
	}
	p.br = nil
	if p.err == nil {
		p.err = errors.New("part reader: closed")
	}
	return nil
}
