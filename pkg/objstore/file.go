package objstore

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The file backend: file:///dir stores each key as a file under dir.
//
// Writes go to a hidden temporary file in the key's own directory, are
// fsynced, then renamed over the key (a plain write) or hard-linked to it
// (a conditional create: link(2) fails if the name exists, so the check
// and the create are one atomic step), and the directory is fsynced. A
// kill at any point leaves either the old state or the new one, plus at
// worst an unlisted temporary file; never an empty or partial object.
//
// The store-computed CRC32C of a file is, by definition, the CRC32C of a
// re-read of its bytes.

func init() { Register("file", nil, openFile) }

// tmpPrefix starts the name of every temporary file. Listings never show
// such names, and keys may not use them.
const tmpPrefix = ".lading-tmp-"

type fileDriver struct {
	root string // absolute, cleaned
}

var _ Driver = (*fileDriver)(nil)

func openFile(_ context.Context, loc *Location) (Driver, error) {
	root := filepath.Clean("/" + loc.Prefix)
	fi, err := os.Stat(root)
	switch {
	case err == nil && !fi.IsDir():
		return nil, fmt.Errorf("%w: %s is not a directory", ErrBadURL, root)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("file store %s: %w", root, err)
	}
	return &fileDriver{root: root}, nil
}

// path returns the file for key, after checking the key once more: the
// driver may be called directly (tests, copiers), and a key naming a
// temporary file would be invisible to listings.
func (d *fileDriver) path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	for _, seg := range strings.Split(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return "", fmt.Errorf("%w: %q: segment %q is reserved for temporary files", ErrBadKey, key, seg)
		}
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// fileErr maps a filesystem error to objstore's errors.
func fileErr(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return err
}

// openRegular opens key's file for reading; a directory (the common prefix
// of other keys) is not an object.
func (d *fileDriver) openRegular(key string) (*os.File, fs.FileInfo, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fileErr(key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return f, fi, nil
}

type fileReader struct {
	io.Reader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

func (d *fileDriver) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, fi, err := d.openRegular(key)
	if err != nil {
		return nil, err
	}
	if offset >= fi.Size() || length == 0 {
		f.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	var r io.Reader = io.NewSectionReader(f, offset, fi.Size()-offset)
	if length > 0 {
		r = io.LimitReader(r, length)
	}
	return &fileReader{Reader: r, f: f}, nil
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func (d *fileDriver) Attributes(ctx context.Context, key string) (Attrs, error) {
	if err := ctx.Err(); err != nil {
		return Attrs{}, err
	}
	f, fi, err := d.openRegular(key)
	if err != nil {
		return Attrs{}, err
	}
	defer f.Close()
	crc := crc32.New(Castagnoli)
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	n, err := io.CopyBuffer(crc, f, *buf)
	if err != nil {
		return Attrs{}, fmt.Errorf("re-read %s: %w", key, err)
	}
	return Attrs{Key: key, Size: n, CRC32C: crc.Sum32(), HasCRC32C: true, ModTime: fi.ModTime()}, nil
}

func (d *fileDriver) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := d.path(key)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return fileErr(key, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err := os.Remove(p); err != nil {
		return fileErr(key, err)
	}
	// Prune directories left empty, up to the root; best effort (a
	// concurrent writer may just have put a temporary file in one).
	dir := filepath.Dir(p)
	for d.below(dir) {
		if os.Remove(dir) != nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	_ = syncDir(dir)
	return nil
}

// below reports whether dir is strictly inside the root.
func (d *fileDriver) below(dir string) bool {
	rel, err := filepath.Rel(d.root, dir)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}

func (d *fileDriver) Close() error { return nil }

func (d *fileDriver) NewWriter(ctx context.Context, key string, opts WriterOptions) (DriverWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("write %s: %w", key, err)
	}
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	var created []string
	var f *os.File
	// A concurrent Delete may prune the directory between mkdir and
	// create; try again a few times.
	for attempt := 0; ; attempt++ {
		c, err := d.mkdirAll(dir)
		created = append(created, c...)
		if err != nil {
			return nil, fmt.Errorf("create directory for %s: %w", key, err)
		}
		f, err = os.CreateTemp(dir, tmpPrefix+"*")
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt >= 5 {
			return nil, fmt.Errorf("create temporary file for %s: %w", key, err)
		}
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create temporary file for %s: %w", key, err)
	}
	return &fileWriter{ctx: ctx, key: key, final: p, f: f, created: created, opts: opts, crc: crc32.New(Castagnoli)}, nil
}

// mkdirAll creates dir and its missing parents below the root, returning
// the directories it created (their parents need an fsync to make the new
// entries durable).
func (d *fileDriver) mkdirAll(dir string) ([]string, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return nil, fmt.Errorf("%s is a file, not a directory (a key is a prefix of another key)", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o755)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		if err == nil {
			created = append(created, missing[i])
		}
	}
	return created, nil
}

type fileWriter struct {
	ctx        context.Context
	key, final string
	f          *os.File
	created    []string
	opts       WriterOptions
	crc        hash.Hash32
	done       bool
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: writer closed", w.key)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("write %s: %w", w.key, err)
	}
	n, err := w.f.Write(p)
	w.crc.Write(p[:n])
	return n, err
}

func (w *fileWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort %s: %w", w.key, err)
	}
	return nil
}

func (w *fileWriter) Close() error {
	if w.done {
		return fmt.Errorf("close %s: writer already closed", w.key)
	}
	tmp := w.f.Name()
	if err := w.ctx.Err(); err != nil {
		_ = w.Abort()
		return fmt.Errorf("write %s: %w", w.key, err)
	}
	if w.opts.HasCRC32C && w.crc.Sum32() != w.opts.CRC32C {
		_ = w.Abort()
		return &ChecksumError{Key: w.key, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", w.opts.CRC32C), Got: fmt.Sprintf("%08x", w.crc.Sum32()), Detail: "declared checksum refused by the store; nothing stored"}
	}
	w.done = true
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", w.key, err)
	}
	if w.opts.IfAbsent {
		err = os.Link(tmp, w.final)
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := os.Lstat(w.final); serr == nil && fi.IsDir() {
				return fmt.Errorf("write %s: a directory of other keys has this name", w.key)
			}
			return fmt.Errorf("%w: %s", ErrExists, w.key)
		}
	} else {
		err = os.Rename(tmp, w.final)
		if err != nil {
			os.Remove(tmp)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", w.key, err)
	}
	if err := syncDir(filepath.Dir(w.final)); err != nil {
		return fmt.Errorf("write %s: sync directory: %w", w.key, err)
	}
	for _, dir := range w.created {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("write %s: sync directory: %w", w.key, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
