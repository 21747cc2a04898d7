"""Status-bar text from training events: epoch, step, samples/s, ETA, latest metric."""

from __future__ import annotations

import time


class TrainingStatus:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.epochs = self.total = self.step = self.epoch = 0
        self.rate = 0.0
        self.metrics: dict[str, float] = {}
        self.started = time.monotonic()
        self.state = ""
        self.compile_seconds: float | None = None

    def handle(self, events: list) -> None:
        for e in events:
            kind = getattr(e, "kind", "")
            if kind == "fit_started":
                self.reset()
                self.epochs, self.total = e.epochs, e.total_steps
                self.state = "training"
            elif kind == "batch_ended":
                self.step, self.epoch, self.rate = e.step, e.epoch, e.samples_per_s
            elif kind == "eval_ended":
                self.metrics = dict(e.metrics)
            elif kind == "model_compiled":
                self.compile_seconds = e.seconds
            elif kind == "fit_ended":
                self.state = e.status

    def text(self) -> str:
        if not self.total:
            return self.state
        parts = [f"epoch {self.epoch + 1}/{self.epochs}", f"step {self.step:,}/{self.total:,}",
                 f"{self.rate:,.0f} samples/s"]
        elapsed = time.monotonic() - self.started
        if self.step and self.state == "training":
            remaining = elapsed / self.step * (self.total - self.step)
            parts.append(f"ETA {int(remaining // 60)}:{int(remaining % 60):02d}")
        for key in ("val_accuracy", "val_loss"):
            if key in self.metrics:
                parts.append(f"{key} {self.metrics[key]:.4f}")
                break
        if self.compile_seconds is not None:
            parts.append(f"compiled in {self.compile_seconds:.1f} s")
        if self.state and self.state != "training":
            parts.insert(0, self.state)
        return " · ".join(parts)
