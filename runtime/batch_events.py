"""The per-batch event and the layer norms it carries: when norms are taken, and when the event leaves.

Per-layer norms cost a fixed few dozen µs; on tiny models they are taken
every `norm_every` steps, adapted from the measured CPU cost of a step so
that measuring and reading them back stays near `NORM_SHARE` of it. On an
accelerator a measurement stays on the device for `readback_every` measured
steps (or `READBACK_SECONDS`) and one transfer reads them all; the batch
events wait for it and leave in order (any other event sends them first).
On the CPU there is nothing to wait for and each batch's event leaves at once.
`Trainer` takes these methods in; they keep their state on the trainer.
"""

from __future__ import annotations

import math
import time
from typing import Any

from runtime.events import BatchEnded

#: On an accelerator, per-layer norms stay on the device for this many measured steps (or this many
#: seconds) before one transfer reads them all; on the CPU there is nothing to wait for.
READBACK_STEPS = 16
READBACK_SECONDS = 0.1
#: The share of a step's CPU time per-layer norms may take, measuring and reading back together
#: (they are taken every `norm_every` steps).
NORM_SHARE = 0.01
#: The training thread's CPU clock: what a step and the norms cost, not how long this thread waited for a core.
#: It is a system call (~4 µs on a virtual machine), so the step cost is sampled at these steps and every 50th.
cpu_clock = time.thread_time
ADAPT_AT = (3, 6, 12, 25)
#: Makes a BatchEnded from its fields without the named tuple's Python-level ``__new__`` (one call a step less).
_new_event = tuple.__new__


class BatchEvents:
    def emit(self, event: Any) -> None:
        """Sends an event to the subscribers, after any batch events still waiting for their norms."""
        if self._pending:
            self._flush_batches()
        self._send(event)

    def _measure_norms(self) -> Any:
        """This step's norms when they are due (None otherwise), their CPU cost counted toward `norm_every`.

        With `readback_every` 1 (the CPU) they are read at once, (gradient norms, weight norms) by layer: one
        pair of CPU clock reads (a system call each, ~4 µs on a virtual machine) instead of two, and the
        event leaves without waiting in `_pending`. Otherwise they stay on the device as `(row, have)`."""
        if not self.recipe.log_layers or self.step % self.norm_every:
            return None
        t0 = cpu_clock()
        norms = self._norms.measure()
        if norms is not None and self.readback_every == 1:  # nothing to wait for: read now, in the same timing
            norms = self._norms.read([norms])[0]
        self._norm_spent += cpu_clock() - t0
        self._norm_count += norms is not None
        return norms

    def _end_batch(self, n: int, loss_value: float, norms: Any, taken: bool) -> float:
        """Counts the step and its `n` samples and sends (or holds) its event; returns the time it ended."""
        self.step += 1
        self._samples += n
        now = time.perf_counter()
        if not self._cpu_step or self.step % 50 == 0 or self.step in ADAPT_AT:
            self._sample_step_cost()
        elapsed = now - self._clock
        rate = self._samples / (elapsed if elapsed > 1e-9 else 1e-9)
        if elapsed > 2.0:  # a moving window, so the rate follows changes
            self._clock, self._samples = now, 0
        lr = float(self.optimizer.param_groups[0]["lr"])
        if not self._pending:
            if norms is None:
                self._send(_new_event(BatchEnded, (self.step, self.epoch, loss_value, lr, rate, {}, {}, taken)))
                return now
            if type(norms[0]) is dict:  # read already (`readback_every` 1): such norms never wait in `_pending`
                self._send(_new_event(BatchEnded, (self.step, self.epoch, loss_value, lr, rate, *norms, taken)))
                return now
            self._pending_since = now
        self._pending.append((self.step, self.epoch, loss_value, lr, rate, norms, taken))
        if len(self._pending) >= self.readback_every or now - self._pending_since > READBACK_SECONDS:
            self._flush_batches()
        return now

    def _sample_step_cost(self) -> None:
        """CPU seconds per step since the last sample (evaluations and norms included), then adapts `norm_every`."""
        cpu = cpu_clock()
        if self._cpu_step and self.step > self._cpu_step:
            step_cpu = (cpu - self._last_cpu) / (self.step - self._cpu_step)
            if step_cpu > 0:
                self._step_cost = 0.5 * self._step_cost + 0.5 * step_cpu if self._step_cost else step_cpu
                self._adapt_norm_every()
        self._last_cpu, self._cpu_step = cpu, self.step

    def _adapt_norm_every(self) -> None:
        """Norms every `norm_every` steps, so that measuring and reading them stays within NORM_SHARE."""
        if self._norm_count:
            cost = self._norm_spent / self._norm_count
            self._norm_cost = 0.5 * self._norm_cost + 0.5 * cost if self._norm_cost else cost
            self._norm_spent, self._norm_count = 0.0, 0
        if self._step_cost > 0:
            self.norm_every = max(1, min(20, math.ceil(self._norm_cost / (NORM_SHARE * self._step_cost))))

    def _flush_batches(self) -> None:
        """Batch events held back for their norms: one read from the device, then sent in order."""
        pending, self._pending = self._pending, []
        t0 = cpu_clock()
        values = iter(self._norms.read([p[5] for p in pending if p[5] is not None]))
        self._norm_spent += cpu_clock() - t0
        for step, epoch, loss, lr, rate, norms, taken in pending:
            grad, weight = next(values) if norms is not None else ({}, {})
            self._send(BatchEnded(step, epoch, loss, lr, rate, grad, weight, taken))
