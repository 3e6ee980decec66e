# Two entry points for a fresh machine: `make run` (demo server) and `make test` (every test and check).
# `make bench-peer` (ARGS='--quick' for a smoke run): Råderum beside Colyseus, docs/performance.md.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check setup bench-peer

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/raaderum demo

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(STAMP)
	bash scripts/ensure-redis.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-node.sh
	bash scripts/ensure-npm-packages.sh
	$(MAKE) check
	$(VENV)/bin/pytest -q

bench-peer: $(STAMP)
	bash scripts/ensure-node.sh
	$(PY) bench/bench_peer.py $(ARGS)
