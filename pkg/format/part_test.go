package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestExtension(t *testing.T) {
	for _, c := range []struct{ comp, ext string }{{"zstd", ".ndjson.zst"}, {"gzip", ".ndjson.gz"}, {"none", ".ndjson"}} {
		ext, err := Extension(c.comp)
		if err != nil || ext != c.ext {
			t.Errorf("Extension(%s) = %q, %v", c.comp, ext, err)
		}
		comp, err := CompressionOf("part-00ff-a1-0001" + c.ext)
		if err != nil || comp != c.comp {
			t.Errorf("CompressionOf(%s) = %q, %v", c.ext, comp, err)
		}
	}
	if _, err := Extension("lz4"); err == nil || !strings.Contains(err.Error(), `unknown compression "lz4"`) {
		t.Errorf("Extension(lz4): %v", err)
	}
	for _, name := range []string{"part.json", "part.ndjson.zstd", ".ndjson", "part.ndjson.gz.tmp", ""} {
		if c, err := CompressionOf(name); err == nil {
			t.Errorf("CompressionOf(%q) = %q, want an error", name, c)
		}
	}
}

// testLines returns lines of many sizes, one of them 20 MB (a row with a
// large blob), all ending in '\n'.
func testLines() [][]byte {
	var lines [][]byte
	for i := 0; i < 5000; i++ {
		lines = append(lines, fmt.Appendf(nil, `{"k":%d,"v":"%s"}`+"\n", i, strings.Repeat("x", i%300)))
	}
	big := append([]byte(`{"k":-1,"v":"0x`), bytes.Repeat([]byte("ab"), 10<<20)...)
	lines = append(lines[:2500], append([][]byte{append(big, "\"}\n"...)}, lines[2500:]...)...)
	return append(lines, []byte("{}\n"))
}

func writePart(t testing.TB, comp string, opts CompressOptions, lines [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPartWriter(&buf, comp, opts)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range lines {
		if err := w.WriteRow(l); err != nil {
			t.Fatal(err)
		}
		n += int64(len(l))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != int64(len(lines)) || w.Bytes() != n || w.StoredBytes() != int64(buf.Len()) {
		t.Fatalf("counts: rows %d bytes %d stored %d; want %d %d %d", w.Rows(), w.Bytes(), w.StoredBytes(), len(lines), n, buf.Len())
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	return buf.Bytes()
}

func readPart(r io.Reader, name string) ([][]byte, error) {
	pr, err := NewPartReader(r, name)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	var out [][]byte
	for {
		l, err := pr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append(append([]byte(nil), l...), '\n'))
	}
}

func TestPartRoundTrip(t *testing.T) {
	lines := testLines()
	for _, c := range []struct {
		comp string
		opts CompressOptions
	}{
		{"zstd", CompressOptions{}}, {"zstd", CompressOptions{Level: 1}}, {"zstd", CompressOptions{Level: 19}},
		{"zstd", CompressOptions{Concurrency: 2}}, {"gzip", CompressOptions{}}, {"gzip", CompressOptions{Level: 1}},
		{"none", CompressOptions{}},
	} {
		t.Run(fmt.Sprintf("%s-%d-%d", c.comp, c.opts.Level, c.opts.Concurrency), func(t *testing.T) {
			ext, _ := Extension(c.comp)
			// Twice: the second time with pooled (reused) coders.
			for round := 0; round < 2; round++ {
				part := writePart(t, c.comp, c.opts, lines)
				if c.comp != "none" && len(part) > 2<<20 {
					t.Fatalf("%d stored bytes: not compressed", len(part))
				}
				got, err := readPart(iotest.HalfReader(bytes.NewReader(part)), "p"+ext)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(lines) {
					t.Fatalf("%d lines, want %d", len(got), len(lines))
				}
				for i := range lines {
					if !bytes.Equal(got[i], lines[i]) {
						t.Fatalf("line %d differs (%d vs %d bytes)", i, len(got[i]), len(lines[i]))
					}
				}
			}
		})
	}
}

func TestPartWriterErrors(t *testing.T) {
	if _, err := NewPartWriter(io.Discard, "lz4", CompressOptions{}); err == nil {
		t.Error("lz4: no error")
	}
	for _, c := range []struct {
		comp string
		opts CompressOptions
	}{
		{"zstd", CompressOptions{Level: 23}}, {"zstd", CompressOptions{Level: -1}}, {"zstd", CompressOptions{Concurrency: -1}},
		{"gzip", CompressOptions{Level: 10}}, {"gzip", CompressOptions{Concurrency: 4}}, {"none", CompressOptions{Level: 3}},
	} {
		if _, err := NewPartWriter(io.Discard, c.comp, c.opts); err == nil {
			t.Errorf("%s %+v: no error", c.comp, c.opts)
		}
	}
	w, err := NewPartWriter(io.Discard, "zstd", CompressOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "{}", "{}\n{}\n", "\n\n"} {
		if err := w.WriteRow([]byte(bad)); err == nil {
			t.Errorf("WriteRow(%q): no error", bad)
		}
	}
	if w.Rows() != 0 {
		t.Errorf("rows %d after rejected writes", w.Rows())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow([]byte("{}\n")); err == nil {
		t.Error("write after Close: no error")
	}
	// A failing destination fails the write or the close, and sticks.
	boom := errors.New("boom")
	fw, err := NewPartWriter(failWriter{boom}, "none", CompressOptions{})
	if err != nil {
		t.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("x"), 300<<10), '\n')
	err1 := fw.WriteRow(line)
	err2 := fw.Close()
	if !errors.Is(err1, boom) && !errors.Is(err2, boom) {
		t.Errorf("errors %v, %v; want boom", err1, err2)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// TestPartReaderCorrupt: a truncated or damaged part is an error wrapping
// ErrCorrupt, never a silent early EOF.
func TestPartReaderCorrupt(t *testing.T) {
	lines := testLines()[:3000]
	for _, comp := range []string{"zstd", "gzip"} {
		ext, _ := Extension(comp)
		part := writePart(t, comp, CompressOptions{}, lines)
		for _, cut := range []int{0, 1, 4, 10, len(part) / 3, len(part) / 2, len(part) - 9, len(part) - 4, len(part) - 1} {
			_, err := readPart(bytes.NewReader(part[:cut]), "p"+ext)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s cut at %d of %d: %v, want ErrCorrupt", comp, cut, len(part), err)
			}
		}
		flipped := append([]byte(nil), part...)
		flipped[len(flipped)/2] ^= 0x55
		if _, err := readPart(bytes.NewReader(flipped), "p"+ext); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s flipped byte: %v, want ErrCorrupt", comp, err)
		}
		garbage := append(append([]byte(nil), part...), "garbage"...)
		if _, err := readPart(bytes.NewReader(garbage), "p"+ext); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s trailing garbage: %v, want ErrCorrupt", comp, err)
		}
		// The source's own error is passed through, not called corruption.
		boom := errors.New("connection reset")
		_, err := readPart(io.MultiReader(bytes.NewReader(part[:len(part)/2]), iotest.ErrReader(boom)), "p"+ext)
		if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s source error: %v", comp, err)
		}
	}
	// Uncompressed: a cut inside a line is caught; a cut at a line end
	// cannot be (the manifest's counts and checksums catch it).
	if _, err := readPart(strings.NewReader("{}\n{\"k\""), "p.ndjson"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("none, cut line: %v", err)
	}
	got, err := readPart(strings.NewReader(""), "p.ndjson")
	if err != nil || len(got) != 0 {
		t.Errorf("empty uncompressed part: %v, %v", got, err)
	}
	if _, err := NewPartReader(strings.NewReader(""), "p.json"); err == nil {
		t.Error("unknown extension: no error")
	}
}

// TestPartEmpty: a part with no rows is still a valid stream.
func TestPartEmpty(t *testing.T) {
	for _, comp := range []string{"zstd", "gzip", "none"} {
		ext, _ := Extension(comp)
		part := writePart(t, comp, CompressOptions{}, nil)
		got, err := readPart(bytes.NewReader(part), "p"+ext)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: %d lines, %v", comp, len(got), err)
		}
	}
}
