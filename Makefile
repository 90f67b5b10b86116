# caonto — `make help` lists the targets; CI (.ci/run) calls `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help install serve test browser virtuoso wrk bench bench-scale mutate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Serving needs caonto and its runtime dependencies; the tests add their tools.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The pages' browser assets (YASGUI, vis-network) come from npm, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is required for the web UI assets (YASGUI, vis-network); install Node.js and npm (Debian: apt-get install nodejs npm) and run make install again" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed ## create .venv, install caonto and the UI assets (npm ci)

serve: install ## start the SPARQL endpoint on http://127.0.0.1:8000/ (embedded data)
	$(BIN)/caonto serve

test: install $(VENV)/.installed-test browser virtuoso wrk ## lint, then the whole suite in file order, then shuffled
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -p no:randomly
	$(BIN)/python -m pytest -p randomly -q

browser: ## install headless Chromium for the browser tests (Debian, as root)
	@scripts/install-browser.sh

virtuoso: ## install Virtuoso Open-Source 7 for the external-store tests (Debian, as root)
	@scripts/install-virtuoso.sh
# Mutation testing (mutmut) of the modules that guard data and safety, against their fast
# tests; the mutated copy lives in mutants/. Not part of `make test`: about 10 min on 2 cores.
mutate: install $(VENV)/.installed-test ## mutation testing of auth, gateway, journal, guard, negotiation, inference filter
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	rm -rf mutants
	# mutants/src must exist before mutmut starts: Python remembers a sys.path directory that
	# was missing when first searched, and the forked test runs would import the venv's caonto
	mkdir -p mutants/src
	# tests that start a server subprocess: it imports the same (mutated) tree, not the venv's install
	PYTHONPATH=$(CURDIR)/mutants/src $(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

wrk: ## install wrk, the benchmarks' C load generator (Debian, as root)
	@scripts/install-wrk.sh

bench: install $(VENV)/.installed-test virtuoso wrk ## caonto vs a Flask floor, Oxigraph, Virtuoso; writes (essay, 200k; QUICK=1 for a smoke run)
	$(BIN)/python -m pytest benchmarks -q -p no:randomly
	$(BIN)/python -m benchmarks.run $(if $(QUICK),--quick)

bench-scale: install $(VENV)/.installed-test wrk ## 20k/200k/1M: inference, validation, load, memory, queries; table + PNG
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.scale $(if $(QUICK),--sizes 20000 --quick,--sizes 20000,200000,1000000)
