# Two commands set up a fresh machine: `make run` and `make test`.
# Both create .venv once, install TorchCanvas editable with its dev extra,
# and pin this machine's CPU wheel of torch (GPU users: see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN ?= torch==2.13.0

# The import zoo needs torchvision/timm/transformers, which need their own torch: a second venv.
ZOO_PYTHON ?= python3.11
ZOO_VENV := .venv-zoo
ZOO_STAMP := $(ZOO_VENV)/.installed
ZOO_TORCH ?= torch==2.14.1 torchvision==0.29.1

.PHONY: run test test-real bench lint setup clean zoo zoo-setup

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import ensurepip" 2>/dev/null || true
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet -e ".[dev]" "$(TORCH_PIN)"
	@$(BIN)/python -m app.qtcheck || true
	@touch $(STAMP)

run: setup
	$(BIN)/torchcanvas resources/examples/digits_mlp.json

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The app in a real X server (Xvfb, xcb platform) driven by xdotool; needs the apt packages .ci/run installs.
# TORCHCANVAS_REAL_WINDOW=required turns a missing tool into a failure instead of a skip.
test-real: setup
	TORCHCANVAS_REAL_WINDOW=required $(BIN)/python -m pytest -q -m gui_real tests/gui_real -rA

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]" "$(TORCH_PIN)"
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m slow -s

zoo-setup: $(ZOO_STAMP)

$(ZOO_STAMP): pyproject.toml
	@test -x $(ZOO_VENV)/bin/python || $(ZOO_PYTHON) -m venv $(ZOO_VENV)
	$(ZOO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ZOO_VENV)/bin/python -m pip install --quiet $(ZOO_TORCH)
	$(ZOO_VENV)/bin/python -m pip install --quiet -e ".[dev,zoo]" $(ZOO_TORCH)
	@touch $(ZOO_STAMP)

# Imports real models (torchvision, timm, Hugging Face, a nanoGPT) and prints a table.
zoo: zoo-setup
	QT_QPA_PLATFORM=offscreen $(ZOO_VENV)/bin/python -m pytest -q tests/zoo -o addopts="-p no:cacheprovider" -rA

lint: setup
	$(BIN)/ruff check graph codegen runtime app tests

clean:
	rm -rf $(VENV) $(ZOO_VENV)
