"""Example graphs used by compiler tests and benchmarks, each with its hand-written twin."""

from __future__ import annotations

import torch
from torch import nn

from codegen.catalogue import registry
from graph.builder import Builder


def builder(name: str) -> Builder:
    return Builder(name).use_registry(registry())


def mlp():
    b = builder("mlp")
    x = b.input("x", [64])
    h = b.add("ReLU", b.add("Linear", x, "fc1", out_features=128), "act")
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    ref = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return b.doc, ref, [torch.randn(5, 64)]


def lenet5(size: int = 32):
    b = builder("LeNet-5")
    x = b.input("image", [1, size, size])
    h = b.add("Tanh", b.add("Conv2d", x, "conv1", out_channels=6, kernel_size=5), "tanh1")
    h = b.add("AvgPool2d", h, "pool1", kernel_size=2)
    h = b.add("Tanh", b.add("Conv2d", h, "conv2", out_channels=16, kernel_size=5), "tanh2")
    h = b.add("AvgPool2d", h, "pool2", kernel_size=2)
    h = b.add("Flatten", h, "flatten")
    h = b.add("Tanh", b.add("Linear", h, "fc1", out_features=120), "tanh3")
    h = b.add("Tanh", b.add("Linear", h, "fc2", out_features=84), "tanh4")
    b.output(b.add("Linear", h, "fc3", out_features=10), "logits")
    side = ((size - 4) // 2 - 4) // 2
    ref = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * side * side, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    return b.doc, ref, [torch.randn(4, 1, size, size)]


class _RefBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        h = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(h)) + x)


class _RefResNet(nn.Module):
    def __init__(self, blocks: int = 3) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.blocks = nn.ModuleList([_RefBlock(16) for _ in range(blocks)])
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h.mean(dim=(2, 3)))


def resnet_blocks(blocks: int = 3, size: int = 8):
    b = builder("ResNet mini")
    g = b.group("res_block", "A basic residual block: two 3x3 convolutions and a skip connection.")
    x = g.input("x")
    h = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, "conv1", out_channels=16, kernel_size=3,
                                                 padding=1, bias=False), "bn1"), "relu1")
    h = g.add("BatchNorm2d", g.add("Conv2d", h, "conv2", out_channels=16, kernel_size=3, padding=1, bias=False),
              "bn2")
    g.output(g.add("ReLU", g.add("Add", [h, x], "skip"), "relu2"), "y")
    inp = b.input("image", [1, size, size])
    h = b.add("Conv2d", inp, "stem", out_channels=16, kernel_size=3, padding=1)
    h = b.use("res_block", h, "blocks", repeat=blocks)
    h = b.add("GlobalAvgPool", h, "pool")
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    return b.doc, _RefResNet(blocks), [torch.randn(4, 1, size, size)]


class _RefLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.head = nn.Linear(32, 5)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out[:, -1])


def lstm_classifier():
    b = builder("LSTM classifier")
    t = b.input("tokens", [12], dtype="int64")
    e = b.add("Embedding", t, "embed", num_embeddings=50, embedding_dim=16)
    seq = b.add("LSTM", e, "lstm", hidden_size=32)
    last = b.add("SelectLast", seq["output"], "last")
    b.output(b.add("Linear", last, "head", out_features=5), "logits")
    return b.doc, _RefLSTM(), [torch.randint(0, 50, (3, 12))]


class _RefTransformerBlock(nn.Module):
    def __init__(self, d: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(self.gelu(self.fc1(self.ln2(x))))


def transformer_block(d: int = 32):
    b = builder("Transformer block")
    x = b.input("x", [10, d])
    h = b.add("LayerNorm", x, "ln1")
    a = b.add("MultiheadAttention", {"query": h}, "attn", num_heads=4)
    x1 = b.add("Add", [x, a], "res1")
    h = b.add("LayerNorm", x1, "ln2")
    h = b.add("Linear", b.add("GELU", b.add("Linear", h, "fc1", out_features=4 * d), "gelu"), "fc2",
              out_features=d)
    b.output(b.add("Add", [x1, h], "res2"), "y")
    return b.doc, _RefTransformerBlock(d), [torch.randn(3, 10, d)]


ALL = {"mlp": mlp, "lenet5": lenet5, "resnet": resnet_blocks, "lstm": lstm_classifier,
       "transformer": transformer_block}
