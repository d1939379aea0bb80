package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// handleHealthz answers 200 {"status":"ok"} when the database and data directories are
// usable (with "details" when HealthDetails has something to say, and "check" once a
// consistency check has run), else 503. Problems found by the check are reported, not a
// reason for 503: the server serves what it has, and taking it out would not repair it.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if s.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), defaultHealthTimeout)
		defer cancel()
		if err := s.health(ctx); err != nil {
			loggerFrom(r).WarnContext(r.Context(), "health check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	body := map[string]any{"status": "ok"}
	if s.details != nil {
		if d := s.details(); len(d) > 0 {
			body["details"] = d
		}
	}
	if s.check != nil {
		if c := s.check(); c != nil {
			body["check"] = c
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// handleMetrics answers the metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = s.metrics.WriteTo(w)
}

// latencyBuckets are the upper bounds (seconds) of the request duration histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is a small registry of metrics in the Prometheus text format: the API's request
// counts and latencies by route pattern, plus the counters and gauges other parts register
// (live connections, upload queue, watcher events, ...). It is safe for concurrent use.
type Metrics struct {
	mu       sync.RWMutex
	routes   map[string]*routeStats
	families map[string]*family
}

type routeStats struct {
	mu      sync.Mutex
	counts  map[routeKey]uint64
	buckets []uint64 // cumulative per latencyBuckets, plus +Inf at the end
	sum     float64
	count   uint64
}

type routeKey struct {
	method string
	code   int
}

// family is one metric name with its samples (one per label set).
type family struct {
	name, help, kind string
	samples          map[string]sampleFn // by label set ("" or `{k="v"}`)
}

type sampleFn struct {
	fn      func() float64
	counter *Counter // for Counter registrations
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	return &Metrics{routes: map[string]*routeStats{}, families: map[string]*family{}}
}

// Counter is a monotonically increasing count registered with Metrics.Counter.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Counter registers (or returns the already registered) counter name, optionally with
// labels: Counter("airlock_upload_failures_total", "help", "target", "outbox").
func (m *Metrics) Counter(name, help string, labelPairs ...string) *Counter {
	c := &Counter{}
	return m.add(name, help, "counter", labelPairs, func() float64 { return float64(c.Value()) }, c)
}

// CounterFunc registers a counter whose value fn reports (it must never decrease).
func (m *Metrics) CounterFunc(name, help string, fn func() float64, labelPairs ...string) {
	m.add(name, help, "counter", labelPairs, fn, nil)
}

// GaugeFunc registers a gauge whose value fn reports when scraped. Registering the same
// name and labels again replaces the function.
func (m *Metrics) GaugeFunc(name, help string, fn func() float64, labelPairs ...string) {
	m.add(name, help, "gauge", labelPairs, fn, nil)
}

func (m *Metrics) add(name, help, kind string, labelPairs []string, fn func() float64, c *Counter) *Counter {
	labels := formatLabels(labelPairs)
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.families[name]
	if f == nil {
		f = &family{name: name, help: help, kind: kind, samples: map[string]sampleFn{}}
		m.families[name] = f
	}
	if old, ok := f.samples[labels]; ok && c != nil && old.counter != nil {
		return old.counter
	}
	f.samples[labels] = sampleFn{fn: fn, counter: c}
	return c
}

func formatLabels(pairs []string) string {
	if len(pairs) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(pairs[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// route prepares the statistics of a route pattern (registration time).
func (m *Metrics) route(pattern string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes[pattern] == nil {
		m.routes[pattern] = &routeStats{counts: map[routeKey]uint64{}, buckets: make([]uint64, len(latencyBuckets)+1)}
	}
}

// standardMethods are the methods the method label names; any other token a client sends
// as a method counts as OTHER, so that clients cannot add series without bound.
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// observe records one answered request. Requests that matched no route count under
// route "".
func (m *Metrics) observe(pattern, method string, code int, d time.Duration) {
	if !standardMethods[method] {
		method = "OTHER"
	}
	m.mu.RLock()
	rs := m.routes[pattern]
	m.mu.RUnlock()
	if rs == nil {
		m.route(pattern)
		m.mu.RLock()
		rs = m.routes[pattern]
		m.mu.RUnlock()
	}
	sec := d.Seconds()
	rs.mu.Lock()
	rs.counts[routeKey{method, code}]++
	for i, ub := range latencyBuckets {
		if sec <= ub {
			rs.buckets[i]++
		}
	}
	rs.buckets[len(latencyBuckets)]++
	rs.sum += sec
	rs.count++
	rs.mu.Unlock()
}

// WriteTo writes every metric in the Prometheus text exposition format.
func (m *Metrics) WriteTo(out io.Writer) (int64, error) {
	cw := &countingWriter{w: out}
	w := bufio.NewWriter(cw)

	m.mu.RLock()
	patterns := make([]string, 0, len(m.routes))
	for p := range m.routes {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	routes := make([]*routeStats, len(patterns))
	for i, p := range patterns {
		routes[i] = m.routes[p]
	}
	names := make([]string, 0, len(m.families))
	for n := range m.families {
		names = append(names, n)
	}
	sort.Strings(names)
	type sample struct {
		labels string
		fn     func() float64
	}
	fams := make([]*family, len(names))
	samples := make([][]sample, len(names))
	for i, n := range names {
		f := m.families[n]
		fams[i] = f
		for l, sf := range f.samples {
			samples[i] = append(samples[i], sample{l, sf.fn})
		}
		sort.Slice(samples[i], func(a, b int) bool { return samples[i][a].labels < samples[i][b].labels })
	}
	m.mu.RUnlock()

	fmt.Fprintln(w, "# HELP airlock_http_requests_total HTTP requests answered, by route pattern, method and status code.")
	fmt.Fprintln(w, "# TYPE airlock_http_requests_total counter")
	for i, rs := range routes {
		rs.mu.Lock()
		keys := make([]routeKey, 0, len(rs.counts))
		for k := range rs.counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			if keys[a].method != keys[b].method {
				return keys[a].method < keys[b].method
			}
			return keys[a].code < keys[b].code
		})
		for _, k := range keys {
			fmt.Fprintf(w, "airlock_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %d\n",
				escapeLabel(patterns[i]), escapeLabel(k.method), k.code, rs.counts[k])
		}
		rs.mu.Unlock()
	}
	fmt.Fprintln(w, "# HELP airlock_http_request_duration_seconds Time to answer HTTP requests, by route pattern.")
	fmt.Fprintln(w, "# TYPE airlock_http_request_duration_seconds histogram")
	for i, rs := range routes {
		rs.mu.Lock()
		if rs.count > 0 {
			route := escapeLabel(patterns[i])
			for j, ub := range latencyBuckets {
				fmt.Fprintf(w, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %d\n",
					route, strconv.FormatFloat(ub, 'g', -1, 64), rs.buckets[j])
			}
			fmt.Fprintf(w, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", route, rs.buckets[len(latencyBuckets)])
			fmt.Fprintf(w, "airlock_http_request_duration_seconds_sum{route=\"%s\"} %s\n", route, formatFloat(rs.sum))
			fmt.Fprintf(w, "airlock_http_request_duration_seconds_count{route=\"%s\"} %d\n", route, rs.count)
		}
		rs.mu.Unlock()
	}
	for i, f := range fams {
		fmt.Fprintf(w, "# HELP %s %s\n", f.name, strings.ReplaceAll(f.help, "\n", " "))
		fmt.Fprintf(w, "# TYPE %s %s\n", f.name, f.kind)
		for _, smp := range samples[i] {
			fmt.Fprintf(w, "%s%s %s\n", f.name, smp.labels, formatFloat(smp.fn()))
		}
	}
	err := w.Flush()
	return cw.n, err
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
