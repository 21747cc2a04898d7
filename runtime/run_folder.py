"""A run's folder: what trained (project, recipe, model.py), how it went (metrics.jsonl), what came out.

One function names new run folders for the GUI, the CLI and scripts alike.
The metrics file and the TensorBoard file are written by one event subscriber
(`runtime.event_stream`, `RunFolderWriter`) in blocks: a line or record per
event, but one write call per few hundred events or per second, and at once
for the rare events someone may act on (the start, checkpoints, messages, the
end of the fit).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import IO, Any

from graph.atomicfile import write_bytes_atomic
from runtime.events import to_record

#: Events written at once: rare, and someone may act on them (a resume reads the checkpoint's record, a
#: killed run keeps its messages). Evaluations and epoch ends are not: a small model has dozens a second,
#: and writing both files after each cost 1-2 % of its run; they join the block, which is written at
#: least once a second. Nothing reads these files faster (TensorBoard reloads every 5 s, the window
#: overlays runs from them on request; the live dashboard and the CLI take the events themselves).
FLUSH_KINDS = frozenset({"fit_started", "checkpoint_saved", "log", "fit_ended", "model_compiled",
                         "revision_created", "pause_changed"})


def new_run_dir(runs_dir: Path, name: str = "") -> Path:
    """``runs_dir/<date>-<time>-<name>``, with ``-2``, ``-3``... when that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir) / (f"{stamp}-{name}" if name else stamp)
    path, k = base, 2
    while path.exists():
        path, k = base.with_name(f"{base.name}-{k}"), k + 1
    return path


def graph_hash(project_text: str) -> str:
    """The model's identity in a project file: everything but the recipe and the UI state."""
    data = json.loads(project_text)
    data.pop("ui", None)
    data.pop("recipe", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def write_start(run_dir: Path, project_text: str, name: str, recipe: dict[str, Any], source: str,
                meta: dict[str, Any] | None = None) -> None:
    """What is known before the first batch: the project, its recipe, the generated model.

    `meta` joins run.json (a comparison's variant and seed, for example).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "recipe.json").write_text(json.dumps(recipe, indent=2))
    (run_dir / "project.json").write_text(project_text)
    (run_dir / "model.py").write_text(source)
    (run_dir / "run.json").write_text(json.dumps({
        "graph_hash": graph_hash(project_text), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "name": name, "dataset": recipe.get("dataset"), **(meta or {})}, indent=2))


def write_result(run_dir: Path, status: str, step: int, metrics: dict[str, float]) -> None:
    """Atomically: a run killed while writing it never leaves a half result beside complete weights."""
    write_bytes_atomic(run_dir / "result.json",
                       json.dumps({"status": status, "step": step, "metrics": metrics}, indent=2).encode())


class BlockWriter:
    """A run-folder subscriber that keeps events and writes them in blocks (a few hundred or a second).

    The block is written when it is full, by the first event `seconds` or more after the last write
    (so an event that follows a quiet spell, such as a slow model's evaluation, is written at once),
    and at once for `FLUSH_KINDS`. Subclasses say how a block of (wall time, event) pairs becomes
    the file's text or bytes. `clock` is the wall clock (the records' time; tests move it by hand).
    """

    def __init__(self, file: IO[Any], block: int = 256, seconds: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._file = file
        self._pending: list[tuple[float, Any]] = []
        self._block, self._seconds = block, seconds
        self._clock = clock
        self._written = clock()

    def __call__(self, event: Any) -> None:
        now = self._clock()
        self._pending.append((now, event))
        if event.kind in FLUSH_KINDS or len(self._pending) >= self._block or not 0.0 <= now - self._written < \
                self._seconds:
            self.flush()

    def encode(self, pending: list[tuple[float, Any]]) -> Any:
        raise NotImplementedError

    def write_block(self, pending: list[tuple[float, Any]]) -> None:
        """Writes a block of (wall time, event) pairs (none: just flushes the file)."""
        if pending:
            self._file.write(self.encode(pending))
        self._file.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self.write_block(pending)
        self._written = self._clock()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


class RunFolderWriter(BlockWriter):
    """The run folder's files behind one subscriber: one clock read, one list and one decision per event.

    Each file's writer (`MetricsWriter`, `TensorBoardWriter`) still encodes its own text or bytes, from the
    same blocks at the same moments as when each was a subscriber; an event costs one call, not one per file.
    """

    def __init__(self, writers: list[BlockWriter], block: int = 256, seconds: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.writers = writers
        super().__init__(None, block, seconds, clock)  # type: ignore[arg-type] - the files are the writers'

    def write_block(self, pending: list[tuple[float, Any]]) -> None:
        for writer in self.writers:
            writer.write_block(pending)

    def close(self) -> None:
        """Writes what waits, then closes every file (each once, even if writing failed)."""
        if self.writers and all(writer._file.closed for writer in self.writers):
            return
        try:
            self.flush()
        finally:
            errors: list[Exception] = []
            for writer in self.writers:
                try:
                    writer.close()
                except Exception as exc:  # noqa: BLE001 - the other files must still be closed
                    errors.append(exc)
            if errors:
                raise errors[0]


class MetricsWriter(BlockWriter):
    """``metrics.jsonl``: one JSON record per event (`runtime.events.to_record`)."""

    def __init__(self, path: Path, block: int = 256, seconds: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        super().__init__(self.path.open("a", encoding="utf-8"), block, seconds, clock)

    def encode(self, pending: list[tuple[float, Any]]) -> str:
        """The block's lines; runs of plain batches (no norms, step taken: most of a file) in one go."""
        lines: list[str] = []
        plain: list[Any] = []
        for _, e in pending:
            if e.kind == "batch_ended":
                if e.step_taken is True and not e.grad_norms and not e.weight_norms:
                    plain.append(e)
                    continue
                line = batch_line(e)
            else:
                line = json.dumps(to_record(e)) + "\n"
            if plain:
                lines.append(plain_batch_lines(plain))
                plain = []
            lines.append(line)
        if plain:
            lines.append(plain_batch_lines(plain))
        return "".join(lines)


#: A batch line's %-template per (gradient layers, weight layers, step taken): the names are escaped once, and
#: the numbers are `repr`s, which is what json writes for a finite float or an int.
_TEMPLATES: dict[Any, str] = {}
_PLAIN_TYPES = frozenset({float, int})


def _template(grads: tuple[str, ...], weights: tuple[str, ...], taken: bool) -> str:
    def norms(names: tuple[str, ...]) -> str:
        return "{" + ", ".join(json.dumps(name).replace("%", "%%") + ": %r" for name in names) + "}"

    return ('{"step": %d, "epoch": %d, "loss": %r, "lr": %r, "samples_per_s": %r, '
            f'"grad_norms": {norms(grads)}, "weight_norms": {norms(weights)}, '
            f'"step_taken": {"true" if taken else "false"}, "kind": "batch_ended"}}\n')


def _as_json(numbers: tuple[Any, ...]) -> bool:
    """Whether `%r` writes each of `numbers` as json does: finite floats and ints only."""
    if not _PLAIN_TYPES.issuperset(map(type, numbers)):
        return False
    try:
        return math.isfinite(sum(numbers))  # NaN or an infinity makes the sum one (a huge sum too: json then)
    except OverflowError:  # an int too large for a float
        return False


def batch_line(e: Any) -> str:
    """`json.dumps(to_record(e))` of a BatchEnded, by a template of its layers: the same text, a third less
    work than json for a batch with norms. Anything a template would write differently (NaN, infinities, a
    number that is not a float or an int) goes through json."""
    step, epoch, loss, lr, rate, grads, weights, taken = e
    if grads or weights:
        numbers = (loss, lr, rate, *grads.values(), *weights.values())
        key: Any = (tuple(grads), tuple(weights), taken)
    else:
        numbers, key = (loss, lr, rate), taken
    if type(step) is int and type(epoch) is int and (taken is True or taken is False) and _as_json(numbers):
        template = _TEMPLATES.get(key)
        if template is None:
            template = _TEMPLATES[key] = _template(*key) if grads or weights else _template((), (), taken)
        return template % (step, epoch, *numbers)
    return json.dumps(to_record(e)) + "\n"


def plain_batch_lines(events: list[Any]) -> str:
    """`batch_line` of each batch without norms whose step was taken, by one %-format of the whole run:
    the per-line work left is the numbers' repr. A run with any number json would write otherwise goes
    line by line."""
    numbers = tuple(chain.from_iterable([e[:5] for e in events]))
    counts = numbers[0::5] + numbers[1::5]
    values = numbers[2::5] + numbers[3::5] + numbers[4::5]
    if {*map(type, counts)} == {int} and _as_json(values):
        template = _TEMPLATES.get(True)
        if template is None:
            template = _TEMPLATES[True] = _template((), (), True)
        return (template * len(events)) % numbers
    return "".join([batch_line(e) for e in events])
