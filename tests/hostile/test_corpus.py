"""The hostile corpora through every door: no traceback, no hang, no untrusted code, nothing overwritten.

One test runs all cases of the three corpora together (command-line doors in
forked children two at a time, the window door in one more process) and
reports every failure at once with the case's reason. The corpus runs in a
fresh interpreter (`python -m tests.hostile --all`): forking this pytest
process would copy its QApplication (other tests made it) and its output
capture into every child.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.attacks import attack_corpus
from tests.hostile.blind import blind_corpus
from tests.hostile.cases import corpus

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="fork"), pytest.mark.timeout(2400)]
ROOT = Path(__file__).resolve().parents[2]


def test_the_hostile_corpora(tmp_path):
    assert len(corpus()) >= 60 and len(blind_corpus()) + len(attack_corpus()) >= 60
    run = subprocess.run([sys.executable, "-m", "tests.hostile", "--all", "--root", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=2300)
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    assert f"{len(corpus()) + len(blind_corpus()) + len(attack_corpus())} cases" in run.stdout
