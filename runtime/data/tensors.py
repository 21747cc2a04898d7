"""Memory-lean Dataset classes for data too big to keep as float32 copies.

MNIST as float32 is ~190 MB, as uint8 ~47 MB; and a character corpus cut
into overlapping windows would repeat every character ``block_size`` times.
These classes keep one compact tensor and build each sample on access.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class ImageArray(Dataset):
    """uint8 images ``(N, C, H, W)`` served as float32 in [0, 1], optionally flattened."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, flat: bool = False) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError("ImageArray needs a uint8 tensor shaped (N, C, H, W)")
        self.images = images
        self.targets = labels.long()
        self.flat = flat

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[i].float().div_(255.0)
        return (x.reshape(-1) if self.flat else x), self.targets[i]

    def batch(self, index: torch.Tensor | slice) -> tuple[torch.Tensor, torch.Tensor]:
        """Many samples at once (runtime.batches): the same values as stacking `self[i]`."""
        x = self.images[index].float().div_(255.0)
        return (x.reshape(x.shape[0], -1) if self.flat else x), self.targets[index]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        c, h, w = self.images.shape[1:]
        return (c * h * w,) if self.flat else (c, h, w)


class CharWindows(Dataset):
    """Windows over one token tensor: input ``ids[s:s+T]``, target ``ids[s+1:s+T+1]``.

    The target is the input shifted by one, so every position learns to
    predict the next character (the usual language-model objective).
    """

    def __init__(self, ids: torch.Tensor, block_size: int, stride: int) -> None:
        self.ids = ids.long()
        self.block_size = block_size
        self.stride = stride
        usable = len(self.ids) - block_size - 1
        self.count = 0 if usable < 0 else usable // stride + 1

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -self.count <= i < self.count:
            raise IndexError(i)
        s = (i % self.count) * self.stride
        return self.ids[s:s + self.block_size], self.ids[s + 1:s + self.block_size + 1]

    def batch(self, index: torch.Tensor | slice) -> tuple[torch.Tensor, torch.Tensor]:
        """Many windows at once (runtime.batches): one gather instead of a slice per window."""
        if isinstance(index, slice):
            index = torch.arange(self.count)[index]
        window = (index * self.stride)[:, None] + torch.arange(self.block_size)
        return self.ids[window], self.ids[window + 1]
