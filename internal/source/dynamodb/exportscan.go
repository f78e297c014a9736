package dynamodb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// maxExportLine bounds one line of a data file: an item is at most
// 400 KB, and base64 and DynamoDB JSON's tags make it larger.
const maxExportLine = 4 << 20

// exportScanner reads a plan's data files.
type exportScanner struct {
	x     *exportSource
	plan  *manifest.Plan
	spec  source.ScanSpec
	files []exportFile
}

// Scanner reads the data files Describe listed, which the plan's
// files_sha256 has pinned (Diff refuses a changed list).
func (x *exportSource) Scanner(_ context.Context, plan *manifest.Plan, spec source.ScanSpec) (source.Scanner, error) {
	x.mu.Lock()
	files := x.files
	x.mu.Unlock()
	if len(files) != plan.Options.Segments {
		return nil, fault.Verifyf("the export lists %d data files, the plan %d units", len(files), plan.Options.Segments)
	}
	return &exportScanner{x: x, plan: plan, spec: spec, files: files}, nil
}

// sourceErr marks an error of the store under the data file (worth
// retrying), as opposed to the file's content (a verification failure).
type sourceErr struct{ err error }

func (e sourceErr) Error() string { return e.err.Error() }
func (e sourceErr) Unwrap() error { return e.err }

// hashingReader hashes what it reads and marks the store's errors.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err != nil && err != io.EOF {
		err = sourceErr{err}
	}
	return n, err
}

// Scan reads one data file from its start (a file is not resumable
// inside), in pages of ScanSpec.PageSize items all read at the export
// time. The file's MD5 and item count are checked at its end, before
// Scan returns: a unit whose file does not match is never committed.
func (s *exportScanner) Scan(ctx context.Context, u source.Unit, emit func(*source.Page) error) error {
	seg, ok := manifest.ParseSegmentUnitID(u.ID)
	if !ok || seg >= len(s.files) {
		return fault.Verifyf("unit %s is not a data file of %d", u.ID, len(s.files))
	}
	f := s.files[seg]
	where := s.x.where(f.rel)
	body, err := s.x.store.NewReader(ctx, f.rel)
	if errors.Is(err, objstore.ErrNotFound) {
		return fault.Verifyf("%s: listed in manifest-files.json, missing from the export", where)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", where, err)
	}
	defer body.Close()
	hr := &hashingReader{r: body, h: md5.New()}
	n, err := s.decode(ctx, hr, u.ID, where, emit)
	if err == nil {
		// The MD5 covers the whole object, also bytes after the gzip
		// stream's end.
		_, err = io.Copy(io.Discard, hr)
	}
	var se sourceErr
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("read %s: %w", where, se.err)
	case err != nil:
		return err
	}
	if sum := hr.h.Sum(nil); !bytes.Equal(sum, f.md5) {
		return fault.Verifyf("%s: MD5 %s, manifest-files.json says %s", where, base64.StdEncoding.EncodeToString(sum), f.MD5Checksum)
	}
	if n != *f.ItemCount {
		return fault.Verifyf("%s holds %d items, manifest-files.json says %d", where, n, *f.ItemCount)
	}
	return nil
}

// decode reads the gzip stream's items into pages; it returns how many
// it read. A file that is not gzip of DynamoDB JSON lines fails
// verification (exit 3), naming the line.
func (s *exportScanner) decode(ctx context.Context, r io.Reader, unit, where string, emit func(*source.Page) error) (int64, error) {
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return 0, nil // an empty partition's file may be empty
	} else if err != nil {
		return 0, err
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return 0, contentErr(where, 0, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), maxExportLine)
	pageSize := max(s.spec.PageSize, 1)
	readAt := s.plan.Source.DynamoDB.Export.Time
	keys := s.plan.Source.DynamoDB
	var n int64
	page := make([]format.DynamoItem, 0, pageSize)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if err := s.spec.Limiter.Wait(ctx, len(page)); err != nil {
			return err
		}
		s.spec.Run.Add("pages", 1)
		err := emit(&source.Page{Rows: &exportItems{page}, ReadAt: readAt, Range: -1})
		page = make([]format.DynamoItem, 0, pageSize)
		return err
	}
	for sc.Scan() {
		n++
		item, err := decodeExportLine(sc.Bytes())
		if err != nil {
			return n, contentErr(where, n, err)
		}
		if err := checkKeys(item, &keys); err != nil {
			return n, fault.Usagef("%s line %d: %w", where, n, err)
		}
		if page = append(page, item); len(page) == pageSize {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, contentErr(where, n+1, err)
	}
	return n, flush()
}

// contentErr is a data file that cannot be read as gzip of DynamoDB JSON
// lines; a store error under it stays retryable.
func contentErr(where string, line int64, err error) error {
	var se sourceErr
	if errors.As(err, &se) {
		return err
	}
	return fault.Verifyf("%s line %d: %w", where, line, err)
}

// checkKeys fails unless the item has the table's key attributes with
// their types: a wrong --hash-key/--range-key is caught at the first item.
func checkKeys(item format.DynamoItem, d *manifest.DynamoDBTable) error {
	for _, k := range d.KeySchema {
		v, ok := item[k.Name]
		for _, a := range d.Attributes {
			if a.Name == k.Name && (!ok || string(v.Kind) != a.Type) {
				return fmt.Errorf("the item has no key attribute %s of type %s (is the key schema right?)", k.Name, a.Type)
			}
		}
	}
	return nil
}

// exportItems are one page of decoded items.
type exportItems struct{ items []format.DynamoItem }

func (e *exportItems) Len() int { return len(e.items) }

func (e *exportItems) AppendRow(dst []byte, i int) ([]byte, error) {
	return format.AppendDynamoItem(dst, e.items[i])
}

// maxExportDepth bounds the nesting of a value (DynamoDB allows 32).
const maxExportDepth = 64

// decodeExportLine decodes one line of a data file: {"Item":{…}} in
// DynamoDB JSON, each value an object with one type tag (S, N, B, BOOL,
// NULL, L, M, SS, NS, BS). N stays its decimal text, B is base64. The
// line is parsed once, then walked.
func decodeExportLine(line []byte) (format.DynamoItem, error) {
	var wrap map[string]any
	if err := json.Unmarshal(line, &wrap); err != nil {
		return nil, err
	}
	raw, ok := wrap["Item"]
	if !ok || len(wrap) != 1 {
		return nil, errors.New(`want {"Item":{…}}`)
	}
	v, err := decodeExportMap(raw, 0)
	return format.DynamoItem(v.M), err
}

func decodeExportMap(raw any, depth int) (format.DynamoValue, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return format.DynamoValue{}, fmt.Errorf("want a map of attributes, got %T", raw)
	}
	out := make(map[string]format.DynamoValue, len(m))
	for k, r := range m {
		v, err := decodeExportValue(r, depth+1)
		if err != nil {
			return format.DynamoValue{}, fmt.Errorf("%q: %w", k, err)
		}
		out[k] = v
	}
	return format.DynamoValue{Kind: format.DynamoM, M: out}, nil
}

func decodeExportValue(raw any, depth int) (format.DynamoValue, error) {
	if depth > maxExportDepth {
		return format.DynamoValue{}, errors.New("nested too deep")
	}
	tagged, ok := raw.(map[string]any)
	if !ok || len(tagged) != 1 {
		return format.DynamoValue{}, errors.New("want an object with one type tag")
	}
	for tag, r := range tagged {
		v, err := decodeTagged(format.DynamoKind(tag), r, depth)
		if err != nil {
			return format.DynamoValue{}, fmt.Errorf("%s: %w", tag, err)
		}
		return v, nil
	}
	panic("unreachable")
}

func decodeTagged(kind format.DynamoKind, r any, depth int) (format.DynamoValue, error) {
	v := format.DynamoValue{Kind: kind}
	var err error
	switch kind {
	case format.DynamoS, format.DynamoN:
		v.S, err = asString(r)
	case format.DynamoB:
		v.B, err = asBase64(r)
	case format.DynamoBOOL:
		var ok bool
		if v.Bool, ok = r.(bool); !ok {
			err = errors.New("want true or false")
		}
	case format.DynamoNULL:
		if r != true {
			err = errors.New("want true")
		}
	case format.DynamoSS, format.DynamoNS, format.DynamoBS:
		l, ok := r.([]any)
		if !ok {
			return v, errors.New("want an array")
		}
		for _, e := range l {
			if kind == format.DynamoBS {
				var b []byte
				b, err = asBase64(e)
				v.BSet = append(v.BSet, b)
			} else {
				var s string
				s, err = asString(e)
				v.Set = append(v.Set, s)
			}
			if err != nil {
				break
			}
		}
	case format.DynamoL:
		l, ok := r.([]any)
		if !ok {
			return v, errors.New("want an array")
		}
		v.L = make([]format.DynamoValue, len(l))
		for i, e := range l {
			if v.L[i], err = decodeExportValue(e, depth+1); err != nil {
				break
			}
		}
	case format.DynamoM:
		v, err = decodeExportMap(r, depth)
	default:
		err = errors.New("unknown type tag")
	}
	return v, err
}

func asString(r any) (string, error) {
	s, ok := r.(string)
	if !ok {
		return "", errors.New("want a string")
	}
	return s, nil
}

func asBase64(r any) ([]byte, error) {
	s, err := asString(r)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if b == nil && err == nil {
		b = []byte{}
	}
	return b, err
}
