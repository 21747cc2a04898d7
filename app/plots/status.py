"""Status-bar text from training events: epoch, step, samples/s, ETA, best and last validation value."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Metrics where lower is better (anything else, e.g. accuracy, is better higher).
LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "error", "perplexity", "nll")


def lower_is_better(name: str) -> bool:
    return any(word in name for word in LOWER_IS_BETTER)


class TrainingStatus:
    """The numbers behind the status text; `clock` is injectable so tests need no sleeping."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.epochs = self.total = self.step = self.epoch = 0
        self.rate = 0.0
        self.metrics: dict[str, float] = {}
        self.best: dict[str, tuple[float, int]] = {}  # metric → (value, step)
        self.state = ""
        self.paused = False
        self.compile_seconds: float | None = None
        self._seconds_per_step: float | None = None
        self._last: tuple[float, int] | None = None  # (time, step) of the last batch counted for the ETA

    def set_paused(self, paused: bool) -> None:
        """A pause is not training time: the next batch after it starts a new timing interval."""
        self.paused = paused
        self._last = None

    def handle(self, events: list) -> None:
        """A block of events; the block's batches are timed together (they arrive together)."""
        timed = None
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.reset()
                self.epochs, self.total = e.epochs, e.total_steps
                self.state = "training"
            elif kind == "batch_ended":
                timed = e.step
                self.step, self.epoch, self.rate = e.step, e.epoch, e.samples_per_s
            elif kind == "eval_ended":
                self.metrics = dict(e.metrics)
                for name, value in e.metrics.items():
                    best = self.best.get(name)
                    better = best is None or (value < best[0] if lower_is_better(name) else value > best[0])
                    if better:
                        self.best[name] = (value, e.step)
            elif kind == "model_compiled":
                self.compile_seconds = e.seconds
            elif kind == "fit_ended":
                self.state = e.status
                self.paused = False
        if timed is not None:
            self._time_step(timed)

    def _time_step(self, step: int) -> None:
        now = self.clock()
        if self._last is not None and step > self._last[1]:
            per_step = (now - self._last[0]) / (step - self._last[1])
            self._seconds_per_step = per_step if self._seconds_per_step is None else \
                0.9 * self._seconds_per_step + 0.1 * per_step
        self._last = (now, step)

    def eta_seconds(self) -> float | None:
        if self._seconds_per_step is None or not self.total:
            return None
        return self._seconds_per_step * max(0, self.total - self.step)

    def text(self) -> str:
        if not self.total:
            return self.state
        parts = [f"epoch {self.epoch + 1}/{self.epochs}", f"step {self.step:,}/{self.total:,}",
                 f"{self.rate:,.0f} samples/s"]
        eta = self.eta_seconds()
        if eta is not None and self.state == "training":
            parts.append(f"ETA {int(eta // 60)}:{int(eta % 60):02d}")
        for key in ("val_accuracy", "val_loss", *sorted(k for k in self.metrics if k.startswith("val_"))):
            if key in self.metrics:
                value, step = self.best[key]
                parts.append(f"{key} best {value:.4f} (step {step:,}) · last {self.metrics[key]:.4f}")
                break
        if self.compile_seconds is not None:
            parts.append(f"compiled in {self.compile_seconds:.1f} s")
        if self.paused and self.state == "training":
            parts.insert(0, "paused")
        elif self.state and self.state != "training":
            parts.insert(0, self.state)
        return " · ".join(parts)
