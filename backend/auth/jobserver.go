package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// JobServer is the client of job-server's release API used for logins
// (docs/reference/domain.md §8): POST {endpoint}/releases/authenticate and POST
// {endpoint}/releases/authorise, each with the backend token in the Authorization header.
type JobServer struct {
	Endpoint string
	Token    string
	// HTTP is the client to use; nil means one with a 15 second timeout.
	HTTP *http.Client
}

// What job-server's refusals mean. It answers 403 both to a user it does not let in and to
// a wrong backend token; the latter (its detail names the Authorization header or the
// token) is our configuration, not the user's access, and is treated as an outage.
var (
	// errInvalidCredentials: authenticate refused the user or token (403).
	errInvalidCredentials = errors.New("job-server refused the user or token")
	// errAccessRevoked: authorise answered 403 (the user may no longer log in) or 404 (job-server
	// does not know the user).
	errAccessRevoked = errors.New("job-server no longer lets the user in")
	// errBackendToken: job-server refused our backend token.
	errBackendToken = errors.New("job-server refused the backend token (check --api-token)")
)

// backendTokenDetails are job-server's details when the backend token is missing or wrong.
var backendTokenDetails = map[string]bool{
	"Authorization header is missing": true, "Authorization header is empty": true, "Invalid token": true,
}

const maxUserDocBytes = 4 << 20

// Authenticate exchanges a user (username or email) and a single-use job-server token for
// the user's document.
func (j *JobServer) Authenticate(ctx context.Context, user, token string) (UserDoc, error) {
	return j.post(ctx, "/releases/authenticate", map[string]string{"user": user, "token": token})
}

// Authorise fetches the current document of a known user.
func (j *JobServer) Authorise(ctx context.Context, username string) (UserDoc, error) {
	return j.post(ctx, "/releases/authorise", map[string]string{"user": username})
}

func (j *JobServer) post(ctx context.Context, path string, body any) (UserDoc, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return UserDoc{}, err
	}
	url := strings.TrimRight(j.Endpoint, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return UserDoc{}, fmt.Errorf("job-server %s: %w", path, err)
	}
	req.Header.Set("Authorization", j.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := j.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return UserDoc{}, fmt.Errorf("could not connect to job-server: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxUserDocBytes))
	if err != nil {
		return UserDoc{}, fmt.Errorf("job-server %s: reading the answer: %w", path, err)
	}
	authorise := path == "/releases/authorise"
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		var v struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &v)
		switch {
		case backendTokenDetails[v.Detail]:
			return UserDoc{}, fmt.Errorf("job-server %s: %s %q: %w", path, resp.Status, v.Detail, errBackendToken)
		case authorise:
			return UserDoc{}, fmt.Errorf("job-server %s: %s %q: %w", path, resp.Status, v.Detail, errAccessRevoked)
		}
		return UserDoc{}, fmt.Errorf("job-server %s: %s: %w", path, resp.Status, errInvalidCredentials)
	case resp.StatusCode == http.StatusNotFound && authorise:
		return UserDoc{}, fmt.Errorf("job-server %s: %s: %w", path, resp.Status, errAccessRevoked)
	case resp.StatusCode != http.StatusOK:
		return UserDoc{}, fmt.Errorf("job-server %s: unexpected %s", path, resp.Status)
	}
	var doc UserDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return UserDoc{}, fmt.Errorf("job-server %s: malformed user document: %w", path, err)
	}
	if doc.Username == "" {
		return UserDoc{}, fmt.Errorf("job-server %s: user document without a username", path)
	}
	return doc, nil
}

// loginError turns a job-server failure at login into the coded error users see.
func loginError(err error) error {
	if errors.Is(err, errInvalidCredentials) {
		return airlock.Errorf(airlock.CodeUnauthenticated, "%s", invalidLogin)
	}
	return airlock.WrapError(airlock.CodeUnavailable, err, "Could not reach job-server to check your login; please try again later")
}
