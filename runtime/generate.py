"""Text from a trained character-level language model (for the char-RNN and mini-GPT templates)."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def sample_text(model: nn.Module, itos: list[str], block_size: int, prompt: str = "def ", length: int = 200,
                temperature: float = 0.8, seed: int = 0) -> str:
    """Feeds the last `block_size` characters, samples the next one, repeats."""
    stoi = {ch: k for k, ch in enumerate(itos)}
    ids = [stoi.get(ch, 0) for ch in prompt] or [0]
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for _ in range(length):
            window = ids[-block_size:]
            window = [window[0]] * (block_size - len(window)) + window  # left-pad to the model's length
            logits = model(torch.tensor([window], device=device))
            probs = torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
            ids.append(int(torch.multinomial(probs, 1, generator=generator)))
    finally:
        model.train(was_training)
    return "".join(itos[k] for k in ids)
