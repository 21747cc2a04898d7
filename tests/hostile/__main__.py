"""`python -m tests.hostile [--blind|--attacks|--all] [NAME ...]`: run the corpus (or some cases), print the table.

Without a flag the first corpus runs; `--blind` the seeded random mutations,
`--attacks` the targeted blind attacks, `--all` all three.
"""

from __future__ import annotations

import sys
import time

from tests.hostile.attacks import attack_corpus
from tests.hostile.blind import blind_corpus
from tests.hostile.cases import corpus
from tests.hostile.harness import outcome_class, run_corpus, summary

if __name__ == "__main__":
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    wanted = set(sys.argv[1:]) - flags
    every = []
    if "--all" in flags or not flags & {"--blind", "--attacks"}:
        every += corpus()
    if flags & {"--all", "--blind"}:
        every += blind_corpus()
    if flags & {"--all", "--attacks"}:
        every += attack_corpus()
    cases = [c for c in every if not wanted or c.name in wanted]
    start = time.monotonic()
    results = run_corpus(cases)
    for r in sorted(results, key=lambda r: r.case.name):
        print(f"{r.case.name:<34} {outcome_class(r):<30} {r.seconds:5.1f} s")
        for failure in r.failures:
            print(f"    {failure[:400]}")
    print(summary(results))
    print(f"{time.monotonic() - start:.0f} s")
