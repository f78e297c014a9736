// Command svcinit is the helper behind scripts/services.sh: it waits for the
// local test servers to answer real requests and creates the test buckets.
//
//	svcinit waitport  -addr 127.0.0.1:8086 [-timeout 1m]
//	svcinit s3init    -endpoint http://127.0.0.1:7070 -buckets a,b [-timeout 1m]
//	svcinit gcsinit   -endpoint http://127.0.0.1:4443 -buckets a,b [-timeout 1m]
//	svcinit s3probe   [-endpoint http://127.0.0.1:7070] [-bucket lading-test]   (feature report)
//	svcinit gcsprobe  [-endpoint http://127.0.0.1:4443] [-bucket lading-test]   (feature report)
//
// S3 credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_REGION (default: those of `scripts/services.sh env`).
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "", "host:port (waitport)")
	endpoint := fs.String("endpoint", "", "server base URL")
	buckets := fs.String("buckets", "", "comma-separated buckets to create")
	bucket := fs.String("bucket", "lading-test", "bucket for probes")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	_ = fs.Parse(os.Args[2:])
	if *endpoint == "" { // the defaults of `scripts/services.sh env`
		switch os.Args[1] {
		case "s3init", "s3probe":
			*endpoint = envOr("LADING_S3_ENDPOINT", "http://127.0.0.1:7070")
		case "gcsinit", "gcsprobe":
			*endpoint = "http://" + envOr("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	switch os.Args[1] {
	case "waitport":
		err = retry(ctx, func() error { return dial(*addr) })
	case "s3init":
		c := s3Client(*endpoint)
		err = retry(ctx, func() error { _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); return err })
		if err == nil {
			err = s3Buckets(ctx, c, split(*buckets))
		}
	case "gcsinit":
		err = retry(ctx, func() error { return gcsList(ctx, *endpoint) })
		if err == nil {
			err = gcsBuckets(ctx, *endpoint, split(*buckets))
		}
	case "s3probe":
		err = s3Probe(ctx, s3Client(*endpoint), *bucket)
	case "gcsprobe":
		err = gcsProbe(ctx, *endpoint, *bucket)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "svcinit %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: svcinit waitport|s3init|gcsinit|s3probe|gcsprobe [flags]")
	os.Exit(2)
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// retry calls f every 250ms until it succeeds or ctx ends.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// ---- S3 ----

func s3Client(endpoint string) *s3.Client {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     envOr("AWS_ACCESS_KEY_ID", "lading-test-access"),
			SecretAccessKey: envOr("AWS_SECRET_ACCESS_KEY", "lading-test-secret"),
			Source:          "env",
		}, nil
	})
	return s3.New(s3.Options{
		Region:           region,
		Credentials:      creds,
		BaseEndpoint:     aws.String(endpoint),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
	})
}

func s3Buckets(ctx context.Context, c *s3.Client, names []string) error {
	for _, b := range names {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		var owned *types.BucketAlreadyOwnedByYou
		var exists *types.BucketAlreadyExists
		if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
		if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("head bucket %s: %w", b, err)
		}
	}
	return nil
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func crc32cB64(parts ...[]byte) string {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, p := range parts {
		h.Write(p)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], h.Sum32())
	return base64.StdEncoding.EncodeToString(b[:])
}

// s3Probe reports whether the server enforces If-None-Match: * on PutObject
// and full-object CRC32C checksums on multipart uploads.
func s3Probe(ctx context.Context, c *s3.Client, bucket string) error {
	key := fmt.Sprintf("svcinit-probe/%d", time.Now().UnixNano())
	defer c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(key)})
	put := func() error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key,
			Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
		return err
	}
	e1, e2 := put(), put()
	fmt.Printf("PutObject If-None-Match:* first=%s second=%s (want ok, PreconditionFailed)\n", apiCode(e1), apiCode(e2))

	src := key + "-src"
	defer c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &src})
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &src, Body: strings.NewReader("source")})
	if err != nil {
		return err
	}
	_, e3 := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &key, CopySource: aws.String(bucket + "/" + src),
		IfNoneMatch: aws.String("*")})
	got, _ := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	body := ""
	if got != nil {
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		body = string(b)
	}
	fmt.Printf("CopyObject If-None-Match:* onto an existing key: %s, object now %q (want PreconditionFailed, \"x\")\n", apiCode(e3), body)

	mp := func(name string, declared string) (string, error) {
		k := key + "-" + name
		defer c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &k})
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &k,
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject})
		if err != nil {
			return "", fmt.Errorf("create: %w", err)
		}
		p1 := bytes.Repeat([]byte("a"), 5<<20)
		p2 := []byte("tail")
		var done []types.CompletedPart
		for i, p := range [][]byte{p1, p2} {
			n := int32(i + 1)
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &k, UploadId: cr.UploadId,
				PartNumber: &n, Body: bytes.NewReader(p), ChecksumCRC32C: aws.String(crc32cB64(p))})
			if err != nil {
				c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &k, UploadId: cr.UploadId})
				return "", fmt.Errorf("part %d: %w", n, err)
			}
			done = append(done, types.CompletedPart{PartNumber: &n, ETag: up.ETag, ChecksumCRC32C: up.ChecksumCRC32C})
		}
		if declared == "" {
			declared = crc32cB64(p1, p2)
		}
		out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &k,
			UploadId: cr.UploadId, ChecksumCRC32C: aws.String(declared), ChecksumType: types.ChecksumTypeFullObject,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		if err != nil {
			c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &k, UploadId: cr.UploadId})
			return "", err
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &k, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			return "", fmt.Errorf("head: %w", err)
		}
		return fmt.Sprintf("complete crc32c=%s type=%s; head crc32c=%s type=%s (want %s)",
			aws.ToString(out.ChecksumCRC32C), out.ChecksumType, aws.ToString(h.ChecksumCRC32C), h.ChecksumType,
			crc32cB64(p1, p2)), nil
	}
	r, err := mp("good", "")
	fmt.Printf("multipart FULL_OBJECT CRC32C, correct: %s err=%s\n", r, apiCode(err))
	r, err = mp("bad", "AAAAAA==")
	fmt.Printf("multipart FULL_OBJECT CRC32C, wrong declared (want an error): %s err=%s\n", r, apiCode(err))
	return nil
}

// ---- GCS (fake-gcs-server JSON API) ----

var httpc = &http.Client{Timeout: 10 * time.Second}

func gcsList(ctx context.Context, endpoint string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", endpoint+"/storage/v1/b?project=test", nil)
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("list buckets: %s", resp.Status)
	}
	return nil
}

func gcsBuckets(ctx context.Context, endpoint string, names []string) error {
	for _, b := range names {
		body, _ := json.Marshal(map[string]string{"name": b})
		req, _ := http.NewRequestWithContext(ctx, "POST", endpoint+"/storage/v1/b?project=test", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 409 {
			return fmt.Errorf("create bucket %s: %s %s", b, resp.Status, msg)
		}
		req, _ = http.NewRequestWithContext(ctx, "GET", endpoint+"/storage/v1/b/"+url.PathEscape(b), nil)
		resp, err = httpc.Do(req)
		if err != nil {
			return fmt.Errorf("get bucket %s: %w", b, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("get bucket %s: %s", b, resp.Status)
		}
	}
	return nil
}

func gcsUpload(ctx context.Context, endpoint, bucket, name, query string, meta map[string]string, data []byte) (int, string) {
	var body bytes.Buffer
	mb, _ := json.Marshal(meta)
	body.WriteString("--BOUNDARY\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n")
	body.Write(mb)
	body.WriteString("\r\n--BOUNDARY\r\nContent-Type: application/octet-stream\r\n\r\n")
	body.Write(data)
	body.WriteString("\r\n--BOUNDARY--\r\n")
	u := fmt.Sprintf("%s/upload/storage/v1/b/%s/o?uploadType=multipart&name=%s%s", endpoint, bucket, url.QueryEscape(name), query)
	req, _ := http.NewRequestWithContext(ctx, "POST", u, &body)
	req.Header.Set("Content-Type", "multipart/related; boundary=BOUNDARY")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(msg))
}

// gcsProbe reports what the server does with ifGenerationMatch=0 and with a
// declared crc32c that does not match the data.
func gcsProbe(ctx context.Context, endpoint, bucket string) error {
	name := fmt.Sprintf("svcinit-probe/%d", time.Now().UnixNano())
	defer func() {
		for _, n := range []string{name, name + "-crc"} {
			req, _ := http.NewRequest("DELETE", endpoint+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(n), nil)
			if resp, err := httpc.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	s1, _ := gcsUpload(ctx, endpoint, bucket, name, "&ifGenerationMatch=0", map[string]string{"name": name}, []byte("x"))
	s2, m2 := gcsUpload(ctx, endpoint, bucket, name, "&ifGenerationMatch=0", map[string]string{"name": name}, []byte("x"))
	fmt.Printf("upload ifGenerationMatch=0 first=%d second=%d (want 200, 412) %.120s\n", s1, s2, m2)
	s3, m3 := gcsUpload(ctx, endpoint, bucket, name+"-crc", "", map[string]string{"name": name + "-crc", "crc32c": "AAAAAA=="}, []byte("hello"))
	fmt.Printf("multipart upload with wrong declared crc32c: status=%d (want 400) %.160s\n", s3, m3)

	for _, chunks := range []int{1, 2} {
		n := fmt.Sprintf("%s-res%d", name, chunks)
		st, msg := gcsResumable(ctx, endpoint, bucket, n, "AAAAAA==", chunks)
		fmt.Printf("resumable upload (%d chunks) with wrong declared crc32c: status=%d (want 400) %.160s\n", chunks, st, msg)
		gcsDo(ctx, "DELETE", endpoint+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(n), nil)
	}

	// Conditional copy onto an existing object.
	src := name + "-src"
	gcsUpload(ctx, endpoint, bucket, src, "", map[string]string{"name": src}, []byte("source"))
	for _, verb := range []string{"copyTo", "rewriteTo"} {
		st, msg := gcsDo(ctx, "POST", fmt.Sprintf("%s/storage/v1/b/%s/o/%s/%s/b/%s/o/%s?ifGenerationMatch=0",
			endpoint, bucket, url.PathEscape(src), verb, bucket, url.PathEscape(name)), nil)
		fmt.Printf("%s with ifGenerationMatch=0 onto an existing object: status=%d (want 412) %.100s\n", verb, st, msg)
	}
	gcsDo(ctx, "DELETE", endpoint+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(src), nil)

	// Listing pages.
	pre := name + "-list/"
	for i := 0; i < 3; i++ {
		n := fmt.Sprintf("%s%d", pre, i)
		gcsUpload(ctx, endpoint, bucket, n, "", map[string]string{"name": n}, []byte("x"))
		defer gcsDo(context.Background(), "DELETE", endpoint+"/storage/v1/b/"+bucket+"/o/"+url.PathEscape(n), nil)
	}
	for _, q := range []string{"", "&delimiter=/"} {
		st, msg := gcsDo(ctx, "GET", endpoint+"/storage/v1/b/"+bucket+"/o?maxResults=1&prefix="+url.QueryEscape(pre)+q, nil)
		var page struct {
			Items         []json.RawMessage `json:"items"`
			NextPageToken string            `json:"nextPageToken"`
		}
		_ = json.Unmarshal([]byte(msg), &page)
		fmt.Printf("list maxResults=1%s over 3 objects: status=%d items=%d nextPageToken=%q (want 1 item and a token)\n",
			q, st, len(page.Items), page.NextPageToken)
	}
	return nil
}

func gcsDo(ctx context.Context, method, u string, body []byte) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(msg))
}

// gcsResumable uploads 256 KiB * chunks + 3 bytes in that many + 1 requests
// with a declared crc32c, as the Go client does for a large object.
func gcsResumable(ctx context.Context, endpoint, bucket, name, crc string, chunks int) (int, string) {
	meta, _ := json.Marshal(map[string]string{"name": name, "crc32c": crc})
	req, _ := http.NewRequestWithContext(ctx, "POST", endpoint+"/upload/storage/v1/b/"+bucket+"/o?uploadType=resumable&name="+url.QueryEscape(name), bytes.NewReader(meta))
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return resp.StatusCode, "no Location header"
	}
	const chunk = 256 << 10
	data := bytes.Repeat([]byte("z"), chunk*chunks+3)
	st, msg := 0, ""
	for off := 0; off < len(data); {
		end := min(off+chunk, len(data))
		if chunks == 1 {
			end = len(data) // one request with everything
		}
		total := "*"
		if end == len(data) {
			total = fmt.Sprint(len(data))
		}
		req, _ := http.NewRequestWithContext(ctx, "PUT", loc, bytes.NewReader(data[off:end]))
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%s", off, end-1, total))
		resp, err := httpc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		st, msg = resp.StatusCode, strings.TrimSpace(string(b))
		off = end
	}
	return st, msg
}
