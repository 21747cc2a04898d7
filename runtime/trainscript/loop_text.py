'''The fixed part of an exported train.py: data order, the Trainer loop with its hook points, checkpoints, main.

It mirrors `runtime.engine.Trainer` step for step (same seed use, same batch
order, same order of loss, clipping, hooks, optimizer and scheduler steps),
which the tests check by comparing loss curves number by number. `$name`
fields are filled in by `runtime.trainscript.script`.
'''

HEAD = r'''r"""Train $model_class as TorchCanvas did: plain PyTorch, no TorchCanvas needed.

    python train.py                                # one process (CPU or one GPU)
    python train.py --resume checkpoints/last.pt   # continue an interrupted run
    torchrun --nproc_per_node=4 train.py           # DDP: 4 processes on this machine

On each of two machines (DDP across machines):

    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d \
        --rdzv-endpoint=HOST:29500 train.py

recipe.json holds the settings and data.safetensors the exact training and
validation tensors TorchCanvas used. The batch size is the global batch:
under torchrun each rank takes an equal share of every batch and the
gradients are averaged, so N processes follow the curve of one (BatchNorm
statistics stay per rank; each rank draws its own dropout masks). Every rank
evaluates the whole validation split, so hooks decide alike on all ranks.
Rank 0 prints one JSON line per epoch and writes metrics.jsonl and checkpoints/.
"""

import argparse
import json
import math
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel

$imports

HERE = Path(__file__).resolve().parent
RECIPE = json.loads((HERE / "recipe.json").read_text())
TARGET_IS_INPUT = $target_is_input  # an autoencoder learns to give back its input
SHUFFLE = $shuffle  # time series keep their order
'''

SETUP = r'''

def pick_device() -> torch.device:
    name = RECIPE["device"]
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup() -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins the process group when started by torchrun."""
    device = pick_device()
    if "RANK" not in os.environ:
        return 0, 1, device
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


def make_model(device: torch.device) -> nn.Module:
    """Built right after seeding, as in TorchCanvas, so the initial weights are the same."""
    torch.manual_seed(RECIPE["seed"])
    model = $model_class()
    # Pretrained weights for the whole model or for one of its parts (init_from).
    for spec in RECIPE["init_from"]:
        part = model.get_submodule(spec["module"])
        part.load_state_dict(load_file(str(HERE / spec["file"])), strict=spec["strict"])
    return model.to(device)


def param_groups(model: nn.Module) -> list[dict]:
    """The trainable weights; modules named in the recipe's param_groups get their own learning rate."""
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    groups, taken = [], set()
    for spec in RECIPE["param_groups"]:
        prefixes = tuple(module + "." for module in spec["modules"])
        params = [p for name, p in trainable if name.startswith(prefixes) and id(p) not in taken]
        taken |= {id(p) for p in params}
        if params:
            groups.append({"params": params, "lr": spec["lr"]})
    rest = [p for _, p in trainable if id(p) not in taken]
    if rest:
        groups.insert(0, {"params": rest})
    return groups


def forests(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The forests in the model (modules with members and grow()): a checkpoint records how far each grew."""
    return [(path, m) for path, m in model.named_modules()
            if callable(getattr(m, "grow", None)) and isinstance(getattr(m, "members", None), nn.ModuleList)]


def batches(x: torch.Tensor, y: torch.Tensor, epoch: int, rank: int = 0, world: int = 1, skip: int = 0):
    """(inputs, targets, size of the whole batch): this rank's share of each batch of the epoch.

    The order depends only on (seed, epoch), as in TorchCanvas, so a resumed run
    sees the batches an uninterrupted one would have seen.
    """
    size, n = RECIPE["batch_size"], x.shape[0]
    if SHUFFLE:
        seed = RECIPE["seed"] * 100_003 + epoch
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    else:
        order = torch.arange(n)
    targets = x if TARGET_IS_INPUT else y
    for start in range(skip * size, n, size):
        index = order[start : start + size]
        if len(index) < world:  # too small to share between the ranks
            break
        share = index[rank::world]
        yield x[share], targets[share], len(index)


def val_batches(x: torch.Tensor, y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
    """The validation split in batches of the training batch size but at least 256.

    A split of up to two such batches is one batch while it holds at most 4 MiB (inputs and targets):
    a second call of a small model costs more than it saves; big samples keep their batches small.
    """
    size, targets = max(RECIPE["batch_size"], 256), x if TARGET_IS_INPUT else y
    split_bytes = x.numel() * x.element_size() + y.numel() * y.element_size()
    size = max(size, x.shape[0]) if x.shape[0] <= 2 * size and split_bytes <= 4 << 20 else size
    return [(x[k : k + size], targets[k : k + size]) for k in range(0, x.shape[0], size)] or None
'''

TRAINER = r'''

class Trainer:
    """The training loop, with hooks called where TorchCanvas calls them (see hooks.py)."""

    def __init__(self, model, optimizer, scheduler, scheduler_when, loss_fn, data, callbacks, rank, world, device):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.scheduler_when = scheduler, scheduler_when
        self.callbacks, self.rank, self.world, self.device = callbacks, rank, world, device
        self.train_x, self.train_y = data["train_x"], data["train_y"]
        self.val_loader = val_batches(data["val_x"], data["val_y"])
        self.steps_per_epoch = math.ceil(len(self.train_x) / RECIPE["batch_size"])
        self.step = self.epoch = 0
        self.batch = self.output = self.loss = None
        self.last_eval: dict[str, float] = {}
        self.evaluated_at = -1  # the step last_eval was measured at
        self.partial_epoch = False  # True in on_epoch_end when max_steps ended the epoch before its last batch
        self.snapshot_before_step = None
        self.needs_snapshot = any(getattr(cb, "needs_snapshot", False) for cb in callbacks)
        self.status, self.message = "finished", ""
        self.log = (HERE / "metrics.jsonl").open("a") if rank == 0 else None
        self.ddp, self.trainable = model, ()
        self.wrap()

    # -- what hooks use ---------------------------------------------------------
    def emit(self, event) -> None:
        """Hook decisions and messages are recorded in metrics.jsonl."""
        if is_dataclass(event):
            self.record(asdict(event))
        elif hasattr(event, "_asdict"):  # a NamedTuple record; its kind is a class attribute
            self.record({**event._asdict(), "kind": getattr(event, "kind", type(event).__name__)})
        else:
            self.record(dict(event))

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, state: dict[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for k, v in self.model.state_dict().items():
                v.copy_(state[k])

    def compute_loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_complex(output):
            raise TypeError("the model's output is complex; the loss needs real numbers")
        return self.loss_fn(*flatten_for_loss(output, target))

    @torch.no_grad()
    def evaluate(self, loader=None, max_batches: int | None = None) -> dict[str, float]:
        """Validation metrics, in eval mode (train mode is restored afterwards)."""
        loader = self.val_loader if loader is None else loader
        if loader is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        metrics = MetricAccumulator(RECIPE["metrics"])
        try:
            for k, (x, y) in enumerate(loader):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = x.to(self.device), y.to(self.device)
                out = self.model(x)
                metrics.add(out, y, self.compute_loss(out, y))
        finally:
            self.model.train(was_training)
        return metrics.result()

    @torch.no_grad()
    def loss_on(self, batch) -> float:
        """Loss on one fixed batch in eval mode (the revert policy's yardstick)."""
        was_training = self.model.training
        self.model.eval()
        try:
            x, y = batch[0].to(self.device), batch[1].to(self.device)
            return float(self.compute_loss(self.model(x), y))
        finally:
            self.model.train(was_training)

    def add_parameters(self, params: list[nn.Parameter], lr: float | None = None) -> None:
        """New trainable weights (e.g. a forest's new member) join the optimizer."""
        self.optimizer.add_param_group({"params": params} if lr is None else {"params": params, "lr": lr})

    # -- the loop -----------------------------------------------------------------
    def call(self, hook: str) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(self)

    def wrap(self) -> None:
        """DDP over the trainable weights; wrapped again when a hook freezes, unfreezes or adds some."""
        trainable = tuple(id(p) for p in self.model.parameters() if p.requires_grad)
        if self.world > 1 and trainable != self.trainable:
            self.ddp = None  # drop the old reducer before the new one hooks into the gradients
            self.ddp = DistributedDataParallel(self.model)
        self.trainable = trainable

    def fit(self, epochs: int, max_steps: int | None) -> None:
        self.model.train()
        try:
            self.call("on_fit_start")
            first = self.epoch
            for epoch in range(first, epochs):
                self.epoch, started, seen = epoch, time.perf_counter(), 0
                done = max(0, self.step - epoch * self.steps_per_epoch) if epoch == first else 0
                self.call("on_epoch_start")
                for x, y, size in batches(self.train_x, self.train_y, epoch, self.rank, self.world, done):
                    try:
                        self.one_batch(x, y, size)
                    except CancelBatchException:
                        pass
                    seen += size
                    if RECIPE["eval_every"] and self.step % RECIPE["eval_every"] == 0:
                        self.run_eval()
                    if max_steps and self.step >= max_steps:
                        break
                if not RECIPE["eval_every"] or self.step % RECIPE["eval_every"]:
                    self.run_eval()
                reached = max_steps and self.step >= max_steps
                # max_steps may cut an epoch short: it ends as a whole one does, but steps no per-epoch scheduler
                # and writes no epoch checkpoint (a resume from "last" finishes it)
                self.partial_epoch = bool(reached) and self.step < (epoch + 1) * self.steps_per_epoch
                self.end_epoch(seen / (time.perf_counter() - started))
                if reached:
                    if not self.partial_epoch:
                        self.epoch = epoch + 1
                    raise CancelFitException("reached max_steps")
            self.epoch = epochs
        except CancelFitException as exc:
            self.message = str(exc) or "stopped by a hook"
            reached = self.message == "reached max_steps"
            self.status = "finished" if reached else "stopped"
            # Report the metrics of the weights the run ends with (a stop evaluates only if it never did).
            if not self.last_eval or (reached and self.evaluated_at != self.step):
                self.run_eval()
        self.call("on_fit_end")
        self.save_checkpoint("last")

    def one_batch(self, x: torch.Tensor, y: torch.Tensor, size: int) -> None:
        self.batch = (x.to(self.device), y.to(self.device))
        self.call("on_batch_start")
        if self.world > 1:
            self.wrap()
        x, y = self.batch
        self.output = self.ddp(x)
        loss = self.compute_loss(self.output, y)
        if self.world > 1:
            # DDP averages the ranks' gradients: weigh each rank by its share of the batch.
            loss = loss * (x.shape[0] * self.world / size)
        if RECIPE["l1"] or RECIPE["l2"]:
            loss = loss + self.penalty()
        self.loss = loss
        value = self.mean_over_ranks(loss)
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss became {value} at step {self.step} (epoch {self.epoch + 1}); "
                                     "lower the learning rate, add normalisation, or clip gradients")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if RECIPE["clip_grad_norm"]:
            nn.utils.clip_grad_norm_(self.model.parameters(), RECIPE["clip_grad_norm"])
        taken = True
        try:
            self.call("on_after_backward")
            if self.needs_snapshot:
                self.snapshot_before_step = self.snapshot()
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_when == "batch":
                self.scheduler.step()
            self.call("on_after_step")
        except CancelStepException:
            taken = False
        self.step += 1
        lr = float(self.optimizer.param_groups[0]["lr"])
        self.record({"kind": "batch", "step": self.step, "epoch": self.epoch, "loss": value, "lr": lr,
                     "step_taken": taken})

    def penalty(self) -> torch.Tensor:
        """The recipe's L1 / L2 penalty on weight matrices and kernels (not biases)."""
        params = [p for p in self.model.parameters() if p.requires_grad and p.dim() > 1]
        total = torch.zeros((), device=self.device)
        if RECIPE["l1"]:
            total = total + RECIPE["l1"] * sum(p.abs().sum() for p in params)
        if RECIPE["l2"]:
            total = total + RECIPE["l2"] * sum((p.abs() ** 2).sum() for p in params)
        return total

    def mean_over_ranks(self, loss: torch.Tensor) -> float:
        if self.world == 1:
            return loss.item()
        value = loss.detach().clone()
        dist.all_reduce(value)
        return value.item() / self.world

    def run_eval(self) -> None:
        if self.val_loader is None:
            return
        self.last_eval = self.evaluate(max_batches=RECIPE["eval_batches"])
        self.evaluated_at = self.step
        self.record({"kind": "eval", "step": self.step, "epoch": self.epoch, "metrics": self.last_eval})
        if self.scheduler is not None and self.scheduler_when == "eval":
            self.scheduler.step(self.last_eval.get("val_loss", 0.0))
        self.call("on_eval_end")

    def end_epoch(self, samples_per_s: float) -> None:
        if self.rank == 0:
            line = {"epoch": self.epoch + 1, "step": self.step, **self.last_eval, "world_size": self.world,
                    "samples_per_s": round(samples_per_s)}
            print(json.dumps(line), flush=True)
        if self.scheduler is not None and self.scheduler_when == "epoch" and not self.partial_epoch:
            self.scheduler.step()
        self.call("on_epoch_end")
        every = RECIPE["checkpoint_every"]
        if every and (self.epoch + 1) % every == 0 and not self.partial_epoch:
            self.save_checkpoint(f"epoch{self.epoch + 1:04d}", next_epoch=self.epoch + 1)
            old = HERE / "checkpoints" / f"epoch{self.epoch + 1 - 3 * every:04d}"
            for suffix in (".safetensors", ".pt"):
                old.with_suffix(suffix).unlink(missing_ok=True)

    def record(self, entry: dict) -> None:
        if self.log is not None:
            self.log.write(json.dumps(entry) + "\n")

    # -- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, name: str, next_epoch: int | None = None) -> None:
        """Weights as safetensors; optimizer, scheduler, random state and position with torch.save."""
        if self.rank != 0:
            return
        folder = HERE / "checkpoints"
        folder.mkdir(exist_ok=True)
        weights = {k: v.detach().cpu().clone().contiguous() for k, v in self.model.state_dict().items()}
        save_file(weights, str(folder / f"{name}.safetensors"))
        torch.save({"optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                    "rng": torch.get_rng_state(), "step": self.step,
                    "epoch": self.epoch if next_epoch is None else next_epoch,
                    "members": {path: len(m.members) for path, m in forests(self.model)}}, folder / f"{name}.pt")
        if self.log is not None:
            self.log.flush()

    def resume(self, checkpoint: Path) -> None:
        checkpoint = Path(checkpoint)
        state = torch.load(checkpoint.with_suffix(".pt"), weights_only=True)
        grown = dict(forests(self.model))
        for path, members in state.get("members", {}).items():
            while len(grown[path].members) < members:  # grown during the run: grow again, as the run did
                self.add_parameters(grown[path].grow())
        self.model.load_state_dict(load_file(str(checkpoint.with_suffix(".safetensors"))))
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"]:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.rank == 0:  # the other ranks keep drawing from their own streams
            torch.set_rng_state(state["rng"])
        self.step, self.epoch = state["step"], state["epoch"]
'''

MAIN = r'''

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"], help="train for this many epochs")
    parser.add_argument("--max-steps", type=int, default=RECIPE["max_steps"], help="stop after this many batches")
    parser.add_argument("--resume", metavar="CHECKPOINT", help="e.g. checkpoints/last.pt")
    args = parser.parse_args()
    rank, world, device = setup()
    data = load_file(str(HERE / "data.safetensors"))
    model = make_model(device)
    if rank > 0:
        # Rank 0 keeps the single-process random stream; the others draw their own dropout masks.
        torch.manual_seed(RECIPE["seed"] + 7919 * rank)
    loss_fn = make_loss()
    optimizer = make_optimizer(param_groups(model))
    steps_per_epoch = math.ceil(len(data["train_x"]) / RECIPE["batch_size"])
    scheduler, when = make_scheduler(optimizer, steps_per_epoch, args.epochs * steps_per_epoch)
    trainer = Trainer(model, optimizer, scheduler, when, loss_fn, data, make_callbacks(), rank, world, device)
    if args.resume:
        trainer.resume(args.resume)
    try:
        trainer.fit(args.epochs, args.max_steps)
    finally:
        if trainer.log is not None:
            trainer.log.close()
        if world > 1:
            dist.destroy_process_group()
    if rank == 0:
        print(f"{trainer.status} after {trainer.step} steps ({trainer.message or 'all epochs'})", flush=True)


if __name__ == "__main__":
    main()
'''
