"""A stand-in for Hugging Face GPT-2's structure without transformers (issue 14, item 4).

Its blocks sit in an `nn.ModuleList` and take a second input that every block
gets unchanged (GPT-2's attention mask), and each block holds `Conv1D`-like
layers of the user's own: weight and bias Parameters used through `torch.addmm`.
"""

from __future__ import annotations

import torch
from torch import nn


class Conv1D(nn.Module):
    """As GPT-2 writes its linear layers: weight (nx, nf), `addmm` on the flattened input."""

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(width)
        self.c_fc = Conv1D(4 * width, width)
        self.c_proj = Conv1D(width, 4 * width)

    def forward(self, hidden_states, mask):
        h = self.c_proj(torch.relu(self.c_fc(self.ln(hidden_states))))
        return hidden_states + h * mask


class Blocks(nn.Module):
    """GPT-2's loop: `for block in self.h: x = block(x, mask)`."""

    def __init__(self, width: int = 8, layers: int = 3) -> None:
        super().__init__()
        self.h = nn.ModuleList([Block(width) for _ in range(layers)])
        self.head = nn.Linear(width, 4)

    def forward(self, x):
        mask = (x.abs().sum(-1, keepdim=True) > 0.5).to(x.dtype)
        for block in self.h:
            x = block(x, mask)
        return self.head(x)
