"""Makes the GPT-2 finetuning template: a tiny Hugging Face GPT-2 pretrained offline, saved as a Hugging Face
folder, imported as our own nodes (run in .venv-zoo: `.venv-zoo/bin/python -m tools.pretrain_gpt2_bytes`).

Nothing is downloaded, so the checkpoint is made here: transformers' own
GPT2LMHeadModel in a tiny configuration (2 layers, width 64, 64 positions),
pretrained on English prose (the Python documentation's help topics that ship
with CPython, `pydoc_data.topics`), saved with `save_pretrained` exactly as
Hugging Face saves a checkpoint: config.json + model.safetensors under its own
names, the tied `lm_head.weight` left out. Its tokenizer is byte-level like
GPT-2's, but without GPT-2's 50,000 BPE merges: each UTF-8 byte is one token
(256 ids; tokenizer.json made with the `tokenizers` library). The template
imports the architecture as TorchCanvas nodes (so it trains without
transformers), loads the folder through `recipe.init_from` with the importer's
renames, and finetunes on a different text: Python source code (stdlib_text).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch import nn

from codegen import build_from_compiled, compile_document
from codegen.importer import import_module, record_constructors, transfer_weights, weight_renames
from graph import save

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "resources" / "pretrained" / "gpt2_tiny_bytes"
TEMPLATE = ROOT / "resources" / "templates" / "32_finetune_gpt2_bytes.json"
BLOCK = 64


def gpt2_config():
    import transformers

    return transformers.GPT2Config(vocab_size=256, n_positions=BLOCK, n_embd=64, n_layer=2, n_head=4,
                                   bos_token_id=0, eos_token_id=0, use_cache=False)


class GPT2Logits(nn.Module):
    """GPT2LMHeadModel's next-token logits for a (batch, time) tensor of byte ids."""

    def __init__(self) -> None:
        super().__init__()
        import transformers

        self.gpt = transformers.GPT2LMHeadModel(gpt2_config())

    def forward(self, ids):
        return self.gpt(ids).logits


def corpus() -> bytes:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k] for k in sorted(topics)).encode("utf-8")


def pretrain(gpt, steps: int, batch: int = 32) -> tuple[float, float]:
    """Next-byte prediction on the prose (its last 10 % held out); returns (first, last) validation loss."""
    data = torch.tensor(list(corpus()), dtype=torch.int64)
    cut = int(0.9 * len(data))
    train, val = data[:cut], data[cut:]
    generator = torch.Generator().manual_seed(0)
    opt = torch.optim.AdamW(gpt.parameters(), lr=3e-3, weight_decay=0.01)

    def windows(source, n):
        starts = torch.randint(0, len(source) - BLOCK - 1, (n,), generator=generator)
        x = torch.stack([source[s:s + BLOCK] for s in starts])
        y = torch.stack([source[s + 1:s + BLOCK + 1] for s in starts])
        return x, y

    vx, vy = windows(val, 256)

    def val_loss() -> float:
        gpt.eval()
        with torch.no_grad():
            return float(nn.functional.cross_entropy(gpt(vx).logits.flatten(0, 1), vy.flatten()))

    first = val_loss()
    for step in range(steps):
        gpt.train()
        x, y = windows(train, batch)
        loss = nn.functional.cross_entropy(gpt(x).logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(step, float(loss.detach()), file=sys.stderr)
    return first, val_loss()


def byte_characters() -> dict[int, str]:
    """GPT-2's printable stand-in character for each byte (its encoder.py `bytes_to_unicode`)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    out, extra = {b: chr(b) for b in printable}, 0
    for b in range(256):
        if b not in out:
            out[b], extra = chr(256 + extra), extra + 1
    return out


def save_tokenizer(folder: Path) -> None:
    """Byte-level like GPT-2's (ids are the UTF-8 bytes), with no merges."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    byte_char = byte_characters()
    tokenizer = Tokenizer(models.BPE(vocab={byte_char[b]: b for b in range(256)}, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    text = "def f(x):\n    return x  # é"
    assert tokenizer.encode(text).ids == list(text.encode("utf-8"))
    tokenizer.save(str(folder / "tokenizer.json"))


DESCRIPTION = (
    "Finetuning a pretrained GPT-2. 'gpt' is Hugging Face transformers' GPT2LMHeadModel (tiny: 2 layers, width 64, "
    "64 positions), imported into TorchCanvas nodes by tools/pretrain_gpt2_bytes.py, so it trains without "
    "transformers. Its weights load from a Hugging Face folder (resources/pretrained/gpt2_tiny_bytes: config.json, "
    "model.safetensors under Hugging Face's names, the tied lm_head left out, tokenizer.json) through "
    "recipe.init_from, whose 'rename' maps Hugging Face's names to these nodes. It was pretrained on English prose "
    "(the Python documentation's help topics) and is finetuned here on a different text: Python source code. "
    "Tokens are UTF-8 bytes (GPT-2's byte alphabet without its BPE merges, so not GPT-2's real tokenizer). "
    "Compare: remove init_from to start from random weights. Your own GPT-2 folder loads the same way when its "
    "configuration matches the graph.")


def main() -> None:
    torch.set_num_threads(1)  # a shared machine: one core, the same result
    torch.manual_seed(0)
    with record_constructors():
        model = GPT2Logits()
    first, last = pretrain(model.gpt, steps=int(sys.argv[1]) if len(sys.argv) > 1 else 400)
    model.eval()
    FOLDER.mkdir(parents=True, exist_ok=True)
    model.gpt.save_pretrained(str(FOLDER), safe_serialization=True)
    save_tokenizer(FOLDER)
    (FOLDER / "generation_config.json").unlink(missing_ok=True)
    ids = torch.randint(0, 256, (2, BLOCK), generator=torch.Generator().manual_seed(1))
    doc, origin = import_module(model, inputs=[ids])
    compiled = compile_document(doc, trusted=True)
    rebuilt = build_from_compiled(compiled).eval()
    assert transfer_weights(model, origin, compiled, rebuilt) == []
    with torch.no_grad():
        diff = float((rebuilt(ids) - model(ids)).abs().max())
    # the folder's names are the GPT2LMHeadModel's: the wrapper's `gpt.` prefix comes off
    rename = {k.removeprefix("gpt."): v for k, v in weight_renames(model, origin, compiled).items()
              if k.startswith("gpt.")}
    doc.name, doc.description = "Finetune a pretrained GPT-2", DESCRIPTION
    doc.recipe = {"dataset": {"name": "stdlib_text", "block_size": BLOCK, "max_chars": 200_000, "tokens": "bytes"},
                  "epochs": 2, "batch_size": 32, "clip_grad_norm": 1.0, "metrics": ["accuracy", "perplexity"],
                  "optimizer": {"name": "adamw", "lr": 0.001},
                  "init_from": [{"file": f"../pretrained/{FOLDER.name}", "rename": rename}]}
    save(doc, TEMPLATE)
    sizes = {p.name: p.stat().st_size for p in sorted(FOLDER.iterdir())}
    print(json.dumps({"pretrain_val_loss": [round(first, 4), round(last, 4)], "import_max_abs_diff": diff,
                      "files": sizes, "renames": len(rename), "template": str(TEMPLATE.relative_to(ROOT))}))


if __name__ == "__main__":
    main()
