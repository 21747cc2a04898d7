"""`python -m tests.hostile [--blind|--attacks|--all] [--root DIR] [NAME ...]`: run the corpus, print the table.

Without a flag the first corpus runs; `--blind` the seeded random mutations,
`--attacks` the targeted blind attacks, `--all` all three. Each case's line
names its outcome class, its failures follow it, the table of classes per
corpus ends the output; the exit status is 1 when any case failed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.hostile.attacks import attack_corpus
from tests.hostile.blind import blind_corpus
from tests.hostile.cases import corpus
from tests.hostile.harness import outcome_class, run_corpus, summary

if __name__ == "__main__":
    args = sys.argv[1:]
    root = None
    if "--root" in args:
        at = args.index("--root")
        root = Path(args[at + 1])
        del args[at:at + 2]
    flags = {a for a in args if a.startswith("--")}
    wanted = set(args) - flags
    corpora = []
    if "--all" in flags or not flags & {"--blind", "--attacks"}:
        corpora.append(("first corpus", corpus()))
    if flags & {"--all", "--blind"}:
        corpora.append(("blind random mutations", blind_corpus()))
    if flags & {"--all", "--attacks"}:
        corpora.append(("blind attacks", attack_corpus()))
    cases = [c for _, every in corpora for c in every if not wanted or c.name in wanted]
    start = time.monotonic()
    results = run_corpus(cases, root)
    for r in sorted(results, key=lambda r: r.case.name):
        print(f"{r.case.name:<34} {outcome_class(r):<30} {r.seconds:5.1f} s")
        for failure in r.failures:
            print(f"    {failure[:400]}")
    for title, every in corpora:
        names = {c.name for c in every}
        print(f"{title}: " + summary([r for r in results if r.case.name in names]))
    print(summary(results))
    failed = sum(bool(r.failures) for r in results)
    print(f"{failed} failed, {time.monotonic() - start:.0f} s")
    sys.exit(1 if failed else 0)
