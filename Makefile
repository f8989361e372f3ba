# The README's two commands, spelled out, and `make docs`. VENV may be overridden (CI uses its own).
# pip runs without -q: its progress shows (torch alone is a download of a few hundred MB).
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= divgan-figures

.PHONY: install figures test test-slow bench docs

$(VENV)/.divgan-installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@# torch: keep a torch that is already there (a user's CUDA build); else take the CPU 2.13.0
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[test]'
	touch $@

install: $(VENV)/.divgan-installed

figures: install
	$(VENV)/bin/divgan figures --out $(OUT)
	@echo "The divgan command is $(VENV)/bin/divgan (or run '. $(VENV)/bin/activate', then divgan)."

test: install
	$(PY) -m pytest

test-slow: install
	$(PY) -m pytest -m slow

bench: install
	$(PY) benchmarks/bench_core.py

# The user documentation (Sphinx, warnings are errors) -> docs/_build/html/index.html
docs: install
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
