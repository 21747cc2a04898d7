"""Makes resources/pretrained/resnet_mini_digits_backbone.safetensors (run: python tools/pretrain_resnet_mini.py).

The backbone (stem + three residual blocks) of a ResNet-mini trained on the
digits; the finetuning template reuses it, frozen, for a different task.
"""

from __future__ import annotations

from pathlib import Path

from codegen.catalogue import registry
from codegen.export import save_weights
from graph.builder import Builder
from runtime.session import prepare, run

OUT = Path(__file__).resolve().parent.parent / "resources" / "pretrained" / "resnet_mini_digits_backbone.safetensors"


def backbone(b: Builder) -> None:
    """Adds the 'res_block' and 'backbone' groups to a builder's document."""
    g = b.group("res_block", "Two 3×3 convolutions with batch norm and a skip connection.")
    x = g.input("x")
    h = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, "conv1", out_channels=16, kernel_size=3,
                                                 padding=1, bias=False), "bn1"), "relu1")
    h = g.add("BatchNorm2d", g.add("Conv2d", h, "conv2", out_channels=16, kernel_size=3, padding=1, bias=False),
              "bn2")
    g.output(g.add("ReLU", g.add("Add", [h, x], "skip"), "relu2"), "y")
    bb = b.group("backbone", "Stem and three residual blocks, pretrained on the digits.")
    x = bb.input("image")
    h = bb.add("ReLU", bb.add("Conv2d", x, "stem", out_channels=16, kernel_size=3, padding=1), "stem_act")
    h = bb.use("res_block", h, "blocks", repeat=3)
    bb.output(bb.add("GlobalAvgPool", h, "pool"), "features")


def main() -> None:
    b = Builder("ResNet-mini pretraining").use_registry(registry())
    backbone(b)
    x = b.input("image", [1, 8, 8])
    h = b.use("backbone", x, "backbone")
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    b.doc.recipe = {"dataset": {"name": "digits"}, "epochs": 30, "batch_size": 32,
                    "optimizer": {"name": "adam", "lr": 0.003}, "seed": 0}
    job = prepare(b.doc, num_threads=1)
    metrics = run(job)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_weights(job.trainer.model.backbone, OUT)
    print(f"digits val accuracy {metrics['val_accuracy']:.4f}; wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
