"""Reading a run's events costs the window little: a few wakes a second, and the block goes to the views as read."""

from __future__ import annotations

from pathlib import Path

from runtime.events import BatchEnded


class FakeRun:
    """A run that always has one more block of events (what a worker sends while it trains)."""

    def __init__(self) -> None:
        self.polls = 0
        self.blocks: list[list] = []
        self.running = True
        self.finished = None
        self.pid = None

    def poll(self) -> list:
        self.polls += 1
        block = [BatchEnded(k, 0, 1.0, 0.1, 1000.0) for k in range(10 * self.polls, 10 * self.polls + 10)]
        self.blocks.append(block)
        return block

    def stop(self) -> None:
        self.running = False

    def pause(self, paused: bool = True) -> None:
        pass

    def join(self, timeout: float = 0) -> None:
        pass


def start(controller, run: FakeRun) -> None:
    controller.process = run
    controller.run_dir = Path("run")
    controller.timer.start()


def test_the_controller_reads_the_worker_a_few_times_a_second(qtbot):
    """10 polls a second cost ~0.5 % of a core (each a timer wake, two queue reads and a signal); the dashboard
    draws one or two frames a second at its settled rate and the status text follows at most 4 times a second."""
    from app.training import TrainingController

    controller = TrainingController()
    run = FakeRun()
    start(controller, run)
    qtbot.wait(1000)
    controller.timer.stop()
    assert 2 <= run.polls <= 6, run.polls


def test_a_block_reaches_the_views_as_the_list_that_was_read(qtbot):
    """A `Signal(list)` converted every event of the block on its way (and the views got a copy)."""
    from app.training import TrainingController

    controller = TrainingController()
    run = FakeRun()
    got: list = []
    controller.events.connect(got.append)
    controller.process = run
    controller.poll()
    assert got and got[0] is run.blocks[0]
