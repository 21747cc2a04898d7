"""How batches are made: by index from tensors in memory, or by a DataLoader for everything else.

A DataLoader over a TensorDataset calls ``__getitem__`` once per sample and
stacks the results again (``collate``); for data that already sits in memory
as tensors that was most of a small model's step. A careful hand loop instead
takes a slice of a permutation and indexes each tensor once. `IndexBatches`
does exactly that, with the order of the same `EpochSampler` the DataLoader
used, so batches hold the same values in the same order (bit for bit), the
seed gives the same run, and resuming mid-epoch skips the same samples.

Datasets that cannot be indexed by a tensor (a folder read lazily, a user's
own Dataset class) stream through a DataLoader whose workers are chosen for
this machine unless the recipe says otherwise (`recipe.loader`).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from runtime.recipe import LoaderSpec
from runtime.sampling import EpochSampler

Take = Callable[[Any], tuple[torch.Tensor, ...]]
#: Splits up to this size are copied to an accelerator once instead of batch by batch.
DEVICE_COPY_BYTES = 1 << 30


def batch_taker(ds: Dataset) -> Take | None:
    """A function from a tensor of indices (or a slice) to one batch, if `ds` can be indexed so.

    TensorDatasets index their tensors; datasets that keep compact tensors
    (``ImageArray``, ``CharWindows``) offer ``batch(index)``; a Subset maps
    its indices first. Anything else returns None and goes through a DataLoader.
    """
    if isinstance(ds, TensorDataset):
        return tensor_taker(ds.tensors)
    if isinstance(ds, Subset):
        inner = batch_taker(ds.dataset)
        if inner is None:
            return None
        mapping = torch.as_tensor(ds.indices, dtype=torch.long)
        return lambda index: inner(mapping[index])
    method = getattr(ds, "batch", None)
    return method if callable(method) else None


def tensor_taker(tensors: tuple[torch.Tensor, ...]) -> Take:
    """Index every tensor once; (inputs, targets), the usual case, without a generator (4 calls a batch less)."""
    if len(tensors) == 2:
        first, second = tensors
        return lambda index: (first[index], second[index])
    return lambda index: tuple([t[index] for t in tensors])


def tensors_of(ds: Dataset) -> tuple[torch.Tensor, ...]:
    return ds.tensors if isinstance(ds, TensorDataset) else ()


class IndexBatches:
    """Batches taken by index from in-memory data, in the order of an `EpochSampler` (or in order).

    Iterating yields tuples of tensors like a DataLoader over the same data;
    ``sampler`` and ``batch_size`` are there for the trainer's resume logic; ``device``, when
    known, is where every batch already is (the trainer then has nothing to move). ``whole``,
    when given, is the tensors `take` indexes (a TensorDataset's): served as they are when one
    batch in order covers them (a small validation split: a slice of each would be the same
    values, one operation each), and indexed here without calling `take` for the usual pair.
    """

    def __init__(self, take: Take, n: int, batch_size: int, sampler: EpochSampler | None = None,
                 pin_memory: bool = False, device: torch.device | None = None,
                 whole: tuple[torch.Tensor, ...] | None = None) -> None:
        self.take, self.n, self.batch_size, self.sampler = take, n, batch_size, sampler
        self.pin_memory = pin_memory
        self.device = device
        self.whole = whole

    def __len__(self) -> int:
        return math.ceil((len(self.sampler) if self.sampler is not None else self.n) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        """The batches, made by iterators of C (`zip`, `map`) over the order's slices: no Python frame a batch."""
        bs = self.batch_size
        if self.pin_memory:
            return map(lambda index: tuple(t.pin_memory() for t in self.take(index)), self._indices())
        if self.sampler is None and self.whole is not None and self.n <= bs:
            return iter((self.whole,))  # evaluation of a split that fits one batch: the tensors as they are
        if self.sampler is not None and self.whole is not None and len(self.whole) == 2:
            first, second = self.whole  # `tensor_taker`'s (inputs, targets), inline: one call a batch less
            chunks = self._indices()
            return zip(map(first.__getitem__, chunks), map(second.__getitem__, chunks), strict=True)
        return map(self.take, self._indices())

    def _indices(self) -> tuple[Any, ...]:
        """Each batch's indices: slices of the sampler's order (views), or plain slices in order for evaluation
        (contiguous views of the data, no copy at all)."""
        if self.sampler is None:
            return tuple(slice(i, i + self.batch_size) for i in range(0, self.n, self.batch_size))
        order = self.sampler.order()
        return order.split(self.batch_size) if len(order) else ()  # split would make one empty batch of none


#: A validation split of at most two evaluation batches is evaluated in one only while that one batch's
#: samples (inputs and targets, as served) stay within this many bytes: on data this small a model call's
#: fixed cost is what the second batch adds, while a batch of big images (one 3×224×224 float32 image is
#: 588 KiB) is paid for in activations, and merging two would double what an accelerator holds.
MERGE_BYTES = 4 << 20


def sample_bytes(ds: Dataset) -> int | None:
    """Bytes of one sample as batches serve it (every tensor of it); None when only a DataLoader can tell."""
    take = batch_taker(ds) if len(ds) else None  # type: ignore[arg-type]
    if take is None:
        return None
    batch = take(slice(0, 1))
    return sum(t.numel() * t.element_size() for t in batch if isinstance(t, torch.Tensor))


def val_batch_size(n: int, batch_size: int, per_sample: int | None) -> int:
    """Evaluation batches: the training batch size but at least 256; a small split of small samples is one batch.

    A remainder batch costs a whole model call, a loss and its metric kernels
    again; on a small model with short epochs that was a visible share of the
    run. Up to two batches' worth are merged only while the merged batch stays
    within `MERGE_BYTES` (`per_sample` bytes per sample; None: unknown, no
    merge). The exported train.py's ``val_batches`` cuts the split the same way.
    """
    size = max(batch_size, 256)
    small = per_sample is not None and n * per_sample <= MERGE_BYTES
    return max(size, n) if n <= 2 * size and small else size


def auto_workers() -> int:
    """Workers for a streaming DataLoader: the cores the trainer leaves free, at most 4.

    A daemonic process (the GUI's training process) may not start children,
    so it reads in the training thread.
    """
    if multiprocessing.current_process().daemon:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(4, cores - 1))


def loader_notice(spec: LoaderSpec) -> str | None:
    """Why an explicit `num_workers` is not honoured here, said once at the start of the run."""
    if spec.num_workers != "auto" and spec.num_workers and multiprocessing.current_process().daemon:
        return (f"recipe.loader.num_workers={spec.num_workers} is not used in the app's training process "
                "(it may not start worker processes); batches are read in the training thread. "
                "`torchcanvas train` honours it.")
    return None


def make_loader(ds: Dataset, batch_size: int, spec: LoaderSpec, device: torch.device,
                sampler: EpochSampler | None = None, seed: int = 0) -> IndexBatches | DataLoader:
    """The fast path for in-memory data, a DataLoader with sensible workers for the rest."""
    accelerator = device.type != "cpu"
    pin = spec.pin_memory if spec.pin_memory != "auto" else device.type == "cuda"
    take = batch_taker(ds) if spec.in_memory == "auto" else None
    if take is not None:
        tensors = tensors_of(ds)
        if accelerator and tensors and sum(t.numel() * t.element_size() for t in tensors) <= DEVICE_COPY_BYTES:
            return IndexBatches(device_taker(tensors, device), len(ds), batch_size, sampler, device=device)
        on_device = device if tensors and all(t.device == device for t in tensors) else None
        return IndexBatches(take, len(ds), batch_size, sampler, pin_memory=pin, device=on_device,
                            whole=tuple(tensors) if tensors else None)
    workers = auto_workers() if spec.num_workers == "auto" else spec.num_workers
    if workers and multiprocessing.current_process().daemon:
        workers = 0  # see auto_workers; the run still trains, reading in this thread
    persistent = (workers > 0) if spec.persistent_workers == "auto" else (spec.persistent_workers and workers > 0)
    extra: dict[str, Any] = {}
    if workers:
        extra["persistent_workers"] = persistent
        if spec.prefetch_factor:
            extra["prefetch_factor"] = spec.prefetch_factor
    # Its own generator: a DataLoader otherwise draws from the global RNG every epoch,
    # which would shift dropout masks after a resume.
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=workers, pin_memory=pin,
                      generator=torch.Generator().manual_seed(seed), **extra)


def device_taker(tensors: tuple[torch.Tensor, ...], device: torch.device) -> Take:
    """The split copied to the device once (as a careful loop does when it fits); batches gather there."""
    on_device = tuple(t.to(device) for t in tensors)

    def take(index: Any) -> tuple[torch.Tensor, ...]:
        if isinstance(index, torch.Tensor):
            index = index.to(device, non_blocking=True)
        return tuple(t[index] for t in on_device)

    return take
