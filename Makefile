# Two commands set up a fresh machine: `make run` and `make test`.
# Both create .venv once, install TorchCanvas editable with its dev extra,
# and pin this machine's CPU wheel of torch (GPU users: see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN ?= torch==2.13.0

.PHONY: run test bench lint setup clean

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

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]" "$(TORCH_PIN)"
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m slow -s

lint: setup
	$(BIN)/ruff check graph codegen runtime app tests

clean:
	rm -rf $(VENV)
