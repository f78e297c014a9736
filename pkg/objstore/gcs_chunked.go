package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"
)

// Chunked uploads to GCS speak the JSON API's resumable protocol directly
// (the SDK's writer buffers each chunk for its own retries): every chunk
// is one PUT whose body the caller streams, sent with an open total
// ("bytes a-b/*") so the object is never completed by a chunk; Finish
// sends the last bytes with the total, which completes it. The session
// declares the whole object's CRC32C, so the service refuses to complete
// it with other bytes.

// gcsQuantum is the multiple every resumable chunk but the last must be.
const gcsQuantum = 256 << 10

// uploadWriteBuffer is the write buffer of the upload client's connections.
const uploadWriteBuffer = 256 << 10

// uploadIdleConns is how many idle connections the upload client keeps
// to the service (more than any sensible --transfers).
const uploadIdleConns = 64

var _ ChunkedUploader = (*gcsDriver)(nil)

// uploadClient returns the HTTP client and base URL of the upload
// endpoint, made once: plain HTTP to STORAGE_EMULATOR_HOST when it is set
// (as the SDK does), else an authorised client to the service.
func (d *gcsDriver) uploadClient(ctx context.Context) (*http.Client, string, error) {
	d.upOnce.Do(func() {
		// Chunk bodies are copied into the connection through the
		// transport's write buffer: 4 KiB by default, a system call each.
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.WriteBufferSize = uploadWriteBuffer
		// The default keeps 2 idle connections a host: with more
		// transfers than that, every burst of answers closed the rest
		// and the next requests opened new ones.
		base.MaxIdleConnsPerHost = uploadIdleConns
		if host := os.Getenv("STORAGE_EMULATOR_HOST"); host != "" {
			if !strings.Contains(host, "://") {
				host = "http://" + host
			}
			d.upClient, d.upBase = &http.Client{Transport: base}, strings.TrimSuffix(host, "/")
			return
		}
		rt, err := htransport.NewTransport(context.WithoutCancel(ctx), base, option.WithScopes(storage.ScopeReadWrite))
		if err != nil {
			d.upErr = fmt.Errorf("gcs: upload client: %w", err)
			return
		}
		d.upClient, d.upBase = &http.Client{Transport: rt}, "https://storage.googleapis.com"
	})
	return d.upClient, d.upBase, d.upErr
}

type gcsChunked struct {
	c       *http.Client
	session string // the session URI
	key     string
	stored  *Attrs // from the answer that completed the object
}

// StoredAttrs returns the object's size and CRC32C from the service's
// answer to Finish.
func (u *gcsChunked) StoredAttrs() (Attrs, bool) {
	if u.stored == nil {
		return Attrs{}, false
	}
	return *u.stored, true
}

func (d *gcsDriver) NewChunkedUpload(ctx context.Context, key string, opts WriterOptions) (ChunkedUpload, error) {
	c, base, err := d.uploadClient(ctx)
	if err != nil {
		return nil, err
	}
	name := d.prefix + key
	q := url.Values{"uploadType": {"resumable"}, "name": {name}}
	if opts.IfAbsent {
		q.Set("ifGenerationMatch", "0")
	}
	body := uploadMeta(name, opts)
	u := base + "/upload/storage/v1/b/" + url.PathEscape(d.name) + "/o?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if opts.Size > 0 {
		req.Header.Set("X-Upload-Content-Length", strconv.FormatInt(opts.Size, 10))
	}
	resp, err := gcsDo(c, req, "start upload of", key)
	if err != nil {
		return nil, err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("start upload of %s: the service named no session", key)
	}
	return &gcsChunked{c: c, session: loc, key: key}, nil
}

func (u *gcsChunked) Quantum() int64 { return gcsQuantum }

func (u *gcsChunked) PutChunk(ctx context.Context, off, n int64, body io.Reader) error {
	if n <= 0 || n%gcsQuantum != 0 {
		return fmt.Errorf("write %s: chunk of %d bytes is not a positive multiple of %d", u.key, n, gcsQuantum)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.session, io.NopCloser(body))
	if err != nil {
		return err
	}
	req.ContentLength = n
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", off, off+n-1))
	// Asks for 200 plus an override header instead of a bare 308, which
	// some HTTP stacks take for a redirect.
	req.Header.Set("X-Guploader-No-308", "yes")
	resp, err := gcsDo(u.c, req, "write", u.key)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusPermanentRedirect && resp.Header.Get("X-Http-Status-Code-Override") != "308" {
		return fmt.Errorf("write %s: the service completed the object at a chunk (status %d)", u.key, resp.StatusCode)
	}
	// The service may keep less than it was sent ("bytes=0-X"); going on
	// from there would need the session's state at X, so the upload
	// starts again instead (a rare case).
	if kept, ok := strings.CutPrefix(resp.Header.Get("Range"), "bytes=0-"); !ok || kept != strconv.FormatInt(off+n-1, 10) {
		return Retryable(fmt.Errorf("write %s: sent bytes %d-%d, the service reports range %q: %w", u.key, off, off+n-1, resp.Header.Get("Range"), ErrIncompleteChunk))
	}
	return nil
}

func (u *gcsChunked) Finish(ctx context.Context, off int64, tail []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.session, bytes.NewReader(tail))
	if err != nil {
		return err
	}
	total := off + int64(len(tail))
	if len(tail) == 0 {
		req.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", total))
	} else {
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, total-1, total))
	}
	resp, answer, err := gcsDoBody(u.c, req, "write", u.key, true)
	if err != nil {
		if ce := gcsCRCRefused(u.key, err); ce != nil {
			return ce
		}
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("write %s: the service did not complete the object (status %d)", u.key, resp.StatusCode)
	}
	if a, err := parseGCSObject(u.key, answer); err == nil {
		u.stored = &a
	}
	return nil
}

// Abort cancels the session (the service answers 499); an unfinished
// session also expires on its own.
func (u *gcsChunked) Abort() error {
	ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.session, nil)
	if err != nil {
		return err
	}
	resp, err := u.c.Do(req)
	if err != nil {
		return nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// gcsHTTPError is a refused upload request.
type gcsHTTPError struct {
	code int
	msg  string
}

func (e *gcsHTTPError) Error() string { return fmt.Sprintf("status %d: %s", e.code, e.msg) }

// gcsCRCRefused returns a *ChecksumError when err is the service
// refusing bytes that differ from the declared CRC32C, else nil.
func gcsCRCRefused(key string, err error) error {
	var ge *gcsHTTPError
	if errors.As(err, &ge) && ge.code == http.StatusBadRequest && strings.Contains(strings.ToLower(ge.msg), "crc32c") {
		return &ChecksumError{Key: key, Algorithm: "crc32c", Want: "the declared value", Got: "another value computed by the store", Detail: "refused by the store: " + ge.msg}
	}
	return nil
}

// gcsDo sends a request of an upload session and maps a failure like
// gcsErr does: network errors, 408, 429, 5xx and 404 (the session is
// gone) are retryable, 412 is ErrExists. The body of a good answer is
// drained and closed.
func gcsDo(c *http.Client, req *http.Request, op, key string) (*http.Response, error) {
	resp, _, err := gcsDoBody(c, req, op, key, true)
	return resp, err
}

// gcsAnswerLimit bounds the answer read (an object resource or an error).
const gcsAnswerLimit = 64 << 10

// gcsDoBody is gcsDo returning the (small) body of the answer. A 404 is
// a session gone when session is set, else ErrNotFound (no bucket).
func gcsDoBody(c *http.Client, req *http.Request, op, key string, session bool) (*http.Response, []byte, error) {
	what := op + " " + key
	resp, err := c.Do(req)
	if err != nil {
		err = maskSecrets(err)
		if req.Context().Err() != nil {
			return nil, nil, fmt.Errorf("%s: %w", what, err)
		}
		return nil, nil, Retryable(fmt.Errorf("%s: %w", what, err))
	}
	// Drained to the end, so the connection goes back to the pool.
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, gcsAnswerLimit))
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	code := resp.StatusCode
	if code < 300 || code == http.StatusPermanentRedirect {
		return resp, msg, nil
	}
	he := &gcsHTTPError{code: code, msg: strings.TrimSpace(string(msg))}
	switch {
	case code == http.StatusNotFound && !session:
		return nil, nil, fmt.Errorf("%s: %w: %w", what, ErrNotFound, he)
	case code == http.StatusNotFound:
		// The session expired or was completed: a new one may pass.
		return nil, nil, Retryable(fmt.Errorf("%s: upload session gone: %w", what, he))
	case code == http.StatusPreconditionFailed:
		return nil, nil, fmt.Errorf("%s: %w", what, ErrExists)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, nil, fmt.Errorf("%s: %w (HTTP %d): %w", what, ErrPermission, code, he)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return nil, nil, Retryable(fmt.Errorf("%s: %w", what, he))
	}
	return nil, nil, he
}
