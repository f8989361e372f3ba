# The README's two commands, spelled out. VENV may be overridden (CI uses its own).
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= divgan-figures

.PHONY: install figures test test-slow bench docs

$(VENV)/.divgan-installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@# torch: keep a torch that is already there (a user's CUDA build); else take the CPU 2.13.0
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.divgan-installed

figures: install
	$(VENV)/bin/divgan figures --out $(OUT)

test: install
	$(PY) -m pytest

test-slow: install
	$(PY) -m pytest -m slow

bench: install
	$(PY) benchmarks/bench_core.py
