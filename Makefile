# pqx developer tasks. `make test` is what CI runs (see .ci/run).
GO ?= go
STATICCHECK_VERSION ?= v0.8.2
FUZZTIME ?= 30s

.PHONY: build test race bench fuzz lint dist clean

build:
	$(GO) build -o bin/pqx ./cmd/pqx

test:
	$(GO) test ./...

race:
	$(GO) test -race ./internal/broker/... ./internal/mockidp/... ./internal/mockcdr/... ./internal/build/... ./internal/m/eval/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Each fuzz target for FUZZTIME (go test allows one target per run).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzMText$$' -fuzztime $(FUZZTIME) ./internal/render
	$(GO) test -run '^$$' -fuzz '^FuzzScan' -fuzztime $(FUZZTIME) ./internal/m/scanner
	$(GO) test -run '^$$' -fuzz '^FuzzParse' -fuzztime $(FUZZTIME) ./internal/m/parser

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# The main job: every example tenant of the embedded default connector.
dist:
	$(GO) run ./cmd/pqx build --out dist

clean:
	rm -rf bin dist
