package objstore_test

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// s3Gaps are what the S3 test server (versitygw) is known not to
// enforce; see docs/objstore.md.
var s3Gaps = map[objstoretest.Gap]string{
	objstoretest.GapIfAbsentCopy: "versitygw ignores If-None-Match on CopyObject",
}

func s3URL(endpoint, bucket, prefix string) string {
	return "s3://" + bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(endpoint)
}

// openS3Bucket opens a fresh prefix of the test bucket and empties it
// when the test ends.
func openS3Bucket(t *testing.T) *objstore.Bucket {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	return openScratch(t, s3URL(endpoint, bucket, objstoretest.UniquePrefix(t)))
}

func TestS3Conformance(t *testing.T) {
	t.Parallel()
	testenv.S3(t)
	objstoretest.RunConformanceTests(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Bucket:      openS3Bucket(t),
			Other:       openS3Bucket(t),
			MinPartSize: 5 << 20,
			Gaps:        s3Gaps,
		}
	})
}

// rawS3 is a plain SDK client on the test server, to look behind the
// driver (pending uploads, objects written by other tools).
func rawS3(t *testing.T) (*s3.Client, string) {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}), bucket
}

func pendingUploads(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	out, err := c.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// Aborted, cancelled and lost conditional multipart writes leave no
// upload behind (its parts would be billed until a lifecycle rule).
func TestS3NoPendingMultipartUploads(t *testing.T) {
	b := openS3Bucket(t)
	raw, bucket := rawS3(t)
	ctx := t.Context()
	opts := &objstore.WriterOptions{PartSize: 5 << 20}
	big := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16)

	w, err := b.NewWriter(ctx, "aborted", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}

	if _, err := b.WriteAll(ctx, "taken", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	cond := *opts
	cond.IfAbsent = true
	if _, err := b.WriteAll(ctx, "taken", big, &cond); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("conditional multipart write over an object: got %v, want ErrExists", err)
	}
	wrong := *opts
	wrong.HasCRC32C, wrong.CRC32C = true, 12345
	dw, err := b.Driver().NewWriter(ctx, "bad-crc", wrong)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dw.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err == nil {
		t.Fatal("wrong declared CRC32C accepted")
	}
	prefix := b.Location().Prefix + "/"
	if got := pendingUploads(t, raw, bucket, prefix); len(got) != 0 {
		t.Fatalf("pending multipart uploads left: %q", got)
	}
}

// Objects written by other tools: a CRC32 (not CRC32C) checksum, or a
// COMPOSITE CRC32C of a multipart upload, is not a whole-object CRC32C,
// so Attributes reports none and a Bucket write check would refuse it.
func TestS3ForeignChecksums(t *testing.T) {
	b := openS3Bucket(t)
	raw, bucket := rawS3(t)
	ctx := t.Context()
	full := func(k string) *string { return aws.String(b.Location().Prefix + "/" + k) }

	_, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: full("crc32"), Body: strings.NewReader("hello"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.Attributes(ctx, "crc32")
	if err != nil {
		t.Fatal(err)
	}
	if a.HasCRC32C || a.Size != 5 {
		t.Errorf("object with a CRC32 checksum: %+v, want size 5 and no CRC32C", a)
	}

	up, err := raw.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: full("composite"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeComposite})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, body := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")} {
		out, err := raw.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: full("composite"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C})
	}
	if _, err := raw.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: full("composite"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	a, err = b.Attributes(ctx, "composite")
	if err != nil {
		t.Fatal(err)
	}
	if a.HasCRC32C {
		t.Errorf("object with a COMPOSITE CRC32C: Attributes claims a whole-object CRC32C %08x", a.CRC32C)
	}
	if a.Size != 5<<20+4 {
		t.Errorf("composite object size %d", a.Size)
	}
}

// s3MultipartCopyGap: versitygw answers each UploadPartCopy with the
// CRC32C of the whole source instead of the copied range, so the
// FULL_OBJECT CRC32C it combines from them is wrong and it refuses the
// right one at completion (BadDigest).
const s3MultipartCopyGap = "versitygw's UploadPartCopy reports the whole source's CRC32C for every range, so a FULL_OBJECT multipart copy cannot complete"

// Objects over the CopyObject limit are copied as a multipart upload of
// UploadPartCopy ranges with a FULL_OBJECT CRC32C (limits lowered here).
// On a server that gets the checksums wrong the copy must fail and leave
// nothing, never succeed with a wrong checksum.
func TestS3MultipartCopy(t *testing.T) {
	restore := objstore.SetS3CopyLimits(6<<20, 5<<20)
	defer restore()
	src, dst := openS3Bucket(t), openS3Bucket(t)
	raw, bucket := rawS3(t)
	ctx := t.Context()
	data := bytes.Repeat([]byte("lading!"), (13<<20)/7)
	sum, err := src.WriteAll(ctx, "big", data, &objstore.WriterOptions{PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	noneLeft := func(key string) {
		t.Helper()
		if _, err := dst.Attributes(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("a failed copy left %s: %v", key, err)
		}
		if got := pendingUploads(t, raw, bucket, dst.Location().Prefix+"/"); len(got) != 0 {
			t.Errorf("pending multipart uploads left: %q", got)
		}
	}
	err = dst.CopyFrom(ctx, src, "big", "copy", &objstore.WriterOptions{HasCRC32C: true, CRC32C: sum.CRC32C})
	if err != nil {
		if !strings.Contains(err.Error(), "BadDigest") {
			t.Fatalf("multipart copy: %v", err)
		}
		noneLeft("copy")
		t.Logf("known gap of this test server: %s (%v)", s3MultipartCopyGap, err)
		t.Skip("server cannot complete a FULL_OBJECT multipart copy; it failed safely")
	}
	a, err := dst.Attributes(ctx, "copy")
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != sum.Size || !a.HasCRC32C || a.CRC32C != sum.CRC32C {
		t.Fatalf("copy attributes %+v, want size %d crc32c %08x", a, sum.Size, sum.CRC32C)
	}
	got, err := dst.ReadAll(ctx, "copy")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("copy content differs (err %v, %d bytes)", err, len(got))
	}
	err = dst.CopyFrom(ctx, src, "big", "bad", &objstore.WriterOptions{HasCRC32C: true, CRC32C: sum.CRC32C ^ 1})
	if err == nil {
		t.Fatal("multipart copy with a wrong declared CRC32C succeeded")
	}
	noneLeft("bad")
}

// Errors name the object but never the credentials.
func TestS3ErrorsHideCredentials(t *testing.T) {
	endpoint, bucket := testenv.S3(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret-0123456789")
	b, err := objstore.Open(t.Context(), s3URL(endpoint, bucket, objstoretest.UniquePrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = b.WriteAll(t.Context(), "k", []byte("x"), nil)
	if err == nil {
		t.Fatal("write with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), "not-the-right-secret") {
		t.Fatalf("error shows the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "/k") {
		t.Errorf("error does not name the object: %v", err)
	}
}
