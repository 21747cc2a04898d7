"""Stop and Pause as one byte of shared memory: what the editor sets, the training process sees.

The training loop reads both before every batch. A `multiprocessing.Event`
takes its lock for each read (a few µs, twice a batch); a shared byte is read
like a Python attribute. Nobody waits on these flags (the loop polls between
batches), so what an Event adds is not needed.
"""

from __future__ import annotations

import multiprocessing as mp

from runtime.worker import SharedFlag


def _answer(flag: SharedFlag, seen: SharedFlag, done: SharedFlag) -> None:
    """In the child: say whether `flag` is set, by setting `seen`; then set `done`."""
    if flag.is_set():
        seen.set()
    else:
        seen.clear()
    done.set()


def test_a_flag_set_in_the_editor_is_seen_by_a_spawned_process_and_back():
    ctx = mp.get_context("spawn")
    flag, seen, done = SharedFlag(ctx), SharedFlag(ctx), SharedFlag(ctx)
    assert not flag.is_set()
    flag.set()
    seen.clear()
    child = ctx.Process(target=_answer, args=(flag, seen, done))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and done.is_set() and seen.is_set()  # the child saw the set flag, we see its answer
    flag.clear()
    done.clear()
    child = ctx.Process(target=_answer, args=(flag, seen, done))
    child.start()
    child.join(60)
    assert done.is_set() and not seen.is_set()
