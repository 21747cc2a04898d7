"""Golden files: the generated code of representative templates, byte for byte.

A change to the compiler that changes what users export shows up here as a
diff to read. Regenerate with TORCHCANVAS_UPDATE_GOLDEN=1 after checking it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codegen import compile_document
from codegen.formatting import ruff_binary
from graph import load
from runtime.commands.check import project_registry

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
GOLDEN = Path(__file__).resolve().parent / "golden"
TEMPLATES = sorted((RESOURCES / "templates").glob("*.json")) + sorted((RESOURCES / "examples").glob("*.json"))
GOLDEN_TEMPLATES = ["03_lenet5_digits", "05_resnet_mini_digits", "06b_lstm_adding", "08_mini_gpt",
                    "10_mini_vit_digits", "22_forest_sunspots"]


def source(path: Path) -> str:
    return compile_document(load(path, project_registry()), trusted=True).source  # bundled templates are ours


@pytest.mark.parametrize("name", GOLDEN_TEMPLATES)
def test_generated_code_matches_its_golden_file(name):
    text = source(RESOURCES / "templates" / f"{name}.json")
    golden = GOLDEN / f"{name}.py"
    if os.environ.get("TORCHCANVAS_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_generated_code_passes_ruff_default_rules_and_format_check(path):
    text = source(path)
    ruff = ruff_binary()
    assert ruff is not None
    # ruff's default rule set, plus RUF059 (unused unpacked names) that the issue names
    lint = subprocess.run([ruff, "check", "--isolated", "--extend-select=RUF059", "--preview",
                           "--output-format=concise", "--stdin-filename=model.py", "-"],
                          input=text, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run([ruff, "format", "--isolated", "--check", "--stdin-filename=model.py", "-"],
                         input=text, capture_output=True, text=True, timeout=60)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    attributes = [line.split("=")[0].strip() for line in text.splitlines() if line.strip().startswith("self.")]
    assert not [a for a in attributes if a.endswith("_")]  # never `self.layer_`: a better name instead
