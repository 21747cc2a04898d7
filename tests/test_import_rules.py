"""The layering rule, checked on the real import graph in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6")


def modules_after_import(package: str) -> set[str]:
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def top_level(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


@pytest.mark.parametrize("package", ["graph", "codegen", "runtime"])
def test_core_packages_import_no_qt(package):
    loaded = top_level(modules_after_import(package))
    assert not loaded & set(QT), f"{package} pulls in {sorted(loaded & set(QT))}"
    assert "app" not in loaded


def test_graph_imports_no_torch_and_nothing_above_it():
    loaded = top_level(modules_after_import("graph"))
    assert "torch" not in loaded
    assert not loaded & {"codegen", "runtime", "app"}


def test_codegen_does_not_import_runtime():
    assert not top_level(modules_after_import("codegen")) & {"runtime", "app"}
