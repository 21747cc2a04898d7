"""A shuffling sampler whose order depends only on (seed, epoch).

That makes a resumed run see exactly the batches an uninterrupted run would
have seen, and it is the same contract as DistributedSampler.set_epoch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSampler(Sampler[int]):
    def __init__(self, n: int, seed: int = 0, shuffle: bool = True) -> None:
        self.n, self.seed, self.shuffle = n, seed, shuffle
        self.epoch = 0
        self.skip = 0  # samples to skip at the start of the current epoch (resume mid-epoch)
        #: Seeded anew for every epoch: the same permutation as a fresh generator, without building one.
        self._generator = torch.Generator()

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.epoch, self.skip = epoch, skip

    def order(self) -> torch.Tensor:
        """This epoch's sample indices as one tensor (what `IndexBatches` slices); consumes `skip`."""
        if self.shuffle:
            order = torch.randperm(self.n, generator=self._generator.manual_seed(self.seed * 100_003 + self.epoch))
        else:
            order = torch.arange(self.n)
        skip, self.skip = self.skip, 0
        return order[skip:]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.n - self.skip
