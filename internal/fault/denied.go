package fault

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/pkg/objstore"
)

type deniedError struct{ err error }

func (e deniedError) Error() string { return e.err.Error() }
func (e deniedError) Unwrap() error { return e.err }

// Denied marks err as a refusal of the credentials or of a permission:
// retrying with the same ones will not help (exit 2).
func Denied(err error) error {
	if err == nil {
		return nil
	}
	return deniedError{err}
}

// CQL native protocol error codes (protocol spec, section 9) that refuse
// the client rather than the request.
const (
	cqlBadCredentials = 0x0100
	cqlUnauthorized   = 0x2100
)

// awsDenied are the error codes by which AWS services (S3, DynamoDB, STS)
// and S3-compatible stores refuse credentials or permissions.
var awsDenied = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "InvalidAccessKeyId": true,
	"SignatureDoesNotMatch": true, "InvalidSignatureException": true,
	"UnrecognizedClientException": true, "InvalidClientTokenId": true,
	"ExpiredToken": true, "ExpiredTokenException": true, "InvalidToken": true,
	"AllAccessDisabled": true, "AccountProblem": true, "MissingAuthenticationToken": true,
}

// IsDenied reports whether err is an authentication or permission
// refusal, from whichever service: errors marked with Denied, the object
// stores' objstore.ErrPermission (S3 AccessDenied and bad keys, GCS
// 401/403, unreadable files), Cassandra's bad credentials and
// unauthorized answers, AWS API refusals (DynamoDB), and gRPC
// PERMISSION_DENIED and UNAUTHENTICATED (Spanner, Bigtable). It is the
// one place that knows them all; it looks at the errors through the small
// interfaces their types implement, so no SDK leaks into this package's
// callers.
func IsDenied(err error) bool {
	if err == nil {
		return false
	}
	var d deniedError
	if errors.As(err, &d) || errors.Is(err, objstore.ErrPermission) {
		return true
	}
	// gocql's RequestError: the CQL error code and the server's message.
	var cql interface {
		Code() int
		Message() string
	}
	if errors.As(err, &cql) && (cql.Code() == cqlBadCredentials || cql.Code() == cqlUnauthorized) {
		return true
	}
	// smithy-go's APIError (every AWS SDK v2 service).
	var aws interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &aws) && awsDenied[aws.ErrorCode()] {
		return true
	}
	var g interface{ GRPCStatus() *status.Status }
	if errors.As(err, &g) {
		switch g.GRPCStatus().Code() {
		case codes.PermissionDenied, codes.Unauthenticated:
			return true
		}
	}
	return false
}
