package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Listing for the file backend. Keys come out in byte order, like S3 and
// GCS list them: a directory "a" sorts as "a/" among its siblings, so
// "a-b" < "a/x" < "a0". Only the directories the prefix can reach are
// read, and a page token (the last key or common prefix returned) skips
// whole subtrees that sort before it.

// errPageFull stops a walk once a page has one item more than it shows.
var errPageFull = errors.New("page full")

type fileLister struct {
	d         *fileDriver
	ctx       context.Context
	prefix    string
	delimited bool
	token     string
	limit     int // pageSize+1: the extra item tells that there is a next page
	page      Page
	items     []string
}

func (d *fileDriver) ListPage(ctx context.Context, prefix, delimiter, pageToken string, pageSize int) (Page, error) {
	if delimiter != "" && delimiter != "/" {
		return Page{}, fmt.Errorf("list %s: delimiter must be \"/\" or empty", prefix)
	}
	if pageSize <= 0 {
		pageSize = 1000
	}
	l := &fileLister{d: d, ctx: ctx, prefix: prefix, delimited: delimiter == "/", token: pageToken, limit: pageSize + 1}
	start := prefix[:strings.LastIndex(prefix, "/")+1] // the directory the prefix names, "" or "a/b/"
	err := l.walk(start)
	if err != nil && !errors.Is(err, errPageFull) {
		return Page{}, fmt.Errorf("list %s: %w", prefix, err)
	}
	if len(l.items) > pageSize {
		l.trimTo(pageSize)
		l.page.NextPageToken = l.items[pageSize-1]
	}
	return l.page, nil
}

// trimTo drops the items beyond n (only the last one can be over).
func (l *fileLister) trimTo(n int) {
	last := l.items[len(l.items)-1]
	if strings.HasSuffix(last, "/") {
		l.page.Prefixes = l.page.Prefixes[:len(l.page.Prefixes)-1]
	} else {
		l.page.Objects = l.page.Objects[:len(l.page.Objects)-1]
	}
	l.items = l.items[:n]
}

func (l *fileLister) emit(item string, obj *Object) error {
	if obj != nil {
		l.page.Objects = append(l.page.Objects, *obj)
	} else {
		l.page.Prefixes = append(l.page.Prefixes, item)
	}
	l.items = append(l.items, item)
	if len(l.items) >= l.limit {
		return errPageFull
	}
	return nil
}

type dirEntry struct {
	name  string
	isDir bool
	sort  string
}

// readDir returns dir's visible entries in key order.
func readDir(dir string) ([]dirEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, 0, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		switch {
		case e.Type().IsDir():
			out = append(out, dirEntry{name: name, isDir: true, sort: name + "/"})
		case e.Type().IsRegular():
			out = append(out, dirEntry{name: name, sort: name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sort < out[j].sort })
	return out, nil
}

// walk lists the directory rel ("" or ending in "/") in key order.
func (l *fileLister) walk(rel string) error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	ents, err := readDir(filepath.Join(l.d.root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil // nothing stored there (yet)
		}
		return err
	}
	for _, e := range ents {
		key := rel + e.sort // a directory's ends in "/"
		if !e.isDir {
			if !strings.HasPrefix(key, l.prefix) || (l.token != "" && key <= l.token) {
				continue
			}
			info, err := os.Stat(filepath.Join(l.d.root, filepath.FromSlash(key)))
			if err != nil {
				continue // deleted since the directory was read
			}
			if err := l.emit(key, &Object{Key: key, Size: info.Size()}); err != nil {
				return err
			}
			continue
		}
		inPrefix := strings.HasPrefix(key, l.prefix)
		if !inPrefix && !strings.HasPrefix(l.prefix, key) {
			continue // the prefix rules this subtree out
		}
		if l.delimited && inPrefix {
			// key is a common prefix: everything below rolls up into it.
			if l.token != "" && key <= l.token {
				continue
			}
			ok, err := l.hasObject(key)
			if err != nil {
				return err
			}
			if ok {
				if err := l.emit(key, nil); err != nil {
					return err
				}
			}
			continue
		}
		// Every key below starts with key; skip the subtree if all of them
		// sort at or before the token.
		if l.token != "" && key <= l.token && !strings.HasPrefix(l.token, key) {
			continue
		}
		if err := l.walk(key); err != nil {
			return err
		}
	}
	return nil
}

// hasObject reports whether the directory rel holds any visible object,
// so that empty directories (left by a crash or a concurrent delete) do
// not show up as common prefixes.
func (l *fileLister) hasObject(rel string) (bool, error) {
	ents, err := readDir(filepath.Join(l.d.root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return false, nil
		}
		return false, err
	}
	for _, e := range ents {
		if !e.isDir {
			return true, nil
		}
	}
	for _, e := range ents {
		ok, err := l.hasObject(rel + e.sort)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}
