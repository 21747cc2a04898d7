"""Kill a writer at random moments and look at what it leaves: the crash-safety campaigns' driver.

`kill_campaign` forks a child that runs `write_forever` (it never returns),
lets it run for a random time, kills it with SIGKILL, and calls `check` on
what is on disk. Forking keeps a trial to a few milliseconds (no interpreter
start, nothing imported again); the child only writes files, so forking a
process that has torch threads is safe.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Campaign:
    trials: int = 0
    #: Trials in which the child was killed before it finished its first write.
    early: int = 0
    failures: list[str] = field(default_factory=list)


def kill_campaign(trials: int, write_forever: Callable[[], None], check: Callable[[int], str | None],
                  max_delay: float, seed: int = 0, ready: Callable[[], bool] | None = None) -> Campaign:
    """`check(trial)` returns a failure description or None; `ready()` says the child wrote once."""
    rng = random.Random(seed)
    campaign = Campaign()
    for trial in range(trials):
        pid = os.fork()
        if pid == 0:  # the child: write until killed; never return into the test runner
            try:
                write_forever()
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, max_delay))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        campaign.trials += 1
        if ready is not None and not ready():
            campaign.early += 1
        problem = check(trial)
        if problem:
            campaign.failures.append(f"trial {trial}: {problem}")
    return campaign
