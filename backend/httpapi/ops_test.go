package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetrics(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.login(t, "researcher")
	for range 3 {
		require.Equal(t, http.StatusOK, c.do("GET", "/api/v1/auth/me", nil, nil).status)
	}
	h.client(t).do("GET", "/api/v1/auth/me", nil, nil)
	_ = dialEvents(t, h, c, h.srv.URL)
	waitFor(t, func() bool { return h.hub.Count() == 1 })

	m := h.server.Metrics()
	uploads := m.Counter("airlock_upload_failures_total", "Failed uploads.", "target", "outbox")
	uploads.Add(2)
	assert.Same(t, uploads, m.Counter("airlock_upload_failures_total", "Failed uploads.", "target", "outbox"))
	m.GaugeFunc("airlock_upload_queue_length", "Files waiting.", func() float64 { return 7 })

	r := h.client(t).do("GET", "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", r.header.Get("Content-Type"))
	body := string(r.body)
	for _, line := range []string{
		`airlock_http_requests_total{route="GET /api/v1/auth/me",method="GET",code="200"} 3`,
		`airlock_http_requests_total{route="GET /api/v1/auth/me",method="GET",code="401"} 1`,
		`airlock_http_requests_total{route="POST /api/v1/auth/login",method="POST",code="200"} 1`,
		`airlock_http_requests_total{route="GET /api/v1/events",method="GET",code="101"} 1`,
		`airlock_http_request_duration_seconds_count{route="GET /api/v1/auth/me"} 4`,
		`airlock_http_request_duration_seconds_bucket{route="GET /api/v1/auth/me",le="+Inf"} 4`,
		"# TYPE airlock_http_request_duration_seconds histogram",
		"airlock_live_connections 1",
		`airlock_upload_failures_total{target="outbox"} 2`,
		"# TYPE airlock_upload_failures_total counter",
		"airlock_upload_queue_length 7",
		"# TYPE airlock_upload_queue_length gauge",
	} {
		assert.Contains(t, body, line+"\n")
	}
	// Every sample line is "name{labels} value" or "name value".
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		assert.Regexp(t, `^[a-z_]+(\{[^}]*\})? [-+0-9.eInfNa]+$`, l)
	}
}

// The method label takes the standard methods only: any client may send any token as a
// method, and each would otherwise add a series (memory and /metrics size without bound).
func TestMetricsMethodLabelIsBounded(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.client(t)
	for i := range 20 {
		assert.Equal(t, http.StatusNotFound, c.do(fmt.Sprintf("FOO%d", i), "/anything", nil, nil).status)
	}
	body := string(c.do("GET", "/metrics", nil, nil).body)
	assert.NotContains(t, body, `method="FOO`)
	assert.Contains(t, body, `airlock_http_requests_total{route="/",method="OTHER",code="404"} 20`+"\n")
}
