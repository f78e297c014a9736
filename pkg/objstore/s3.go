package objstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// The S3 backend: s3://bucket/prefix?endpoint=URL&region=R&path-style=BOOL.
//
//   - endpoint: base URL of an S3-compatible service (http or https, no
//     credentials, no path); unset means AWS itself.
//   - region: the signing region; unset means the default chain's
//     (AWS_REGION, the profile), else us-east-1.
//   - path-style: true or false; addresses the bucket in the path
//     (http://host/bucket/key) instead of the host name. Default: true
//     when endpoint is set, false otherwise.
//
// Credentials come from the AWS default chain (environment, shared
// files, SSO, web identity, instance roles), never from the URL.

func init() { Register("s3", []string{"endpoint", "region", "path-style"}, openS3) }

const (
	// defaultPartSize is the multipart part / resumable chunk size.
	defaultPartSize = 16 << 20
	// s3UploadConcurrency is the number of parts in flight per write; a
	// write holds at most s3UploadConcurrency+1 parts in memory.
	s3UploadConcurrency = 4
	// s3MinPartSize is the smallest part S3 accepts (but the last).
	s3MinPartSize = 5 << 20
	// s3MaxParts is S3's limit of parts in one multipart upload.
	s3MaxParts = 10000
)

type s3Driver struct {
	client   *s3.Client
	bucket   string
	prefix   string // "" or ending in "/"
	endpoint string // "" for AWS
	region   string
}

var (
	_ Driver = (*s3Driver)(nil)
	_ Copier = (*s3Driver)(nil)
)

var s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$`)

func openS3(ctx context.Context, loc *Location) (Driver, error) {
	if !s3BucketName.MatchString(loc.Bucket) {
		return nil, fmt.Errorf("%w: %q is not a valid S3 bucket name", ErrBadURL, loc.Bucket)
	}
	endpoint := loc.Params.Get("endpoint")
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: s3 endpoint must be an http:// or https:// URL with a host", ErrBadURL)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%w: s3 endpoint %s://%s must have no credentials, path or query", ErrBadURL, u.Scheme, u.Host)
		}
		endpoint = u.Scheme + "://" + u.Host
	}
	pathStyle := endpoint != ""
	if v := loc.Params.Get("path-style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%w: s3 parameter path-style=%q: want true or false", ErrBadURL, v)
		}
		pathStyle = b
	}
	var optFns []func(*config.LoadOptions) error
	if r := loc.Params.Get("region"); r != "" {
		optFns = append(optFns, config.WithRegion(r))
	}
	// The SDK's default retryer also keeps a process-wide retry budget
	// ("retry quota"): after a burst of resets it stops retrying anything
	// for the rest of the run. lading's runs are long and bounded by their
	// own backoff, so each request keeps its own attempts instead.
	optFns = append(optFns, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
			o.MaxAttempts = 5
		})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
		// The SDK logs to stderr by default; a library stays quiet.
		o.Logger = logging.Nop{}
	})
	prefix := loc.Prefix
	if prefix != "" {
		prefix += "/"
	}
	return &s3Driver{client: client, bucket: loc.Bucket, prefix: prefix, endpoint: endpoint, region: cfg.Region}, nil
}

func (d *s3Driver) full(key string) string { return d.prefix + key }

func (d *s3Driver) Close() error { return nil }

// s3Err maps an SDK error to objstore's errors: not found, exists (a
// failed If-None-Match), retryable (throttling, 5xx, resets that outlived
// the SDK's retries). The SDK's messages carry no credentials.
func s3Err(op, key string, err error) error {
	if err == nil {
		return nil
	}
	what := op + " " + key
	err = maskSecrets(err)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%s: %w (%s)", what, ErrExists, ae.ErrorCode())
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
			"InvalidToken", "ExpiredToken", "AccountProblem", "InvalidSecurity",
			"XAdminUserNotFound": // versitygw's answer (HTTP 404) to an unknown access key
			return fmt.Errorf("%s: %w (%s): %w", what, ErrPermission, ae.ErrorCode(), err)
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == http.StatusNotFound:
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		case code == http.StatusPreconditionFailed:
			return fmt.Errorf("%s: %w", what, ErrExists)
		case code == http.StatusUnauthorized || (code == http.StatusForbidden && !isClockSkew(err)):
			// A HEAD answer has no body, so no error code: its status says it.
			return fmt.Errorf("%s: %w (HTTP %d): %w", what, ErrPermission, code, err)
		case code == http.StatusTooManyRequests || code >= 500:
			return Retryable(fmt.Errorf("%s: %w", what, err))
		}
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return Retryable(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isClockSkew reports S3's 403 for a request signed with a clock too far
// from the server's: the SDK corrects its offset and retries, so it is
// not a refusal of the credentials.
func isClockSkew(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "RequestTimeTooSkewed" || ae.ErrorCode() == "RequestExpired")
}

// isBadDigest reports the store refusing bytes whose checksum differs
// from the one sent with them.
func isBadDigest(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch":
		return true
	}
	return false
}

// checksumRefused turns the store's refusal of a declared checksum into a
// *ChecksumError (permanent: the bytes are not the declared ones); when
// lading computed the checksum itself, the bytes changed on the way and
// another try may pass.
func checksumRefused(key string, declared bool, sent, computed uint32, err error) error {
	ce := &ChecksumError{Key: key, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", sent), Got: fmt.Sprintf("%08x", computed),
		Detail: "refused by the store: " + err.Error()}
	if declared {
		return ce
	}
	return Retryable(ce)
}

// isInvalidRange reports a 416: a read starting at or past the end.
func isInvalidRange(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

func emptyReader() io.ReadCloser { return io.NopCloser(strings.NewReader("")) }

func (d *s3Driver) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if length == 0 {
		if _, err := d.Attributes(ctx, key); err != nil {
			return nil, err
		}
		return emptyReader(), nil
	}
	in := &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.full(key))}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := d.client.GetObject(ctx, in)
	if err != nil {
		if isInvalidRange(err) {
			return emptyReader(), nil
		}
		return nil, s3Err("get", key, err)
	}
	return &s3Reader{body: out.Body, key: key}, nil
}

// s3Reader marks errors met while streaming the body.
type s3Reader struct {
	body io.ReadCloser
	key  string
}

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF {
		err = s3Err("read", r.key, err)
		if errors.Is(err, io.ErrUnexpectedEOF) && !IsRetryable(err) {
			err = Retryable(err)
		}
	}
	return n, err
}

func (r *s3Reader) Close() error { return r.body.Close() }

func (d *s3Driver) head(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
	out, err := d.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:       aws.String(d.bucket),
		Key:          aws.String(d.full(key)),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	return out, s3Err("stat", key, err)
}

func (d *s3Driver) Attributes(ctx context.Context, key string) (Attrs, error) {
	out, err := d.head(ctx, key)
	if err != nil {
		return Attrs{}, err
	}
	a := Attrs{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ModTime:      aws.ToTime(out.LastModified),
		StorageClass: string(out.StorageClass),
	}
	a.CRC32C, a.HasCRC32C = parseS3CRC32C(out.ChecksumCRC32C, out.ChecksumType)
	a.Archived = s3Archived(out.StorageClass, out.ArchiveStatus, aws.ToString(out.Restore))
	return a, nil
}

// parseS3CRC32C decodes a whole-object CRC32C. A COMPOSITE checksum
// ("xxxx-N", a CRC of the parts' CRCs) is not one.
func parseS3CRC32C(v *string, typ types.ChecksumType) (uint32, bool) {
	if v == nil || typ == types.ChecksumTypeComposite || strings.Contains(*v, "-") {
		return 0, false
	}
	b, err := base64.StdEncoding.DecodeString(*v)
	if err != nil || len(b) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b), true
}

// s3CRC32C encodes a CRC32C as S3 headers carry it.
func s3CRC32C(c uint32) *string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], c)
	return aws.String(base64.StdEncoding.EncodeToString(b[:]))
}

// s3Archived reports whether an object must be restored before a read.
func s3Archived(sc types.StorageClass, as types.ArchiveStatus, restore string) bool {
	restored := strings.Contains(restore, `ongoing-request="false"`)
	switch {
	case sc == types.StorageClassGlacier || sc == types.StorageClassDeepArchive:
		return !restored
	case as != "":
		return !restored
	}
	return false
}

func (d *s3Driver) ListPage(ctx context.Context, prefix, delimiter, pageToken string, pageSize int) (Page, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(d.bucket),
		Prefix:  aws.String(d.full(prefix)),
		MaxKeys: aws.Int32(int32(min(pageSize, 1000))),
	}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	if pageToken != "" {
		in.ContinuationToken = aws.String(pageToken)
	}
	out, err := d.client.ListObjectsV2(ctx, in)
	if err != nil {
		return Page{}, s3Err("list", prefix, err)
	}
	var p Page
	for _, o := range out.Contents {
		k, ok := strings.CutPrefix(aws.ToString(o.Key), d.prefix)
		if !ok {
			continue
		}
		p.Objects = append(p.Objects, Object{Key: k, Size: aws.ToInt64(o.Size)})
	}
	for _, cp := range out.CommonPrefixes {
		if k, ok := strings.CutPrefix(aws.ToString(cp.Prefix), d.prefix); ok {
			p.Prefixes = append(p.Prefixes, k)
		}
	}
	if aws.ToBool(out.IsTruncated) {
		p.NextPageToken = aws.ToString(out.NextContinuationToken)
	}
	return p, nil
}

// Delete removes key. S3 answers a delete of a missing key with success,
// so a HEAD first tells not-found apart (not atomic with the delete: a
// concurrent delete may make both succeed).
func (d *s3Driver) Delete(ctx context.Context, key string) error {
	if _, err := d.head(ctx, key); err != nil {
		return err
	}
	_, err := d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.full(key))})
	return s3Err("delete", key, err)
}
