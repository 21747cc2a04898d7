"""The status bar's training text (plain Python: no window needed)."""

from app.plots.status import TrainingStatus
from runtime.events import BatchEnded, FitStarted, ModelCompiled


def test_status_bar_shows_the_compile_time():
    status = TrainingStatus()
    status.handle([FitStarted(1, 10, 10, 100, 100), BatchEnded(1, 0, 1.0, 0.1, 100.0)])
    assert "compiled" not in status.text()
    status.handle([ModelCompiled(1, 21.34), BatchEnded(2, 0, 1.0, 0.1, 100.0)])
    assert "compiled in 21.3 s" in status.text() and "step 2/10" in status.text()
