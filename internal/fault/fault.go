// Package fault classifies errors into the exit codes schedulers act on
// (DESIGN.md, "Exit codes"): 0 done, 1 failed but worth retrying, 2 bad
// usage or input, or credentials and permissions refused, 3 verification
// failed. Libraries mark the errors they return with Usage, Denied or
// Verify; IsDenied also recognises the refusals of every service lading
// speaks to; anything else counts as retryable.
package fault

import (
	"errors"
	"fmt"

	"github.com/lading-dev/lading/pkg/objstore"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitRetry  = 1
	ExitUsage  = 2
	ExitVerify = 3
)

type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

type verifyError struct{ err error }

func (e verifyError) Error() string { return e.err.Error() }
func (e verifyError) Unwrap() error { return e.err }

// Usage marks err as bad usage or input: flags, URLs, a schema mismatch, a
// hostile or malformed manifest. Retrying will not help (exit 2).
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// Usagef is Usage(fmt.Errorf(...)).
func Usagef(format string, args ...any) error { return Usage(fmt.Errorf(format, args...)) }

// Verify marks err as a failed verification: a checksum or count that does
// not match (exit 3).
func Verify(err error) error {
	if err == nil {
		return nil
	}
	return verifyError{err}
}

// Verifyf is Verify(fmt.Errorf(...)).
func Verifyf(format string, args ...any) error { return Verify(fmt.Errorf(format, args...)) }

// IsUsage reports whether err is bad usage or input, or a denied
// permission (IsDenied): either way retrying will not help.
func IsUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) || errors.Is(err, objstore.ErrBadURL) || errors.Is(err, objstore.ErrBadKey) || IsDenied(err)
}

// IsVerify reports whether err is a failed verification.
func IsVerify(err error) bool {
	var v verifyError
	var c *objstore.ChecksumError
	return errors.As(err, &v) || errors.As(err, &c)
}

// Code maps an error to its exit code. Verification wins over usage when
// both apply (a corrupt part is the more serious finding).
func Code(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case IsVerify(err):
		return ExitVerify
	case IsUsage(err):
		return ExitUsage
	default:
		return ExitRetry
	}
}
