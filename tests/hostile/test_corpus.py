"""The hostile corpora through every door: no traceback, no hang, no untrusted code, nothing overwritten.

One test runs all cases of the three corpora together (command-line doors in
forked children two at a time, the window door in one more process) and
reports every failure at once with the case's reason; `python -m
tests.hostile --all` runs them by hand and prints the outcome table.
"""

from __future__ import annotations

import sys

import pytest

from tests.hostile.attacks import attack_corpus
from tests.hostile.blind import blind_corpus
from tests.hostile.cases import corpus
from tests.hostile.harness import run_corpus, summary

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="fork"), pytest.mark.timeout(1800)]


def failures_text(results) -> str:
    lines = []
    for r in results:
        for failure in r.failures:
            lines.append(f"{r.case.name} ({r.case.why}): {failure}")
    return "\n".join(lines)


def test_the_hostile_corpora(tmp_path):
    first, blind = corpus(), blind_corpus() + attack_corpus()
    assert len(first) >= 60 and len(blind) >= 60
    results = run_corpus(first + blind, tmp_path)
    print("\nfirst corpus: " + summary(results[: len(first)]))
    print("blind corpora: " + summary(results[len(first):]))
    assert len(results) == len(first) + len(blind)
    assert failures_text(results) == ""
