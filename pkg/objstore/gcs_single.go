package objstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// A single-request upload to GCS is the JSON API's multipart upload: one
// POST whose body is the object's metadata (the declared CRC32C among
// it) and then its bytes, streamed from the caller, so the service does
// one request's work where a resumable upload takes three (start, chunk,
// completion). The closing boundary is written only after the caller's
// body ended at exactly the declared size; a body that fails first
// leaves the request short of its Content-Length, which the service
// never completes.

var _ SingleUploader = (*gcsDriver)(nil)

// gcsObjectAnswer is what the service answers a completed upload with
// (the object resource; only what is checked).
type gcsObjectAnswer struct {
	Size    string `json:"size"`
	CRC32C  string `json:"crc32c"`
	Updated string `json:"updated"`
	Class   string `json:"storageClass"`
}

// uploadMeta is the JSON metadata of an upload of name.
func uploadMeta(name string, opts WriterOptions) []byte {
	meta := map[string]string{"name": name}
	if opts.ContentType != "" {
		meta["contentType"] = opts.ContentType
	}
	if opts.StorageClass != "" {
		meta["storageClass"] = opts.StorageClass
	}
	if opts.HasCRC32C {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], opts.CRC32C)
		meta["crc32c"] = base64.StdEncoding.EncodeToString(b[:])
	}
	body, _ := json.Marshal(meta)
	return body
}

func (d *gcsDriver) PutSingle(ctx context.Context, key string, size int64, body io.Reader, opts WriterOptions) (Attrs, error) {
	c, base, err := d.uploadClient(ctx)
	if err != nil {
		return Attrs{}, err
	}
	name := d.prefix + key
	q := url.Values{"uploadType": {"multipart"}, "name": {name}}
	if opts.IfAbsent {
		q.Set("ifGenerationMatch", "0")
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	boundary := "lading-" + hex.EncodeToString(rnd[:])
	head := []byte("--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n")
	head = append(head, uploadMeta(name, opts)...)
	head = append(head, "\r\n--"+boundary+"\r\nContent-Type: application/octet-stream\r\n\r\n"...)
	tail := []byte("\r\n--" + boundary + "--\r\n")
	data := &exactBody{r: body, n: size, key: key}
	u := base + "/upload/storage/v1/b/" + url.PathEscape(d.name) + "/o?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u,
		io.NopCloser(io.MultiReader(bytes.NewReader(head), data, bytes.NewReader(tail))))
	if err != nil {
		return Attrs{}, err
	}
	req.ContentLength = int64(len(head)) + size + int64(len(tail))
	req.Header.Set("Content-Type", "multipart/related; boundary="+boundary)
	resp, answer, err := gcsDoBody(c, req, "write", key, false)
	if err != nil {
		if ce := gcsCRCRefused(key, err); ce != nil {
			return Attrs{}, ce
		}
		return Attrs{}, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return Attrs{}, fmt.Errorf("write %s: the service did not create the object (status %d)", key, resp.StatusCode)
	}
	return parseGCSObject(key, answer)
}

// parseGCSObject reads the size and CRC32C of the object resource the
// service answered an upload with.
func parseGCSObject(key string, answer []byte) (Attrs, error) {
	var o gcsObjectAnswer
	if err := json.Unmarshal(answer, &o); err != nil {
		return Attrs{}, fmt.Errorf("write %s: the service's answer is not an object: %w", key, err)
	}
	a := Attrs{Key: key, StorageClass: o.Class}
	var err error
	if a.Size, err = strconv.ParseInt(o.Size, 10, 64); err != nil {
		return Attrs{}, fmt.Errorf("write %s: the service's answer has size %q", key, o.Size)
	}
	if b, err := base64.StdEncoding.DecodeString(o.CRC32C); err == nil && len(b) == 4 {
		a.CRC32C, a.HasCRC32C = binary.BigEndian.Uint32(b), true
	}
	a.ModTime, _ = time.Parse(time.RFC3339Nano, o.Updated)
	return a, nil
}
