"""The headless half of the `torchcanvas` command: everything but the window.

Each subcommand prints errors a person can act on and exits non-zero on
failure; expected failures never end in a bare traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, handler: str):
    def register(configure: Callable[[argparse.ArgumentParser], None]):
        COMMANDS[name] = (help_text, configure, handler)
        return configure
    return register


@command("check", "analyse a project (graph, shapes, recipe, dataset, memory); print each problem with its "
         "node and parameter or recipe setting",
         "runtime.commands.check:run")
def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--trust", action="store_true", help="run the project's custom code to check shapes after it")
    p.add_argument("--no-data", action="store_true", help="do not load the dataset (skips the Input fit check)")


@command("layers", "list the node-type catalogue (type, category, PyTorch target)", "runtime.commands.layers:run")
def _layers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object per node type")


@command("export", "write the generated code, the weights or an ONNX / torch.export file",
         "runtime.commands.export:run")
def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--to", choices=("py", "safetensors", "onnx", "pt2", "train"), default="py",
                   help="what to write; 'train' writes a folder with model.py, data and a standalone train.py "
                        "(runs under torchrun too)")
    p.add_argument("-o", "--output", help="output file (default: next to the project)")
    p.add_argument("--weights", help="safetensors weights to load first (e.g. a training run's)")
    p.add_argument("--trust", action="store_true", help="run the project's custom code (needed for code nodes)")


@command("train", "train a project headless with a progress bar; metrics JSONL and weights go to a run folder",
         "runtime.commands.train:run")
def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--max-steps", type=int, help="stop after this many batches")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), help="override the recipe's device")
    p.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    p.add_argument("--lr", type=float, help="override the optimizer's learning rate")
    p.add_argument("--seed", type=int, help="override the recipe's seed")
    p.add_argument("--out", help="run folder (default: runs/<time>-<project> beside the project)")
    p.add_argument("--resume", metavar="CHECKPOINT", help="a checkpoint's .safetensors to continue from")
    p.add_argument("--trust", action="store_true", help="run the project's custom code (code nodes, hooks)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@command("templates", "list the bundled template projects and where they are", "runtime.commands.templates:run")
def _templates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object per template")


@command("import", "trace a PyTorch nn.Module (FILE.py:Class) into a project", "runtime.commands.import_:run")
def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("module", metavar="FILE.py:Class", help="the module class to import")
    p.add_argument("--input-shape", action="append", required=True, metavar="D,D,...",
                   help="shape of one input sample without the batch dimension (repeat for several inputs)")
    p.add_argument("--args", help="constructor arguments as JSON, e.g. '{\"classes\": 10}'")
    p.add_argument("--input-dtype", action="append", choices=("float32", "float64", "long", "int64", "bool"),
                   help="element type of each input, in the order of --input-shape (long: token ids)")
    p.add_argument("--weights", help="a state_dict (.safetensors, or .pt loaded with weights_only=True)")
    p.add_argument("-o", "--output", required=True, help="the project file to write")


@command("sweep", "train a project once per value of one node parameter (a grid study); CSV and a plot",
         "runtime.commands.sweep:run")
def _sweep_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--node", required=True, help="label of the node whose parameter is swept")
    p.add_argument("--param", required=True, help="the parameter, e.g. out_features")
    p.add_argument("--values", required=True, help="comma-separated JSON values, e.g. 2,4,8,16")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--jobs", type=int, default=1, help="train this many values at once (processes)")
    p.add_argument("--storage", help="Optuna storage URL (default: SQLite file beside the project)")
    p.add_argument("--out", help="output folder (default: PROJECT_sweep beside the project)")
    p.add_argument("--trust", action="store_true", help="run the project's custom code")


@command("compare", "train named variants of a project over several seeds; a table of mean ± std",
         "runtime.commands.compare:run")
def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--variant", action="append", metavar="NAME=JSON",
                   help="a variant as recipe overrides, e.g. 'plain={\"hooks\": []}' (repeat; default: the "
                        "variants in PROJECT.compare.json or the template's bundled comparison)")
    p.add_argument("--variants", help="a JSON file {\"seeds\": 5, \"variants\": {NAME: overrides}}")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 per variant (default 5)")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--out", help="folder whose runs/ receives the run folders (default: beside the project)")
    p.add_argument("--trust", action="store_true", help="run the project's custom code")


def _study_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=1, help="trials at once on this machine (worker processes)")
    p.add_argument("--trust", action="store_true", help="run the project's custom code (code nodes, hooks)")
    p.add_argument("--heartbeat", type=float, default=10.0, metavar="SECONDS",
                   help="a running trial beats this often; after three missed beats it is failed and retried")


@command("study", "search node parameters and recipe fields with Optuna; each trial is a run folder",
         "runtime.commands.study:run")
def _study_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="the project file (.json)")
    p.add_argument("--param", action="append", metavar="PATH=SPEC",
                   help="what to search: NODE.PARAM or recipe.FIELD, then int:LOW..HIGH[:log], "
                        "float:LOW..HIGH[:log] or choice:A,B,C (repeat for several)")
    p.add_argument("--trials", type=int,
                   help="how many trials (default 20, or the whole grid); a resumed study tops up to this")
    p.add_argument("--sampler", choices=("tpe", "random", "grid"), default="tpe")
    p.add_argument("--prune", choices=("median", "none"), default="median",
                   help="stop trials whose per-epoch validation is worse than the median of earlier trials")
    p.add_argument("--metric", default="val_loss", help="the objective, a validation metric (default val_loss)")
    p.add_argument("--direction", choices=("minimize", "maximize"),
                   help="default: maximize accuracies, minimize the rest")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs for every trial")
    p.add_argument("--storage", metavar="URL",
                   help="sqlite:///FILE, postgresql://USER:PASSWORD@HOST/DB or journal:FILE "
                        "(default: PROJECT.optuna.db beside the project)")
    p.add_argument("--name", help="the study's name in the storage (default: the project's file name)")
    p.add_argument("--no-run", action="store_true",
                   help="only make the study and its waiting trials; workers (study-worker) run them")
    p.add_argument("--plot", metavar="FILE.png",
                   help="draw the results: the objective against the parameter (one searched) or per trial")
    p.add_argument("--mark", action="append", metavar="TEXT=X",
                   help="a labelled vertical line on the plot, e.g. 'training points=200' (repeat)")
    _study_options(p)


@command("study-worker", "join a study (from this or another machine) and run its waiting trials",
         "runtime.commands.study:run_worker")
def _study_worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--storage", required=True, metavar="URL", help="the study's storage, as given to study")
    p.add_argument("--name", required=True, help="the study's name")
    p.add_argument("--project-dir", metavar="DIR",
                   help="the project's folder on this machine (data files, runs/); default: the folder the "
                        "study was made in, if it exists here, else the current folder")
    _study_options(p)


def build_parser(prog: str = "torchcanvas") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="TorchCanvas headless commands.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."))
    return parser


def _file_of(args: argparse.Namespace) -> str:
    """The file a command is about, for its error line."""
    for name in ("project", "module"):
        value = getattr(args, name, None)
        if value:
            return str(value).rsplit(":", 1)[0] if name == "module" else str(value)
    return "torchcanvas"


def run(argv: Sequence[str]) -> int:
    """Runs one command. Whatever goes wrong ends as `error: <file>: <what> (<where>)`, never a traceback."""
    import importlib

    from graph.fileformat import ProjectFileError
    from graph.problems import ProblemError
    from graph.trust import GRANT_CLI, UntrustedCode
    from runtime.report import print_error, report_crash

    args = build_parser().parse_args(list(argv))
    file = _file_of(args)
    try:
        module_name, func = COMMANDS[args.command][2].split(":")
        handler = getattr(importlib.import_module(module_name), func)
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `torchcanvas layers | head`
        sys.stderr.close()
        return 0
    except UntrustedCode as exc:
        return print_error(file, exc.with_grant(GRANT_CLI))
    except (ProblemError, ProjectFileError) as exc:
        return print_error(file, exc)
    except Exception as exc:  # noqa: BLE001 - a bug: one line and a crash log, not a traceback
        return report_crash(file, exc, args.command)
