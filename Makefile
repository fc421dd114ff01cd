# The README's first two commands: `make dev` runs the product, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: help dev test tools deps build typecheck bench demo clean

help:
	@echo "make dev    run the product on the embedded stack (Temporal dev server, FerretDB, sandbox, worker, API)"
	@echo "make test   run every test against a throw-away stack"
	@echo "make tools  build/reuse the pinned temporal, ferretdb and temporal-test-server in .tools/bin"
	@echo "make build  compile TypeScript and prebuild the workflow bundle"
	@echo "make bench  run the benchmarks (results in bench/results/)"

# Installs npm dependencies when the lockfile is newer than the installed tree.
$(NODE_MODULES_STAMP): package.json package-lock.json sandbox/package.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES_STAMP)

deps: $(NODE_MODULES_STAMP)

tools:
	@scripts/tools.sh

# Running the product needs no Java: only the tests use the time-skipping test server.
dev: deps
	@scripts/tools.sh temporal ferretdb
	@node --import tsx scripts/dev.ts

test: deps tools
	@npx tsc -p tsconfig.json --noEmit
	@node --import tsx scripts/test.ts

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

build: deps
	npm run build

bench: deps
	@scripts/tools.sh temporal ferretdb
	npm run bench

demo: deps
	npm run demo

clean:
	rm -rf dist sandbox/dist .data
