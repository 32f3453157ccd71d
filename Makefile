# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench graphviz clean

demo: $(VENV)/.installed graphviz
	$(PY) -m autograd_core.demo
	$(PY) -m nn train
	@echo "pictures: runs/moons/history.png, runs/moons/decision_boundary.png and" \
	  "runs/moons/graph.svg (the engine demo's graph: runs/demo/graph_f.svg)"

test: $(VENV)/.installed graphviz
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# Speed and memory beside hand-written NumPy, and beside PyTorch, micrograd and HIPS autograd
# when they are installed in the venv (never required).
bench: $(VENV)/.installed
	$(PY) -m benchmarks

# Debian's own python3 needs the python3-venv package for `-m venv`; install it when missing.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && command -v apt-get >/dev/null && \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv >/dev/null && \
	  $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The Graphviz `dot` program renders graphs; install it with apt when it is missing.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; } || \
	      echo "note: could not install Graphviz; graph rendering tests will be skipped"; \
	  else \
	    echo "note: Graphviz 'dot' not found and apt-get unavailable; graph rendering tests will be skipped"; \
	  fi; }

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
