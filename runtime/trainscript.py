"""A standalone train.py that reproduces a run with plain PyTorch, alone or under torchrun.

The export folder holds model.py (the compiler's text), data.safetensors (the
exact train/validation tensors of the run) and train.py, which needs nothing
but torch and safetensors: `python train.py`, or `torchrun
--nproc_per_node=N train.py` for DistributedDataParallel (gloo on CPU, nccl
on GPU), or across machines with `torchrun --nnodes ... --rdzv-endpoint ...`.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from codegen import compile_document
from graph import Document
from runtime.recipe import Recipe, parse_recipe

TEMPLATE = '''r"""Train {model_class} as TorchCanvas did: plain PyTorch, no TorchCanvas needed.

    python train.py                         # one process (CPU or one GPU)
    torchrun --nproc_per_node=4 train.py    # DDP: 4 processes on this machine

On each of two machines (DDP across machines):

    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST:29500 train.py

Rank 0 prints metrics and writes checkpoints; every rank sees its own
shard of each epoch (DistributedSampler).
"""

import json
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, TensorDataset

from model import {model_class}

HERE = Path(__file__).resolve().parent
RECIPE = json.loads((HERE / "recipe.json").read_text())


def setup():
    """(rank, world size, device); initialises the process group under torchrun."""
    if "RANK" not in os.environ:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return 0, 1, device
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def make_optimizer(params):
    o = RECIPE["optimizer"]
    name, lr, wd = o["name"], o["lr"], o["weight_decay"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o["momentum"], nesterov=o["nesterov"] and o["momentum"] > 0,
                               weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(o["betas"]), eps=o["eps"], weight_decay=wd or 0.01)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o["alpha"], eps=o["eps"], momentum=o["momentum"],
                                   weight_decay=wd)
    return torch.optim.Adam(params, lr=lr, betas=tuple(o["betas"]), eps=o["eps"], weight_decay=wd)


LOSSES = {{"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "l1": nn.L1Loss, "smooth_l1": nn.SmoothL1Loss,
          "huber": nn.HuberLoss, "bce_with_logits": nn.BCEWithLogitsLoss, "nll": nn.NLLLoss}}


def loss_on(loss_fn, out, y):
    if out.dim() == 3 and y.dim() == 2 and not y.is_floating_point():  # sequence outputs (B, T, C)
        out, y = out.reshape(-1, out.shape[-1]), y.reshape(-1)
    return loss_fn(out, y), out, y


@torch.no_grad()
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss, out, y = loss_on(loss_fn, model(x), y)
        total += float(loss) * y.shape[0]
        count += y.shape[0]
        if out.dim() == 2 and not y.is_floating_point():
            correct += int((out.argmax(1) == y).sum())
    model.train()
    metrics = {{"val_loss": total / max(1, count)}}
    if correct:
        metrics["val_accuracy"] = correct / max(1, count)
    return metrics


def main():
    rank, world, device = setup()
    torch.manual_seed(RECIPE["seed"])
    data = load_file(str(HERE / "data.safetensors"))
    target_is_input = {target_is_input}
    train = TensorDataset(data["train_x"], data["train_x"] if target_is_input else data["train_y"])
    val = TensorDataset(data["val_x"], data["val_x"] if target_is_input else data["val_y"])
    generator = torch.Generator().manual_seed(RECIPE["seed"])
    sampler = DistributedSampler(train, world, rank, seed=RECIPE["seed"]) if world > 1 else \\
        RandomSampler(train, generator=generator)
    loader = DataLoader(train, batch_size=RECIPE["batch_size"], sampler=sampler)
    val_loader = DataLoader(val, batch_size=256)
    model = {model_class}().to(device)
    if world > 1:
        model = DistributedDataParallel(model)
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad])
    loss_fn = LOSSES[RECIPE["loss"]["name"]]()
    epochs = int(os.environ.get("EPOCHS", RECIPE["epochs"]))
    out_dir = HERE / "checkpoints"
    for epoch in range(epochs):
        if world > 1:
            sampler.set_epoch(epoch)
        start, seen = time.perf_counter(), 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss, _, _ = loss_on(loss_fn, model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if RECIPE.get("clip_grad_norm"):
                nn.utils.clip_grad_norm_(model.parameters(), RECIPE["clip_grad_norm"])
            optimizer.step()
            seen += x.shape[0]
        if rank == 0:
            plain = model.module if world > 1 else model
            metrics = evaluate(plain, val_loader, loss_fn, device)
            rate = seen * world / (time.perf_counter() - start)
            print(json.dumps({{"epoch": epoch + 1, **metrics, "samples_per_s": round(rate)}}), flush=True)
            out_dir.mkdir(exist_ok=True)
            state = {{k: v.detach().cpu().contiguous() for k, v in plain.state_dict().items()}}
            save_file(state, str(out_dir / "last.safetensors"))
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def _tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for k in range(len(dataset)):
        x, y = dataset[k]
        xs.append(torch.as_tensor(x))
        ys.append(torch.as_tensor(y))
    return torch.stack(xs), torch.stack(ys)


def export_training(doc: Document, out_dir: Path, project_dir: Path | None = None, trusted: bool = False,
                    recipe: Recipe | None = None) -> Path:
    """Writes model.py, recipe.json, data.safetensors and train.py into `out_dir`; returns train.py's path."""
    from runtime.data import load_dataset

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    recipe = recipe or parse_recipe(doc.recipe)
    compiled = compile_document(doc, trusted=trusted)
    (out_dir / "model.py").write_text(compiled.source)
    (out_dir / "recipe.json").write_text(json.dumps(recipe.model_dump(), indent=2))
    bundle = load_dataset(recipe.dataset, project_dir)
    train_x, train_y = _tensors(bundle.train)
    val_x, val_y = _tensors(bundle.val)
    save_file({"train_x": train_x.contiguous(), "train_y": train_y.contiguous(), "val_x": val_x.contiguous(),
               "val_y": val_y.contiguous()}, str(out_dir / "data.safetensors"))
    script = TEMPLATE.format(model_class=compiled.class_name, target_is_input=bundle.task == "reconstruction")
    path = out_dir / "train.py"
    path.write_text(script)
    tidy_file(path)
    return path


def tidy_file(path: Path) -> None:
    """Sorts imports and formats in place, from the file's folder so `model` counts as a local module."""
    import subprocess

    from codegen.formatting import ruff_binary

    ruff = ruff_binary()
    if ruff is None:
        return
    for args in (["check", "--isolated", "--select=I", "--fix", "--quiet"], ["format", "--isolated", "--quiet"]):
        subprocess.run([ruff, *args, path.name], cwd=path.parent, capture_output=True, timeout=60)
