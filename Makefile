# lading — see README.md. Integration tests run against local servers that
# scripts/services.sh installs (cached outside the repo) and starts.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/lading-dev/lading/internal/version.Version=$(VERSION)
CMDS      := exporter shipper loader status
# Packages tested with -race (the rest without, to keep CI on 2 cores fast).
RACE_PKGS ?= ./pkg/objstore/... ./internal/...
export RACE_PKGS

.PHONY: all build test demo bench chaos lint services-up services-down services-status

all: build

build:
	$(GO) build ./...
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(CMDS))

# Starts all test servers, runs go test (RACE_PKGS with -race) and lint, and
# always stops the servers; the exit code is the tests'.
test:
	scripts/test.sh test

demo:
	scripts/demo.sh

bench:
	scripts/test.sh bench

chaos:
	scripts/test.sh chaos

lint:
	scripts/test.sh lint

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

services-status:
	scripts/services.sh status
