package objstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

func openFileBucket(t *testing.T, dir string) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(t.Context(), "file://"+dir)
	if err != nil {
		t.Fatalf("open file://%s: %v", dir, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestFileConformance(t *testing.T) {
	t.Parallel()
	objstoretest.RunConformanceTests(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Bucket:      openFileBucket(t, filepath.Join(t.TempDir(), "store")),
			MinPartSize: 64 << 10,
		}
	})
}

// tmpFiles lists the temporary files left anywhere under dir.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".lading-tmp-") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	b := openFileBucket(t, dir)
	ctx := t.Context()
	if _, err := b.WriteAll(ctx, "a/b/c", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateIfAbsent(ctx, "a/b/c", []byte("y")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("create over an existing key: got %v, want ErrExists", err)
	}
	w, err := b.NewWriter(ctx, "a/b/d", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if got := tmpFiles(t, dir); len(got) != 1 {
		t.Fatalf("during a write: temporary files %v, want exactly one", got)
	}
	// A write in progress is invisible to listings and reads.
	objs, _, err := b.ListAll(ctx, "a/", "")
	if err != nil || len(objs) != 1 || objs[0].Key != "a/b/c" {
		t.Fatalf("listing during a write: %v, %v; want only a/b/c", objs, err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	_, err = b.WriteAll(ctx, "a/b/e", []byte("z"), &objstore.WriterOptions{HasCRC32C: true, CRC32C: 1})
	var ce *objstore.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("wrong declared CRC32C: got %v, want *ChecksumError", err)
	}
	if got := tmpFiles(t, dir); len(got) != 0 {
		t.Fatalf("temporary files left behind: %v", got)
	}
}

// A crash leaves a temporary file behind; it never shows as an object.
func TestFileIgnoresLeftoverTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	b := openFileBucket(t, dir)
	ctx := t.Context()
	if err := os.MkdirAll(filepath.Join(dir, "p", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"p/.lading-tmp-123", "p/empty/.lading-tmp-456"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.WriteAll(ctx, "p/real", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	objs, prefixes, err := b.ListAll(ctx, "p/", "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Key != "p/real" || len(prefixes) != 0 {
		t.Fatalf("listing: %v %v; want only p/real and no prefixes (p/empty holds only a temporary file)", objs, prefixes)
	}
	if _, err := b.Attributes(ctx, "p/.lading-tmp-123"); !errors.Is(err, objstore.ErrBadKey) {
		t.Fatalf("stat of a temporary file name: got %v, want ErrBadKey", err)
	}
}

func TestFileDeletePrunesEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	b := openFileBucket(t, dir)
	ctx := t.Context()
	for _, k := range []string{"x/y/z/1", "x/keep"} {
		if _, err := b.WriteAll(ctx, k, []byte(k), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(ctx, "x/y/z/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "y")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("x/y should have been pruned: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "keep")); err != nil {
		t.Errorf("x/keep: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the root must stay: %v", err)
	}
}

func TestFileKeyUnderAnObject(t *testing.T) {
	b := openFileBucket(t, t.TempDir())
	ctx := t.Context()
	if _, err := b.WriteAll(ctx, "k", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := b.WriteAll(ctx, "k/child", []byte("y"), nil)
	if err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Fatalf("write below an object: got %v, want an error saying a path is a file", err)
	}
}

func TestFileRootMustBeADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := objstore.Open(t.Context(), "file://"+f); !errors.Is(err, objstore.ErrBadURL) {
		t.Fatalf("open a file as a store: got %v, want ErrBadURL", err)
	}
}

func TestFileFilesAreWorldReadable(t *testing.T) {
	dir := t.TempDir()
	b := openFileBucket(t, dir)
	if _, err := b.WriteAll(t.Context(), "r", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "r"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (not the 0600 of a temporary file)", fi.Mode().Perm())
	}
}
