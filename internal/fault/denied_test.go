package fault

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/pkg/objstore"
)

// cqlError has the shape of gocql's RequestError (whose types cannot be
// built outside the driver); the real driver's answers are tested in
// internal/cql and internal/e2e.
type cqlError struct{ code int }

func (e cqlError) Error() string   { return e.Message() }
func (e cqlError) Code() int       { return e.code }
func (e cqlError) Message() string { return fmt.Sprintf("cql error %#x", e.code) }

func TestIsDenied(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		denied bool
		code   int
	}{
		{"marked", fmt.Errorf("connect: %w", Denied(errors.New("authentication failed"))), true, ExitUsage},
		{"store", fmt.Errorf("list: %w (HTTP 403)", objstore.ErrPermission), true, ExitUsage},
		{"cql bad credentials", fmt.Errorf("q: %w", cqlError{0x0100}), true, ExitUsage},
		{"cql unauthorized", fmt.Errorf("q: %w", cqlError{0x2100}), true, ExitUsage},
		{"cql overloaded", fmt.Errorf("q: %w", cqlError{0x1001}), false, ExitRetry},
		{"dynamodb access denied", fmt.Errorf("scan: %w", &smithy.GenericAPIError{Code: "AccessDeniedException"}), true, ExitUsage},
		{"dynamodb bad key", &smithy.GenericAPIError{Code: "UnrecognizedClientException"}, true, ExitUsage},
		{"dynamodb throttled", &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException"}, false, ExitRetry},
		{"grpc permission denied", fmt.Errorf("commit: %w", status.Error(codes.PermissionDenied, "no")), true, ExitUsage},
		{"grpc unauthenticated", status.Error(codes.Unauthenticated, "no"), true, ExitUsage},
		{"grpc unavailable", status.Error(codes.Unavailable, "later"), false, ExitRetry},
		{"verification wins", errors.Join(Verifyf("crc32c mismatch"), objstore.ErrPermission), true, ExitVerify},
		{"plain", errors.New("timeout"), false, ExitRetry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsDenied(tc.err); got != tc.denied {
				t.Errorf("IsDenied = %v, want %v", got, tc.denied)
			}
			if got := Code(tc.err); got != tc.code {
				t.Errorf("Code = %d, want %d", got, tc.code)
			}
		})
	}
}
