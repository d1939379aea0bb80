package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/internal/testbin"
)

// BenchmarkServeMemory starts `airlock serve` on demo data as a child process and reports
// its resident memory idle (after a login and a few requests) and with 1,000 live-event
// sockets connected. Goals (issue 3): ≤ 40 MB idle, ≤ 120 MB with 1,000 sockets.
func BenchmarkServeMemory(b *testing.B) {
	const sockets = 1000
	dir := b.TempDir()
	d := filepath.Join(dir, "data")
	env, _, _ := testEnv(nil)
	if err := Run(b.Context(), env, []string{"demo", "--data-dir", d}); err != nil {
		b.Fatal(err)
	}
	addr, err := testbin.FreeAddr()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "--data-dir", d, "--listen", addr, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "AIRLOCK_CLI_TEST_CHILD=1")
	p, err := testbin.Start(cmd)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = p.Stop(os.Kill, 10*time.Second)
		if b.Failed() {
			b.Logf("serve's output:\n%s", p.Log)
		}
	}()
	if _, err := p.WaitHealthy(addr, 30*time.Second); err != nil {
		b.Fatalf("serve did not start: %v", err)
	}
	base := "http://" + addr
	sess := login(b, base, "olivia", "olivia-demo")
	for range 20 {
		for _, p := range []string{"/api/v1/auth/me", "/healthz", "/", "/metrics"} {
			req, _ := http.NewRequest("GET", base+p, nil)
			req.Header.Set("Cookie", sess.cookie)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	time.Sleep(200 * time.Millisecond)
	idle := rssMB(b, cmd.Process.Pid)

	url := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/events"
	conns := make([]*websocket.Conn, 0, sockets)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := 0; i < sockets; i++ {
		c, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Cookie": {sess.cookie}})
		if err != nil {
			b.Fatalf("socket %d: %v", i, err)
		}
		_ = resp.Body.Close()
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	if n := liveConnections(b, base); n != sockets {
		b.Fatalf("server counts %d sockets", n)
	}
	time.Sleep(200 * time.Millisecond)
	loaded := rssMB(b, cmd.Process.Pid)
	for i := 0; i < b.N; i++ {
		// The figures are measured once; b.N only satisfies the benchmark runner.
	}
	b.ReportMetric(idle, "idle-MB")
	b.ReportMetric(loaded, "1000sockets-MB")
}

func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func liveConnections(b *testing.B, base string) int {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "airlock_live_connections "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return -1
}
