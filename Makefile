# apiguard build and test entry points. `make test` is what CI runs (.ci/run).
GO        ?= go
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME  ?= 10s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/apiguard/apiguard/internal/cli.Version=$(VERSION)

.PHONY: build test lint unit fuzz e2e browser faults conformance conformance-if-data bench docs golden

build: ## apiguard and the kubectl plugin name
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/apiguard ./cmd/apiguard
	cp bin/apiguard bin/kubectl-apiguard

test: lint unit fuzz e2e conformance-if-data ## everything CI checks

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

unit: ## unit, table and golden tests (no cluster)
	$(GO) test -count=1 ./...

fuzz: ## a short run of every fuzz target: the parsers', and detect's FuzzPrefilter (every rule, prefilter on and off, same alerts) (longer: make fuzz FUZZTIME=5m); 10 s, as workers of heavy targets need seconds to start (baseline coverage) and a deadline hit then fails the run with no failing input: such a target runs once more for 30 s
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    if ! $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg >fuzz.out 2>&1; then \
	      if grep -q 'context deadline exceeded' fuzz.out && ! grep -q 'Failing input written' fuzz.out; then \
	        echo "  (the deadline passed before the workers reported: once more with 30 s)"; \
	        if $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 30s -fuzzminimizetime 2s $$pkg >fuzz.out 2>&1; then continue; fi; \
	      fi; \
	      grep -v '^fuzz: elapsed' fuzz.out | tail -40; rm -f fuzz.out; exit 1; fi; \
	  done; done; rm -f fuzz.out

e2e: browser ## real kube-apiserver + etcd built from Go modules (first build ~5 min, then cached)
	bash test/e2e/run.sh

browser: ## headless Chromium for the HTML report tests (test/e2e/browser_test.go): Debian's chromium package, installed when no chromium, chromium-browser or google-chrome is on PATH
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then \
	  echo "browser: $$(command -v chromium || command -v chromium-browser || command -v google-chrome)"; \
	else \
	  sudo=; if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi; \
	  echo "browser: installing Debian's chromium package"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

faults: ## the audit receiver's fault tests alone (kill -9, disk full, closed stdout, hostile batches, NATS killed); also part of e2e
	bash test/e2e/run.sh -run 'TestAuditServeKill9|TestAuditServeStdoutClosed|TestAuditServeDiskFull|TestAuditServeHostileBatches|TestAuditStreamNATSKilled' -v

conformance: ## apiguard on peers' answer keys in ../shared/realworld (per peer: cases, agree, right, defensible, wrong); fails on a wrong or unjudged case, or a stale docs/conformance.md
	$(GO) run ./test/conformance -check-doc $(if $(REALWORLD),-realworld $(REALWORLD))

conformance-if-data: ## make conformance when the real-world data is on this machine
	@if [ -f $(or $(REALWORLD),../shared/realworld)/MANIFEST.md ]; then $(MAKE) --no-print-directory conformance; \
	else echo "conformance: no real-world data at $(or $(REALWORLD),../shared/realworld); skipped (make conformance REALWORLD=DIR)"; fi

bench: ## performance figures against the budgets
	$(GO) run ./bench

docs: ## regenerate docs/checks.md from check metadata
	$(GO) test ./internal/checks -run TestChecksDoc -update

golden: ## refresh golden files after an intended output change
	$(GO) test ./internal/report ./internal/cli -update
