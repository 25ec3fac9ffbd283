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
	$(GO) test -race ./internal/broker/... ./internal/mockidp/... ./internal/mockcdr/... \
		./internal/host/... ./internal/build/... ./internal/sign/... ./internal/m/eval/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every fuzz target for FUZZTIME each (go test runs one target at a time),
# found in the sources so a new target is never left out.
FUZZ_TARGETS = $(shell grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' internal cmd \
	| sed 's|/[^/]*_test.go:func |:|' | sort -u)

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$pkg || exit 1; \
	done

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
