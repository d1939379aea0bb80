# Airlock: two commands do everything on a fresh machine — `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
DATA ?= ./airlock-data
LISTEN ?= 127.0.0.1:8080
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: run test test-go test-frontend bench lint build frontend deps crash fuzz types

build: frontend
	$(GO) build -buildvcs=auto -ldflags "$(LDFLAGS)" -o bin/airlock .

## run: start the server on demo data (created on first start) and print how to log in
run: build
	@test -d $(DATA) || ./bin/airlock demo --data-dir $(DATA) --listen $(LISTEN) >/dev/null
	@echo "Starting the server on the data in $(DATA) (Ctrl-C stops it)."
	@cat $(DATA)/demo-login.txt 2>/dev/null || echo "Open http://$(LISTEN) and log in with a user of $(DATA)/users.json (single-use tokens: ./bin/airlock token USER --data-dir $(DATA))"
	./bin/airlock serve --data-dir $(DATA) --listen $(LISTEN)

## test: everything CI runs, installing what the tests need first
test: deps frontend test-frontend test-go test-desktop

deps:
	@bash build/deps.sh
	@bash build/postgres.sh

frontend:
	@bash build/frontend.sh

test-frontend:
	@bash build/frontend.sh test

# staticcheck, pinned, run through the module proxy (built once, then cached)
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

## test-go: formatting, vet, staticcheck, the backend under the race detector (the service
## and HTTP suites a second time on PostgreSQL), then the rest
test-go: lint
	@bash build/postgres.sh
	$(GO) test -race -count=1 -timeout 30m ./backend/...
	AIRLOCK_TEST_STORE=postgres $(GO) test -race -count=1 -timeout 30m ./backend/service/ ./backend/httpapi/
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/backend/')

## types: frontend/src/api/types.gen.ts from the Go structs of backend/contract (after changing a wire type)
types:
	$(GO) run ./backend/contract/gen

## bench: the benchmarks of the issues, each reported against a baseline from the same run
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

## bench-stores: the benchmarks of issue 16 in one run on both stores (sub-benchmarks
## sqlite and postgres; PostgreSQL from AIRLOCK_TEST_POSTGRES or a private cluster):
## request detail throughput (HTTP and service), write throughput, commit-to-socket latency
## on one server, and two `airlock serve` on PostgreSQL for the cross-server event latency
## p50/p99 (BENCH_TIME per benchmark, as go test -benchtime)
BENCH_TIME ?= 1s
.PHONY: bench-stores
bench-stores:
	@bash build/postgres.sh
	$(GO) test -p 1 -run '^$$' -benchtime $(BENCH_TIME) -timeout 60m \
	  -bench '^Benchmark(RequestDetailThroughput|GetRequest10Files|GetRequest500Files|WriteThroughput|CommitToEvent|CrossReplicaEventLatency)$$' \
	  ./backend/httpapi/ ./backend/service/ ./backend/internal/replicatest/

## load: `airlock serve` on demo data driven by LOAD_CLIENTS clients for LOAD_DURATION over
## loopback (logins, listings, views, comments, votes); prints p50/p99/max per call and
## checks after a restart that every acknowledged write is there. LOAD_PROFILE=file keeps
## the server's CPU profile of the run.
LOAD_CLIENTS ?= 150
LOAD_DURATION ?= 120s
LOAD_MAX_CALLS ?= 200000
LOAD_PROFILE ?=
.PHONY: load
load:
	$(GO) build -o bin/airlock-load .
	$(GO) run ./backend/internal/loadtest -bin bin/airlock-load -clients $(LOAD_CLIENTS) \
	  -duration $(LOAD_DURATION) -max-calls $(LOAD_MAX_CALLS) $(if $(LOAD_PROFILE),-cpuprofile $(LOAD_PROFILE))

## crash: the crash trials of docs/reliability.md — the real binary killed with SIGKILL at
## random points of add, submit, review, release and upload, restarted and checked
## (make test runs 5 of them)
CRASH_TRIALS ?= 50
CRASH_FILE_MB ?= 128
crash:
	CRASH_TRIALS=$(CRASH_TRIALS) CRASH_FILE_MB=$(CRASH_FILE_MB) $(GO) test -count=1 -v -timeout 120m \
	  -run '^TestCrashTrials$$' ./backend/internal/crashtest/

## fuzz: every fuzz target for FUZZTIME each (their seed corpora run in make test), with
## FUZZPARALLEL fuzzing processes at once (go test -parallel; empty: one per core), e.g.
## `make fuzz FUZZTIME=10m FUZZPARALLEL=1` on a shared machine
FUZZTIME ?= 30s
FUZZPARALLEL ?=
fuzz:
	@GO="$(GO)" FUZZTIME="$(FUZZTIME)" FUZZPARALLEL="$(FUZZPARALLEL)" bash build/fuzz.sh

## screenshots: refresh docs/screenshots from the end-to-end tests and the desktop smoke
## test (`make test` writes none)
.PHONY: screenshots
screenshots: deps frontend desktop
	AIRLOCK_SCREENSHOTS=1 $(GO) test -count=1 -timeout 30m ./e2e/...
	@AIRLOCK_SCREENSHOTS=1 GO="$(GO)" bash build/desktop-smoke.sh

## lint: gofmt, go vet and staticcheck, each failing on any finding
lint:
	@out=$$(find . -name '*.go' -not -path './frontend/node_modules/*' -not -path './.git/*' | xargs gofmt -l); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## desktop: the Linux desktop app (Wails window on WebKitGTK 4.1) in build/bin/airlock
.PHONY: desktop desktop-windows test-desktop desktop-figures
desktop: frontend
	@GO="$(GO)" LDFLAGS="$(LDFLAGS)" bash build/desktop.sh

## desktop-windows: build/bin/airlock.exe and its NSIS installer, cross-built with mingw-w64
desktop-windows: frontend
	@GO="$(GO)" VERSION="$(VERSION)" LDFLAGS="$(LDFLAGS)" bash build/desktop-windows.sh

## test-desktop: the desktop smoke test under Xvfb (screenshots kept only by make screenshots)
test-desktop: desktop
	@GO="$(GO)" bash build/desktop-smoke.sh

## desktop-figures: desktop start to first paint and idle memory, against airlock serve
desktop-figures: desktop
	@GO="$(GO)" bash build/desktop-figures.sh
