"""The status bar's training text (plain Python: no window needed)."""

import pytest

from app.plots.status import TrainingStatus
from runtime.events import BatchEnded, FitStarted, ModelCompiled


def test_status_bar_shows_the_compile_time():
    status = TrainingStatus()
    status.handle([FitStarted(1, 10, 10, 100, 100), BatchEnded(1, 0, 1.0, 0.1, 100.0)])
    assert "compiled" not in status.text()
    status.handle([ModelCompiled(1, 21.34), BatchEnded(2, 0, 1.0, 0.1, 100.0)])
    assert "compiled in 21.3 s" in status.text() and "step 2/10" in status.text()


def test_the_eta_counts_a_block_of_batches_as_the_time_it_took():
    """Events come in blocks (~0.1 s of batches at once) and every batch of a block was timed at the block's
    arrival: all but the first counted as taking no time, and a fast run showed ETA 0:00 at step 7,125/46,000."""
    now = [0.0]
    status = TrainingStatus(clock=lambda: now[0])
    status.handle([FitStarted(1000, 10, 10_000, 100, 100)])
    step = 1
    for _ in range(50):  # 10 batches a block, a block every 0.1 s: 0.01 s a step
        status.handle([BatchEnded(k, 0, 1.0, 0.1, 100.0) for k in range(step, step + 10)])
        step += 10
        now[0] += 0.1
    assert status.eta_seconds() == pytest.approx(0.01 * (10_000 - status.step), rel=0.05)
    assert "ETA 1:35" in status.text() or "ETA 1:34" in status.text()
