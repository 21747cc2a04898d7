"""A picture of an autoencoder's work: originals above, reconstructions below."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image


@torch.no_grad()
def save_reconstructions(model: torch.nn.Module, dataset, input_shape: tuple[int, ...], path: Path, n: int = 10,
                         scale: int = 6) -> Path:
    """Works for flat (64,) or image (1, H, W) inputs whose side is a whole square root."""
    xs = torch.stack([torch.as_tensor(dataset[k][0]) for k in range(min(n, len(dataset)))])
    was_training = model.training
    model.eval()
    try:
        ys = model(xs.to(next(model.parameters()).device)).cpu()
    finally:
        model.train(was_training)
    side = int(round(np.sqrt(int(np.prod(input_shape)))))

    def tile(batch: torch.Tensor) -> np.ndarray:
        images = batch.reshape(len(batch), side, side).clamp(0, 1).numpy()
        return np.concatenate([np.pad(im, 1, constant_values=0.3) for im in images], axis=1)

    grid = np.concatenate([tile(xs.float()), tile(ys.float())], axis=0)
    image = Image.fromarray((grid * 255).astype(np.uint8)).resize((grid.shape[1] * scale, grid.shape[0] * scale),
                                                                  Image.NEAREST)
    image.save(path)
    return path
