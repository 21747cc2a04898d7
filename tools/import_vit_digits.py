"""Makes the ViT finetuning template from torchvision's VisionTransformer (run in .venv-zoo:
`.venv-zoo/bin/python -m tools.import_vit_digits`).

No pretrained weights can be downloaded here, so the stand-in for ImageNet is
a different task on other images: the digits transposed (rows and columns
swapped). torchvision's ViT (16×16 images, 4×4 patches: a 4×4 patch grid) is
trained on that, then imported (`codegen.importer`), so the template is our own
nodes and runs without torchvision. The template keeps the backbone frozen,
loads its weights (recipe.init_from) and trains a new head on the upright digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from torch import nn
from torchvision.models.vision_transformer import VisionTransformer

from codegen import build_from_compiled, compile_document
from codegen.export import save_weights
from codegen.importer import import_module, record_constructors, transfer_weights
from graph import save

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "resources" / "pretrained" / "vit_transposed_digits_backbone.safetensors"
TEMPLATE = ROOT / "resources" / "templates" / "31_finetune_vit_digits.json"


class ViTOnDigits(nn.Module):
    """8×8 digits → 16×16, three channels → a small torchvision ViT without its head → a new head."""

    def __init__(self) -> None:
        super().__init__()
        self.to_patch_grid = nn.Upsample(scale_factor=2.0, mode="nearest")
        self.backbone = VisionTransformer(image_size=16, patch_size=4, num_layers=2, num_heads=4, hidden_dim=64,
                                          mlp_dim=128, num_classes=10)
        self.backbone.heads = nn.Identity()
        self.new_head = nn.Linear(64, 10)

    def forward(self, x):
        return self.new_head(self.backbone(self.to_patch_grid(x).expand(-1, 3, -1, -1)))


def digits(transposed: bool) -> tuple[torch.Tensor, torch.Tensor]:
    data = load_digits()
    x = torch.tensor(data.images / 16.0, dtype=torch.float32)[:, None]
    return (x.transpose(-1, -2) if transposed else x), torch.tensor(data.target)


def pretrain(model: ViTOnDigits, epochs: int = 10) -> float:
    """Every weight trained on the transposed digits (80 % of them); returns accuracy on the other 20 %."""
    x, y = digits(transposed=True)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, val = order[: int(0.8 * len(x))], order[int(0.8 * len(x)):]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        model.train()
        for batch in train[torch.randperm(len(train))].split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(x[val]).argmax(1) == y[val]).float().mean())


DESCRIPTION = (
    "Finetuning an imported Vision Transformer. 'backbone' is torchvision's VisionTransformer (4×4 patches of a "
    "16×16 image, 2 encoder layers, width 64), imported into TorchCanvas nodes by tools/import_vit_digits.py, so "
    "it runs without torchvision. It was trained on a different task (the digits transposed, rows and columns "
    "swapped: a stand-in for ImageNet, since nothing is downloaded), and its head removed; its weights load from "
    "resources/pretrained/ (recipe.init_from) and it is frozen (❄). The upright 8×8 digits are upsampled to the "
    "16×16 patch grid and only new_head trains. Compare: remove init_from (a frozen random ViT), or unfreeze it.")


def main() -> None:
    torch.manual_seed(0)
    with record_constructors():
        model = ViTOnDigits()
    accuracy = pretrain(model)
    x, _ = digits(transposed=False)
    doc, origin = import_module(model.eval(), inputs=[x[:4]])
    compiled = compile_document(doc, trusted=True)
    rebuilt = build_from_compiled(compiled).eval()
    assert transfer_weights(model, origin, compiled, rebuilt) == []
    with torch.no_grad():
        diff = float((rebuilt(x[:64]) - model(x[:64])).abs().max())
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    save_weights(rebuilt.backbone, WEIGHTS)
    (backbone,) = [n for n in doc.graph.nodes.values() if n.label == "backbone"]
    backbone.params["frozen"] = True
    doc.name, doc.description = "Finetune an imported ViT", DESCRIPTION
    doc.recipe = {"dataset": {"name": "digits"}, "epochs": 15, "batch_size": 32,
                  "optimizer": {"name": "adam", "lr": 0.003},
                  "init_from": [{"file": f"../pretrained/{WEIGHTS.name}", "node": "backbone"}]}
    save(doc, TEMPLATE)
    print(json.dumps({"pretrain_val_accuracy_transposed": round(accuracy, 4), "import_max_abs_diff": diff,
                      "weights_bytes": WEIGHTS.stat().st_size, "template": str(TEMPLATE.relative_to(ROOT))}))


if __name__ == "__main__":
    main()
