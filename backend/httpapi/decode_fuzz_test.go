package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
)

// decodeTargets make a fresh value of every JSON request body the API decodes.
var decodeTargets = map[string]func() any{
	"LoginInput":         func() any { return &contract.LoginInput{} },
	"CreateRequestInput": func() any { return &contract.CreateRequestInput{} },
	"AddFilesInput":      func() any { return &contract.AddFilesInput{} },
	"PathsInput":         func() any { return &contract.PathsInput{} },
	"PropertiesInput":    func() any { return &contract.PropertiesInput{} },
	"GroupInput":         func() any { return &contract.GroupInput{} },
	"CommentInput":       func() any { return &contract.CommentInput{} },
	"VoteInput":          func() any { return &contract.VoteInput{} },
}

// fuzzBodyLimit is the body limit of the fuzzed requests (small, so the limit is reached).
const fuzzBodyLimit = 512

func decodeBody(body []byte, v any) error {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, fuzzBodyLimit)
	return decodeJSON(r, v)
}

// FuzzDecodeJSON feeds one body to every request decoder of the API: a decoder never
// panics, refuses with a coded error (invalid, or too_large over the limit) and never an
// internal one, accepts only valid JSON, and what it accepts survives a round trip.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"username":"alice","token":"t"}`, `{"workspace":"ws"}`,
		`{"group":"g","files":[{"path":"output/a.csv","fileType":"OUTPUT"}]}`,
		`{"paths":["a.csv"]}`, `{"paths":["a"],"group":"g","fileType":"SUPPORTING"}`,
		`{"context":"c","controls":"k"}`, `{"text":"**hi**","visibility":"PRIVATE"}`,
		`{"paths":["a"],"vote":"APPROVED"}`, `{"paths":[]}`, `{"paths":null}`, `{"workspace":1}`,
		`{"files":[{"path":"a","fileType":7}]}`, `{} {}`, `[`, `{"unknown":1}`, `"x"`, ``, `null`,
		`{"text":"` + string(bytes.Repeat([]byte("a"), fuzzBodyLimit)) + `"}`,
		`{"workspace":"\ud800"}`, "{\"workspace\":\"\x00\"}", `{"context":null,"controls":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, mk := range decodeTargets {
			v := mk()
			err := decodeBody(body, v)
			if err != nil {
				code := airlock.ErrorCode(err)
				if code != airlock.CodeInvalid && code != airlock.CodeTooLarge {
					t.Fatalf("%s: %q refused with code %s (%v), want invalid or too_large", name, body, code, err)
				}
				if airlock.ErrorMessage(err) == "" {
					t.Fatalf("%s: %q refused without a message", name, body)
				}
				continue
			}
			if !json.Valid(bytes.TrimSpace(body)) {
				t.Fatalf("%s: accepted %q, which is not valid JSON", name, body)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: accepted %q but cannot encode %#v: %v", name, body, v, err)
			}
			w := mk()
			if len(again) <= fuzzBodyLimit {
				if err := decodeBody(again, w); err != nil {
					t.Fatalf("%s: accepted %q but not its own encoding %s: %v", name, body, again, err)
				}
				if !reflect.DeepEqual(v, w) {
					t.Fatalf("%s: %q decoded to %#v, its encoding %s to %#v", name, body, v, again, w)
				}
			}
		}
	})
}
