package objstore

import (
	"errors"
	"io"
	"net"
	"regexp"
	"syscall"
)

// Errors from HTTP clients quote request URLs, and some URL parameters are
// capabilities: a GCS resumable upload_id lets anyone holding it write the
// object, a presigned URL's signature reads it. maskSecrets keeps such values
// out of messages while errors.Is/As still see the original error.

var secretParam = regexp.MustCompile(`(?i)\b(upload_id|uploadid|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|access_token|sig|signature)=[^&\s"']*`)

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// maskSecrets returns err with secret URL parameters masked in its message.
func maskSecrets(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := secretParam.ReplaceAllString(msg, "${1}=REDACTED")
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// isNetErr reports a network failure worth retrying later: a reset, a
// refused connection, a timeout, a body cut short.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
