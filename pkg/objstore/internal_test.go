package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/aws/smithy-go"
	"google.golang.org/api/googleapi"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestParseS3CRC32C(t *testing.T) {
	cases := []struct {
		v    *string
		typ  types.ChecksumType
		want uint32
		ok   bool
	}{
		{s3CRC32C(0xdeadbeef), types.ChecksumTypeFullObject, 0xdeadbeef, true},
		{s3CRC32C(0), "", 0, true}, // a single PutObject on a server that names no type
		{s3CRC32C(7), types.ChecksumTypeComposite, 0, false},
		{aws.String("r/BxEQ==-3"), "", 0, false}, // composite of 3 parts
		{aws.String("r/BxEQ==-3"), types.ChecksumTypeFullObject, 0, false},
		{aws.String("not base64!"), types.ChecksumTypeFullObject, 0, false},
		{aws.String("AAAAAAA="), types.ChecksumTypeFullObject, 0, false}, // 5 bytes
		{nil, types.ChecksumTypeFullObject, 0, false},
	}
	for _, tc := range cases {
		got, ok := parseS3CRC32C(tc.v, tc.typ)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseS3CRC32C(%q, %q) = %08x, %v; want %08x, %v", aws.ToString(tc.v), tc.typ, got, ok, tc.want, tc.ok)
		}
	}
}

func TestS3Archived(t *testing.T) {
	cases := []struct {
		sc      types.StorageClass
		as      types.ArchiveStatus
		restore string
		want    bool
	}{
		{"", "", "", false},
		{types.StorageClassStandard, "", "", false},
		{types.StorageClassGlacierIr, "", "", false},
		{types.StorageClassGlacier, "", "", true},
		{types.StorageClassDeepArchive, "", `ongoing-request="true"`, true},
		{types.StorageClassDeepArchive, "", `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`, false},
		{types.StorageClassIntelligentTiering, types.ArchiveStatusArchiveAccess, "", true},
		{types.StorageClassIntelligentTiering, "", "", false},
	}
	for _, tc := range cases {
		if got := s3Archived(tc.sc, tc.as, tc.restore); got != tc.want {
			t.Errorf("s3Archived(%q, %q, %q) = %v, want %v", tc.sc, tc.as, tc.restore, got, tc.want)
		}
	}
}

func TestGCSChunkSize(t *testing.T) {
	cases := []struct {
		opts WriterOptions
		want int
	}{
		{WriterOptions{}, 16 << 20},
		{WriterOptions{PartSize: 1}, 256 << 10},
		{WriterOptions{PartSize: 300 << 10}, 512 << 10},
		{WriterOptions{Size: 100}, 256 << 10},       // small and known: one request, small buffer
		{WriterOptions{Size: 256 << 10}, 512 << 10}, // must exceed the size to stay one request
		{WriterOptions{Size: 100 << 20}, 16 << 20},  // large: resumable in default chunks
		{WriterOptions{Size: 20 << 20, PartSize: 8 << 20}, 8 << 20},
	}
	for _, tc := range cases {
		if got := gcsChunkSize(tc.opts); got != tc.want {
			t.Errorf("gcsChunkSize(%+v) = %d, want %d", tc.opts, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	inner := &url.Error{Op: "Put", URL: "http://127.0.0.1:4443/upload/storage/v1/b/x/o?uploadType=resumable&name=k&upload_id=SECRETID123", Err: errors.New("connection reset by peer")}
	err := maskSecrets(fmt.Errorf("write k: %w", inner))
	if strings.Contains(err.Error(), "SECRETID123") || !strings.Contains(err.Error(), "upload_id=REDACTED") {
		t.Errorf("redact: %q", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Error("redact hides the wrapped error from errors.As")
	}
	for _, s := range []string{"X-Amz-Signature=abc&X-Amz-Credential=AKIA/x", "access_token=ya29.x", "uploadId=u1"} {
		if got := maskSecrets(errors.New(s)).Error(); strings.Contains(got, "abc") || strings.Contains(got, "AKIA") || strings.Contains(got, "ya29") || strings.Contains(got, "u1") {
			t.Errorf("maskSecrets(%q) = %q", s, got)
		}
	}
	plain := errors.New("nothing to hide")
	if maskSecrets(plain) != plain {
		t.Error("redact rewrapped an error with nothing to hide")
	}
}

func TestErrorMapping(t *testing.T) {
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	reset := &url.Error{Op: "Get", URL: "http://h/x", Err: syscall.ECONNRESET}
	cases := []struct {
		name                      string
		err                       error
		notFound, exists, retries bool
	}{
		{"s3 NoSuchKey", s3Err("get", "k", api("NoSuchKey")), true, false, false},
		{"s3 NotFound", s3Err("stat", "k", api("NotFound")), true, false, false},
		{"s3 PreconditionFailed", s3Err("put", "k", api("PreconditionFailed")), false, true, false},
		{"s3 ConditionalRequestConflict", s3Err("put", "k", api("ConditionalRequestConflict")), false, true, false},
		{"s3 SlowDown", s3Err("put", "k", api("SlowDown")), false, false, true},
		{"s3 AccessDenied", s3Err("put", "k", api("AccessDenied")), false, false, false},
		{"s3 reset", s3Err("get", "k", reset), false, false, true},
		{"s3 cancelled", s3Err("get", "k", context.Canceled), false, false, false},
		{"gcs missing", gcsErr("get", "k", storage.ErrObjectNotExist), true, false, false},
		{"gcs 412", gcsErr("put", "k", &googleapi.Error{Code: 412}), false, true, false},
		{"gcs 503", gcsErr("put", "k", &googleapi.Error{Code: 503}), false, false, true},
		{"gcs 429", gcsErr("put", "k", &googleapi.Error{Code: 429}), false, false, true},
		{"gcs 403", gcsErr("put", "k", &googleapi.Error{Code: 403}), false, false, false},
		{"gcs reset", gcsErr("get", "k", reset), false, false, true},
		{"gcs cancelled", gcsErr("get", "k", fmt.Errorf("x: %w", context.Canceled)), false, false, false},
	}
	for _, tc := range cases {
		if got := errors.Is(tc.err, ErrNotFound); got != tc.notFound {
			t.Errorf("%s: not found = %v (%v)", tc.name, got, tc.err)
		}
		if got := errors.Is(tc.err, ErrExists); got != tc.exists {
			t.Errorf("%s: exists = %v (%v)", tc.name, got, tc.err)
		}
		if got := IsRetryable(tc.err); got != tc.retries {
			t.Errorf("%s: retryable = %v (%v)", tc.name, got, tc.err)
		}
		if !strings.Contains(tc.err.Error(), " k") {
			t.Errorf("%s: %q does not name the key", tc.name, tc.err)
		}
	}
}
