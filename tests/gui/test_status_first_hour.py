"""Issue 17: the status bar shows best and last validation values (15) and an ETA that survives a pause (9)."""

from app.plots.status import TrainingStatus
from runtime.events import BatchEnded, EvalEnded, FitStarted


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def batches(status, clock, steps, seconds_each=0.1):
    for step in steps:
        clock.now += seconds_each
        status.handle([BatchEnded(step, 0, 1.0, 0.1, 640.0)])


def test_best_and_last_validation_values_are_both_shown():
    status = TrainingStatus()
    status.handle([FitStarted(3, 100, 300, 10, 10)])
    for step, acc in ((100, 0.95), (200, 0.977), (300, 0.9387)):
        status.handle([BatchEnded(step, step // 100 - 1, 0.2, 0.1, 500.0),
                       EvalEnded(step, step // 100 - 1, {"val_accuracy": acc, "val_loss": 1 - acc})])
    text = status.text()
    assert "val_accuracy best 0.9770 (step 200)" in text and "last 0.9387" in text


def test_for_a_loss_the_best_value_is_the_lowest():
    status = TrainingStatus()
    status.handle([FitStarted(1, 10, 10, 1, 1)])
    for step, loss in ((1, 0.5), (2, 0.2), (3, 0.4)):
        status.handle([BatchEnded(step, 0, 1.0, 0.1, 1.0), EvalEnded(step, 0, {"val_mse": loss})])
    assert "val_mse best 0.2000 (step 2) · last 0.4000" in status.text()


def test_eta_does_not_jump_after_a_pause():
    clock = Clock()
    status = TrainingStatus(clock=clock)
    status.handle([FitStarted(1, 1000, 1000, 1, 1)])
    batches(status, clock, range(1, 101))
    before = status.eta_seconds()
    assert 85 <= before <= 95  # 900 steps left at 0.1 s each
    status.set_paused(True)
    assert status.text().startswith("paused")
    clock.now += 600  # ten minutes paused
    status.set_paused(False)
    batches(status, clock, range(101, 111))
    assert abs(status.eta_seconds() - (before - 1.0)) < 3
