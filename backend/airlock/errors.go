package airlock

import (
	"errors"
	"fmt"
	"slices"
)

// Code classifies an error for every transport. The values are the API's error codes.
type Code string

const (
	CodeInvalid          Code = "invalid"           // 400: malformed input, failed validation
	CodeUnauthenticated  Code = "unauthenticated"   // 401: no or expired session
	CodeCSRF             Code = "csrf"              // 403: unsafe method without a CSRF token
	CodePermissionDenied Code = "permission_denied" // 403: the user may not do this
	CodeNotFound         Code = "not_found"         // 404: unknown or invisible thing
	CodeInvalidState     Code = "invalid_state"     // 409: not allowed in the current state
	CodeConflict         Code = "conflict"          // 409: already exists
	CodeTooLarge         Code = "too_large"         // 413: over a configured limit
	CodeRateLimited      Code = "rate_limited"      // 429: too many attempts
	CodeInternal         Code = "internal"          // 500: anything else
	CodeUnavailable      Code = "unavailable"       // 503: a dependency failed
)

// InternalMessage is the only message ever shown for an internal error.
const InternalMessage = "An internal error occurred. Please try again, and tell the operators if it persists."

// Error is the coded error used across the application. Message is safe to show to users;
// Err is an optional cause that is logged but never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
	// Groups are the file groups the message is about (e.g. those still needing a
	// comment); ActionState carries them to clients.
	Groups []string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a coded error with a formatted user-readable message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithGroups returns e naming the file groups its message is about.
func (e *Error) WithGroups(groups []string) *Error {
	e.Groups = slices.Clone(groups)
	return e
}

// WrapError returns a coded error carrying a cause that is never shown to users.
func WrapError(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of err: the code of the first *Error in its chain, or
// CodeInternal for any other non-nil error, or "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-readable message of err. Internal errors always give
// InternalMessage so that no internal detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	e, ok := err.(*Error) // the usual case, without errors.As's reflection
	if !ok && !errors.As(err, &e) {
		return InternalMessage
	}
	if e.Code != CodeInternal {
		return e.Message
	}
	return InternalMessage
}
