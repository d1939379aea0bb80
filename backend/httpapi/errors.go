package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
)

// statusOf is the one code → HTTP status table of docs/api.md.
var statusOf = map[airlock.Code]int{
	airlock.CodeInvalid:          http.StatusBadRequest,
	airlock.CodeUnauthenticated:  http.StatusUnauthorized,
	airlock.CodeCSRF:             http.StatusForbidden,
	airlock.CodePermissionDenied: http.StatusForbidden,
	airlock.CodeNotFound:         http.StatusNotFound,
	airlock.CodeInvalidState:     http.StatusConflict,
	airlock.CodeConflict:         http.StatusConflict,
	airlock.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	airlock.CodeRateLimited:      http.StatusTooManyRequests,
	airlock.CodeInternal:         http.StatusInternalServerError,
	airlock.CodeUnavailable:      http.StatusServiceUnavailable,
}

// StatusFor returns the HTTP status of an error code.
func StatusFor(code airlock.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeError answers with the status and body of err's code. Only internal errors are
// logged (with the request's attributes); their message never leaks details. Errors of a
// dependency (unavailable) are logged as warnings.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away (or the server is shutting down): not an internal error.
		loggerFrom(r).DebugContext(r.Context(), "request cancelled", "err", err)
		if ri := infoFrom(r); ri != nil {
			ri.errCode = airlock.CodeUnavailable
		}
		writeJSON(w, StatusFor(airlock.CodeUnavailable), contract.ErrorBody{Error: contract.ErrorDetail{
			Code: airlock.CodeUnavailable, Message: "The request was cancelled before it finished; please try again."}})
		return
	}
	code := airlock.ErrorCode(err)
	if code == "" {
		code = airlock.CodeInternal
	}
	if _, known := statusOf[code]; !known {
		code = airlock.CodeInternal
	}
	msg := airlock.ErrorMessage(err)
	if code == airlock.CodeInternal {
		msg = airlock.InternalMessage
	}
	switch code {
	case airlock.CodeInternal:
		loggerFrom(r).ErrorContext(r.Context(), "internal error", "err", err)
	case airlock.CodeUnavailable:
		loggerFrom(r).WarnContext(r.Context(), "dependency unavailable", "err", err)
	}
	if ri := infoFrom(r); ri != nil {
		ri.errCode = code
	}
	writeJSON(w, StatusFor(code), contract.ErrorBody{Error: contract.ErrorDetail{Code: code, Message: msg}})
}

// jsonBuffers are the buffers writeJSON encodes into, reused across answers.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON: a buffer that grew beyond this is left to the garbage collector rather
// than kept in the pool.
const maxPooledJSON = 1 << 20

// Header values set on every JSON answer, shared rather than allocated per answer.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// writeJSON answers with status and v as JSON. The whole body is encoded first, so that an
// encoding failure can still become a 500, and sent with its Content-Length in one write.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			jsonBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// A value we built cannot be encoded: a programming error, answered as internal.
		slog.Error("httpapi: encoding a response", "err", err)
		buf.Reset()
		_ = json.NewEncoder(buf).Encode(contract.ErrorBody{Error: contract.ErrorDetail{Code: airlock.CodeInternal, Message: airlock.InternalMessage}})
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON decodes the request body into v: exactly one JSON value, no unknown fields,
// nothing after it, and then the body's own check when it has one (checkedInput). Failures
// are CodeInvalid (CodeTooLarge over the body limit) with a message naming the problem.
func decodeJSON(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return airlock.Errorf(airlock.CodeInvalid, "The request needs a JSON body")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt := strings.TrimSpace(strings.ToLower(strings.SplitN(ct, ";", 2)[0]))
		if mt != "application/json" {
			return airlock.Errorf(airlock.CodeInvalid, "The request body must be JSON (Content-Type application/json), not %q", mt)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err)
		}
		return airlock.Errorf(airlock.CodeInvalid, "The request body must hold a single JSON value")
	}
	if c, ok := v.(checkedInput); ok {
		return c.Check()
	}
	return nil
}

// checkedInput is a request body with rules of its own beyond its JSON shape (a required
// field, a non-empty list); decodeJSON runs its check once the body is decoded.
type checkedInput interface{ Check() error }

func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		invalidUT *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return airlock.Errorf(airlock.CodeTooLarge, "The request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return airlock.Errorf(airlock.CodeInvalid, "The request needs a JSON body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return airlock.Errorf(airlock.CodeInvalid, "The request body is not valid JSON: it ends too early")
	case errors.As(err, &syntax):
		return airlock.Errorf(airlock.CodeInvalid, "The request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return airlock.Errorf(airlock.CodeInvalid, "The request body must be a JSON %s, not %s", kindName(typeErr.Type.String()), typeErr.Value)
		}
		return airlock.Errorf(airlock.CodeInvalid, "Field %q must be %s, not %s", field, kindName(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &invalidUT):
		return fmt.Errorf("httpapi: decodeJSON needs a pointer: %w", err)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return airlock.Errorf(airlock.CodeInvalid, "Unknown field %s", f)
	}
	return airlock.Errorf(airlock.CodeInvalid, "The request body is not valid JSON")
}

// kindName describes a Go type in the words of JSON.
func kindName(t string) string {
	switch {
	case t == "string" || strings.HasSuffix(t, "Status") || strings.HasSuffix(t, "Type") ||
		strings.HasSuffix(t, "Visibility") || strings.HasSuffix(t, "Vote"):
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map[") || strings.HasPrefix(t, "struct") || strings.Contains(t, "."):
		return "an object"
	}
	return "of type " + t
}
