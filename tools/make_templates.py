"""Builds the bundled template projects in resources/templates/ (run: python tools/make_templates.py).

Templates are ordinary project files made only of catalogue nodes, groups and
code nodes; this script exists so that they stay reviewable as code.
"""

from __future__ import annotations

from pathlib import Path

from codegen.catalogue import registry
from graph import save
from graph.builder import Builder
from graph.layout import layered_positions

OUT = Path(__file__).resolve().parent.parent / "resources" / "templates"


def builder(name: str, description: str) -> Builder:
    return Builder(name, description=description).use_registry(registry())


def finish(b: Builder, filename: str, recipe: dict) -> None:
    b.doc.recipe = recipe
    for scope in b.doc.scopes():
        g = b.doc.scope(scope)
        for nid, pos in layered_positions(g).items():
            g.nodes[nid].position = pos
    save(b.doc, OUT / filename)


def mlp_tabular() -> None:
    b = builder("MLP on wine", "The first step from Keras' Sequential: a two-layer perceptron on scikit-learn's "
                "wine table (13 standardised measurements, 3 cultivars). Watch the loss fall in a few dozen "
                "batches and the validation accuracy reach ~100%. Try: remove the hidden layer (a linear model "
                "does almost as well here), or swap ReLU for Tanh.")
    x = b.input("features", [13])
    h = b.add("ReLU", b.add("Linear", x, "hidden", out_features=32), "act")
    b.output(b.add("Linear", h, "classify", out_features=3), "logits")
    finish(b, "01_mlp_wine.json", {"dataset": {"name": "wine"}, "epochs": 40, "batch_size": 16,
                                    "optimizer": {"name": "adam", "lr": 0.01}})


def mlp_digits() -> None:
    b = builder("MLP on digits", "A two-layer perceptron on 8×8 handwritten digits, flattened to 64 numbers. "
                "Reaches ~97% in seconds. Watch the per-layer gradient norms: the first layer's are the "
                "smallest. Try: widen the hidden layer, add Dropout, or a second hidden layer.")
    x = b.input("x", [64])
    h = b.add("ReLU", b.add("Linear", x, "fc1", out_features=128), "act1")
    h = b.add("Dropout", h, "drop", p=0.1)
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    finish(b, "02_mlp_digits.json", {"dataset": {"name": "digits", "flat": True}, "epochs": 20,
                                      "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.002}})


def lenet() -> None:
    b = builder("LeNet-5 on digits", "LeCun's LeNet-5 (1998): two convolution + average-pooling stages and "
                "three fully connected layers. The 8×8 digits are upscaled to 32×32, the size LeNet was "
                "designed for. Watch the shapes on the edges: 32→28→14→10→5. Try: MaxPool instead of "
                "AvgPool, ReLU instead of Tanh.")
    x = b.input("image", [1, 8, 8])
    h = b.add("Upsample", x, "upscale", scale_factor=4.0)
    h = b.add("Tanh", b.add("Conv2d", h, "conv1", out_channels=6, kernel_size=5), "tanh1")
    h = b.add("AvgPool2d", h, "pool1", kernel_size=2)
    h = b.add("Tanh", b.add("Conv2d", h, "conv2", out_channels=16, kernel_size=5), "tanh2")
    h = b.add("AvgPool2d", h, "pool2", kernel_size=2)
    h = b.add("Flatten", h, "flatten")
    h = b.add("Tanh", b.add("Linear", h, "fc1", out_features=120), "tanh3")
    h = b.add("Tanh", b.add("Linear", h, "fc2", out_features=84), "tanh4")
    b.output(b.add("Linear", h, "fc3", out_features=10), "logits")
    finish(b, "03_lenet5_digits.json", {"dataset": {"name": "digits"}, "epochs": 30, "batch_size": 64,
                                         "optimizer": {"name": "adam", "lr": 0.003},
                                         "schedule": {"name": "cosine"}})


def resnet_mini() -> None:
    b = builder("ResNet-mini on digits", "Residual blocks (He et al. 2015): two 3×3 convolutions with batch "
                "normalisation and a skip connection, repeated as a group ×3. Double-click the 'blocks' node "
                "to edit the block. Watch the gradient-norm heatmap: the skip connections keep early layers "
                "learning. Try: repeat 6, or remove the skip (the Add node).")
    g = b.group("res_block", "Two 3×3 convolutions with batch norm and a skip connection.")
    x = g.input("x")
    h = g.add("ReLU", g.add("BatchNorm2d", g.add("Conv2d", x, "conv1", out_channels=16, kernel_size=3,
                                                 padding=1, bias=False), "bn1"), "relu1")
    h = g.add("BatchNorm2d", g.add("Conv2d", h, "conv2", out_channels=16, kernel_size=3, padding=1, bias=False),
              "bn2")
    g.output(g.add("ReLU", g.add("Add", [h, x], "skip"), "relu2"), "y")
    inp = b.input("image", [1, 8, 8])
    h = b.add("ReLU", b.add("Conv2d", inp, "stem", out_channels=16, kernel_size=3, padding=1), "stem_act")
    h = b.use("res_block", h, "blocks", repeat=3)
    h = b.add("GlobalAvgPool", h, "pool")
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    finish(b, "05_resnet_mini_digits.json", {"dataset": {"name": "digits"}, "epochs": 30, "batch_size": 32,
                                              "optimizer": {"name": "adam", "lr": 0.003}})


def vgg_mini() -> None:
    b = builder("VGG-mini on digits", "VGG's idea (Simonyan & Zisserman 2014): stacks of small 3×3 "
                "convolutions. One group of two conv layers, used twice with its own weights. Try: a third "
                "stage, or BatchNorm after each convolution.")
    g = b.group("conv_stage", "Two 3×3 convolutions with ReLU.")
    x = g.input("x")
    h = g.add("ReLU", g.add("Conv2d", x, "conv_a", out_channels=32, kernel_size=3, padding=1), "relu_a")
    g.output(g.add("ReLU", g.add("Conv2d", h, "conv_b", out_channels=32, kernel_size=3, padding=1), "relu_b"),
             "y")
    inp = b.input("image", [1, 8, 8])
    h = b.add("MaxPool2d", b.use("conv_stage", inp, "stage1"), "pool1", kernel_size=2)
    h = b.add("MaxPool2d", b.use("conv_stage", h, "stage2"), "pool2", kernel_size=2)
    h = b.add("Flatten", h, "flatten")
    h = b.add("ReLU", b.add("Linear", h, "fc", out_features=64), "relu")
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    finish(b, "04_vgg_mini_digits.json", {"dataset": {"name": "digits"}, "epochs": 15, "batch_size": 32,
                                           "optimizer": {"name": "adam", "lr": 0.002}})


def rnn_family() -> None:
    for kind, file in (("RNN", "06a_rnn_adding.json"), ("LSTM", "06b_lstm_adding.json"),
                       ("GRU", "06c_gru_adding.json")):
        b = builder(f"{kind} on the adding problem", "The adding problem (Hochreiter & Schmidhuber 1997): "
                    "a sequence of 50 random numbers, two of them marked; the target is their sum. A constant "
                    "guess gets MSE ≈ 0.17. LSTM and GRU learn it; a plain RNN struggles because its gradient "
                    "vanishes over long spans — compare the gradient-norm heatmaps of the three templates.")
        x = b.input("sequence", [50, 2])
        seq = b.add(kind, x, kind.lower(), hidden_size=32)
        last = b.add("SelectLast", seq["output"], "last")
        b.output(b.add("Linear", last, "head", out_features=1), "sum")
        finish(b, file, {"dataset": {"name": "adding", "length": 50}, "epochs": 15, "batch_size": 50,
                         "loss": {"name": "mse"}, "metrics": ["mse"], "optimizer": {"name": "adam", "lr": 0.003}})


def noise_experiment() -> None:
    b = builder("Noise instead of a bad step", "Signature experiment 1. The same MLP as 'MLP on digits', "
                "trained with the built-in revert+noise hook: after every step the validation loss on a "
                "fixed batch is checked; if it did not improve, the step is undone (weights, Adam's moments and "
                "step count, the schedule) and Gaussian noise (σ = 0.01) is added to every layer instead, starting "
                "from the best weights so far so that failed tries do not pile up. The dashboard marks each "
                "reverted step on the loss curve and counts accepted vs reverted. Compare the variants with "
                "`torchcanvas compare THIS_FILE` (plain updates, noise on the current weights, the whole split "
                "as yardstick, annealed σ): docs/templates.md has the 5-seed table.")
    x = b.input("x", [64])
    h = b.add("ReLU", b.add("Linear", x, "fc1", out_features=128), "act1")
    b.output(b.add("Linear", h, "fc2", out_features=10), "logits")
    finish(b, "20_noise_instead_of_bad_step.json", {
        "dataset": {"name": "digits", "flat": True}, "epochs": 10, "batch_size": 64,
        "optimizer": {"name": "adam", "lr": 0.002},
        "hooks": [{"name": "revert_noise", "params": {"sigma": 0.01, "on": "batch", "start": "best"}}]})


def complex_net() -> None:
    b = builder("An activation with an imaginary component", "Signature experiment 2. The digits enter the "
                "complex plane (ToComplex), pass a complex linear layer (complex64 weights), the modReLU "
                "activation (Arjovsky et al. 2016: relu(|z| + b)·z/|z|), a second complex layer, and leave "
                "through the magnitude |z| as class scores. Try: Cardioid or ZSigmoid instead of modReLU.")
    x = b.input("x", [64])
    z = b.add("ToComplex", x, "to_complex")
    z = b.add("ModReLU", b.add("ComplexLinear", z, "clinear1", out_features=64), "modrelu")
    z = b.add("ComplexLinear", z, "clinear2", out_features=10)
    b.output(b.add("Abs", z, "magnitude"), "logits")
    finish(b, "21_complex_activation_digits.json", {"dataset": {"name": "digits", "flat": True}, "epochs": 20,
                                                     "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.01}})


def forest() -> None:
    b = builder("A forest of nets for sunspots", "Signature experiment 3: a forest of small nets that hand parts of "
                "their layers to newly initialised nets. Forecast next year's sunspot number from the last 20 years. "
                "The Forest node starts with one member; every 10 epochs the grow_forest hook adds a member whose "
                "hidden layer starts from the 8 units of the newest member with the largest weight norm (the rest "
                "fresh), and the older members stop training; the forest forecasts the sum of its members (boosting: each "
                "newcomer fits what the frozen forest so far gets wrong; chosen over the mean and learned weights on "
                "a validation period, see docs/templates.md). Try the other hand-off "
                "rules (lateral: progressive nets; fresh) and combinations (mean, learned weights) in the "
                "inspector. The grown model becomes a revision of the project (members, hand-off map, frozen "
                "members), so the run's model.py and weights, and an export, describe it. docs/templates.md has "
                "the 5-seed benchmark against a single net of equal size, seasonal naive and AR(p).")
    m = b.group("member", "One small forecaster of the forest.")
    mx = m.input("window")
    h = m.add("Tanh", m.add("Linear", mx, "hidden", out_features=16), "act")
    m.output(m.add("Linear", h, "out", out_features=1), "forecast")
    inp = b.input("window", [20])
    trees = b.add("Forest", inp, "forest", group="member", members=1, combine="boosting", handoff="copy",
                  layer="hidden", units=8, select="norm")
    b.output(trees, "forecast")
    finish(b, "22_forest_sunspots.json", {"dataset": {"name": "sunspots", "window": 20, "flat": True}, "epochs": 60,
                                           "batch_size": 32, "loss": {"name": "mse"}, "metrics": ["mse", "mae"],
                                           "optimizer": {"name": "adam", "lr": 0.005},
                                           "hooks": [{"name": "grow_forest", "params": {
                                               "forest": "forest", "every": 10, "max_members": 6}}]})


POSITIONAL = """import torch
from torch import nn


class PositionalEmbedding(nn.Module):
    \"\"\"Adds a learned vector per position (GPT-2 / ViT style).\"\"\"

    def __init__(self, length=64, dim=64):
        super().__init__()
        self.table = nn.Parameter(torch.zeros(1, length, dim))
        nn.init.normal_(self.table, std=0.02)

    def forward(self, x):
        return x + self.table[:, : x.shape[1]]
"""

CAUSAL_ATTENTION = """import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    \"\"\"Multi-head self-attention where each position sees only the past (nanoGPT).\"\"\"

    def __init__(self, dim=64, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))
"""


def autoencoder() -> None:
    b = builder("Autoencoder on digits", "An autoencoder squeezes each 64-pixel digit through an 8-number "
                "bottleneck and rebuilds it; the loss is the reconstruction error (MSE), the target is the "
                "input itself. Watch the loss flatten as the code fills up. Try: a 2-number bottleneck (and "
                "plot the codes), or Dropout on the input for a denoising autoencoder.")
    x = b.input("pixels", [64])
    h = b.add("ReLU", b.add("Linear", x, "enc1", out_features=32), "enc_act")
    code = b.add("ReLU", b.add("Linear", h, "bottleneck", out_features=8), "code")
    h = b.add("ReLU", b.add("Linear", code, "dec1", out_features=32), "dec_act")
    b.output(b.add("Sigmoid", b.add("Linear", h, "dec2", out_features=64), "pixels_out"), "reconstruction")
    finish(b, "09_autoencoder_digits.json", {"dataset": {"name": "digits", "flat": True, "task": "reconstruction"},
                                              "epochs": 40, "batch_size": 32, "loss": {"name": "mse"},
                                              "metrics": ["mse"], "optimizer": {"name": "adam", "lr": 0.003}})


def char_lstm() -> None:
    b = builder("Char-LSTM language model", "A character-level language model on Python's own standard "
                "library source (found on every machine): each position predicts the next character. A "
                "unigram model scores a loss of ~3.3 nats; this LSTM goes well below within minutes. "
                "Try: GRU instead of LSTM, or two stacked layers (num_layers=2).")
    x = b.input("chars", [64], dtype="int64")
    e = b.add("Embedding", x, "embed", num_embeddings=96, embedding_dim=64)
    seq = b.add("LSTM", e, "lstm", hidden_size=256)
    b.output(b.add("Linear", seq["output"], "next_char", out_features=96), "logits")
    finish(b, "07_char_lstm.json", {"dataset": {"name": "stdlib_text", "block_size": 64, "max_chars": 200000},
                                     "epochs": 3, "batch_size": 64, "metrics": ["accuracy", "perplexity"],
                                     "optimizer": {"name": "adam", "lr": 0.003}, "clip_grad_norm": 1.0})


def gpt_block(b: Builder) -> None:
    """The pre-norm transformer block group both GPT templates repeat."""
    blk = b.group("block", "One transformer block (pre-norm, as in GPT-2).")
    x = blk.input("x")
    b.doc.code["causal_attention"] = CAUSAL_ATTENTION
    a = blk.add("Code", blk.add("LayerNorm", x, "ln1"), "attn", code="causal_attention", dim=64, heads=4)
    x1 = blk.add("Add", [x, a], "res1")
    h = blk.add("Linear", blk.add("GELU", blk.add("Linear", blk.add("LayerNorm", x1, "ln2"), "fc",
                                                  out_features=256), "gelu"), "proj", out_features=64)
    blk.output(blk.add("Add", [x1, h], "res2"), "y")
    b.doc.code["positional"] = POSITIONAL


def mini_gpt() -> None:
    b = builder("mini-GPT", "A nanoGPT-style decoder: token + position embeddings, then a block group "
                "(layer norm → causal self-attention → residual, layer norm → MLP → residual) repeated ×2, "
                "then a linear head predicting the next character. The attention and position table are code "
                "nodes you can read and edit. Compare its loss with the char-LSTM at the same time budget.")
    gpt_block(b)
    t = b.input("chars", [64], dtype="int64")
    h = b.add("Code", b.add("Embedding", t, "tokens", num_embeddings=96, embedding_dim=64), "positions",
              code="positional", length=64, dim=64)
    h = b.use("block", h, "blocks", repeat=2)
    h = b.add("LayerNorm", h, "ln_f")
    b.output(b.add("Linear", h, "head", out_features=96), "logits")
    finish(b, "08_mini_gpt.json", {"dataset": {"name": "stdlib_text", "block_size": 64, "max_chars": 200000},
                                    "epochs": 3, "batch_size": 64, "metrics": ["accuracy", "perplexity"],
                                    "optimizer": {"name": "adamw", "lr": 0.002}, "clip_grad_norm": 1.0})


def nanogpt_addition() -> None:
    b = builder("nanoGPT learns to add", ADDITION_DESCRIPTION)
    gpt_block(b)
    t = b.input("problem", [9], dtype="int64")  # "37+58=___": 2 + 1 + 2 + 1 digits and marks, 3 answer slots
    h = b.add("Code", b.add("Embedding", t, "tokens", num_embeddings=13, embedding_dim=64), "positions",
              code="positional", length=9, dim=64)
    h = b.use("block", h, "blocks", repeat=2)
    h = b.add("Slice", b.add("LayerNorm", h, "ln_f"), "answer_slots", dim=1, start=-3)
    b.output(b.add("Linear", h, "digit_head", out_features=10), "answer_digits")
    finish(b, "12_nanogpt_addition.json", {
        "dataset": {"name": "addition", "digits": 2, "n": 10000, "val_fraction": 0.2}, "epochs": 8,
        "batch_size": 64, "metrics": ["accuracy"], "optimizer": {"name": "adamw", "lr": 0.003},
        "clip_grad_norm": 1.0})


ADDITION_DESCRIPTION = (
    "The mini-GPT's decoder (token + position embeddings, a causal attention block ×2) on two-digit "
    "addition: each sample is the string '37+58=___' and the model writes the sum's three digits into the "
    "blank slots at once (Slice keeps the last three positions, the head picks a digit for each). The "
    "validation split holds addition problems the model never saw, so val accuracy (the share of answer "
    "digits right) rises only if it learns to add rather than to remember: watch it sit near 40% (the carry "
    "digit and luck) for an epoch or two, then climb to ~99% within 5 epochs. Try: three digits, fewer "
    "training problems (val_fraction), or one block instead of two.")


def mini_vit() -> None:
    b = builder("mini-ViT on digits", "A Vision Transformer (Dosovitskiy et al. 2020) in miniature: a 2×2 "
                "convolution with stride 2 cuts the 8×8 digit into 16 patches of 32 numbers, a position table "
                "is added, two transformer encoder layers mix the patches, and the mean patch is classified. "
                "Try: patch size 4 (4 patches), or more layers.")
    b.doc.code["positional"] = POSITIONAL
    x = b.input("image", [1, 8, 8])
    h = b.add("Conv2d", x, "patchify", out_channels=32, kernel_size=2, stride=2)
    h = b.add("Transpose", b.add("Flatten", h, "patches", start_dim=2), "tokens", dim0=1, dim1=2)
    h = b.add("Code", h, "positions", code="positional", length=16, dim=32)
    enc = b.group("encoder", "One transformer encoder layer.")
    ex = enc.input("x")
    enc.output(enc.add("TransformerEncoderLayer", ex, "layer", nhead=4, dim_feedforward=64, dropout=0.0,
                       norm_first=True), "y")
    h = b.use("encoder", h, "encoders", repeat=2)
    h = b.add("Mean", h, "pool", dim=1)
    b.output(b.add("Linear", h, "head", out_features=10), "logits")
    finish(b, "10_mini_vit_digits.json", {"dataset": {"name": "digits"}, "epochs": 40, "batch_size": 32,
                                           "optimizer": {"name": "adamw", "lr": 0.002}})


def text_cnn() -> None:
    b = builder("Text-CNN classifier", "Kim (2014)-style convolutional text classifier on a set built "
                "offline from the Python standard library's docstrings: which of 5 module families (text, "
                "math, files, network, concurrency) does a docstring come from? Characters are embedded, a "
                "1-D convolution reads 5-character windows, global max pooling keeps the strongest match of "
                "each filter. Chance is 20 %. Try: kernel size 3, or two convolutions.")
    x = b.input("chars", [128], dtype="int64")
    h = b.add("Transpose", b.add("Embedding", x, "embed", num_embeddings=97, embedding_dim=32), "channels_first",
              dim0=1, dim1=2)
    h = b.add("ReLU", b.add("Conv1d", h, "conv", out_channels=64, kernel_size=5), "relu")
    h = b.add("GlobalMaxPool", h, "pool", spatial_dims=1)
    b.output(b.add("Linear", b.add("Dropout", h, "drop", p=0.3), "classify", out_features=5), "logits")
    finish(b, "11_text_cnn.json", {"dataset": {"name": "stdlib_docstrings"}, "epochs": 30, "batch_size": 32,
                                    "optimizer": {"name": "adam", "lr": 0.003}})


def double_descent() -> None:
    b = builder("Double descent: random features", "Random-features regression (Belkin et al. 2019): a frozen, "
                "randomly initialised first layer ('features', ❄) and a trainable linear readout, fitted with the "
                "squared loss to 200 noisy points of a teacher function (14 % of the target variance is label "
                "noise), full-batch Adam until the training error is near zero. Sweep the number of features: "
                "torchcanvas study THIS_FILE --param features.out_features=choice:20,50,100,150,180,200,220,250,"
                "300,400,800,1600 --sampler grid --prune none --jobs 2. The test error falls, peaks where the "
                "features just suffice to interpolate the training set (width ≈ 200 = training points), then "
                "falls again below its first minimum: the second descent.")
    x = b.input("x", [16])
    h = b.add("ReLU", b.add("Linear", x, "features", out_features=200, frozen=True), "relu")
    b.output(b.add("Linear", h, "readout", out_features=1), "y")
    finish(b, "23_double_descent.json", {"dataset": {"name": "teacher", "n": 1000, "dim": 16, "noise": 0.4,
                                                     "val_fraction": 0.8}, "epochs": 2000, "batch_size": 200,
                                         "loss": {"name": "mse"}, "metrics": ["mse"], "checkpoint_every": 0,
                                         "activation_every": 0, "optimizer": {"name": "adam", "lr": 0.01}})


def finetune() -> None:
    from tools.pretrain_resnet_mini import backbone

    b = builder("Finetune a pretrained ResNet-mini", "Models are rarely trained from scratch. The 'backbone' "
                "group (stem + three residual blocks) was trained on the digits by tools/pretrain_resnet_mini.py "
                "and is loaded from resources/pretrained/ (recipe.init_from) and frozen (❄). A new input layer "
                "maps the 30 breast-cancer measurements onto an 8×8 'image' for the backbone, and a new head "
                "classifies; only those two train. Compare: unfreeze the backbone, or remove init_from.")
    backbone(b)
    x = b.input("measurements", [30])
    h = b.add("Reshape", b.add("Linear", x, "adapter", out_features=64), "as_image", shape=[1, 8, 8])
    h = b.use("backbone", h, "backbone", frozen=True)
    b.output(b.add("Linear", h, "new_head", out_features=2), "logits")
    finish(b, "30_finetune_resnet_mini.json", {
        "dataset": {"name": "breast_cancer"}, "epochs": 15, "batch_size": 32,
        "optimizer": {"name": "adam", "lr": 0.003},
        "init_from": [{"file": "../pretrained/resnet_mini_digits_backbone.safetensors", "node": "backbone"}]})


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for make in (mlp_tabular, mlp_digits, lenet, vgg_mini, resnet_mini, rnn_family, noise_experiment,
                 complex_net, forest, autoencoder, char_lstm, mini_gpt, nanogpt_addition, mini_vit, text_cnn,
                 double_descent, finetune):
        make()
    print("\n".join(sorted(p.name for p in OUT.glob("*.json"))))
