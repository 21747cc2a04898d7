"""The zoo: real models people use, randomly initialised (no downloads), with example inputs.

Each entry builds its model inside `record_constructors()` (as the CLI does)
and returns it with the inputs to import and compare on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from codegen.importer import record_constructors


@dataclass(frozen=True)
class ZooModel:
    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[], list[torch.Tensor]]


def _images(size: int) -> Callable[[], list[torch.Tensor]]:
    return lambda: [torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))]


def _tokens(vocab: int, length: int) -> Callable[[], list[torch.Tensor]]:
    return lambda: [torch.randint(0, vocab, (2, length), generator=torch.Generator().manual_seed(1))]


def _torchvision(name: str, **kwargs) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision.models as tvm

        return getattr(tvm, name)(weights=None, **kwargs)
    return build


def _vit_b_16_small() -> nn.Module:
    """torchvision's vit_b_16 architecture (VisionTransformer) in a small configuration."""
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
                             num_classes=10)


def _timm(name: str, **kwargs) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False, **kwargs)
    return build


def _gpt2() -> nn.Module:
    import transformers

    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=100, n_positions=32,
                                     use_cache=False)
    return transformers.GPT2LMHeadModel(config)


def _bert() -> nn.Module:
    import transformers

    config = transformers.BertConfig(num_hidden_layers=2, num_attention_heads=2, hidden_size=32,
                                     intermediate_size=64, vocab_size=100, max_position_embeddings=32)
    return transformers.BertModel(config, add_pooling_layer=False)


def _nanogpt() -> nn.Module:
    from tests.zoo.nanogpt import GPT

    return GPT()


ZOO: list[ZooModel] = [
    ZooModel("torchvision resnet18", _torchvision("resnet18", num_classes=10), _images(64)),
    ZooModel("torchvision mobilenet_v2", _torchvision("mobilenet_v2", num_classes=10), _images(64)),
    ZooModel("torchvision vit_b_16 (small)", _vit_b_16_small, _images(32)),
    ZooModel("torchvision vgg11", _torchvision("vgg11", num_classes=10), _images(32)),
    ZooModel("timm resnet18", _timm("resnet18", num_classes=10), _images(64)),
    ZooModel("timm vit_tiny", _timm("vit_tiny_patch16_224", img_size=32, patch_size=8, depth=2, num_classes=10),
             _images(32)),
    ZooModel("HF GPT-2 (tiny)", _gpt2, _tokens(100, 16)),
    ZooModel("HF BERT (tiny)", _bert, _tokens(100, 16)),
    ZooModel("nanoGPT", _nanogpt, _tokens(96, 16)),
]


def build(entry: ZooModel) -> nn.Module:
    torch.manual_seed(0)
    with record_constructors():
        model = entry.build()
    return model.eval()
