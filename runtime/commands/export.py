"""`torchcanvas export PROJECT --to py|safetensors|onnx|pt2|train [-o FILE]`.

Only `--to py` writes text without running anything; every other target
builds the model, which runs the project's code, so it needs trust.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen import CompileError, build_from_compiled, compile_document
from codegen.export import (
    ExportError,
    export_onnx,
    export_python,
    export_torch_export,
    load_weights,
    save_weights,
)
from graph import ProblemError
from runtime.analysis import MEMORY_PATH, analyse
from runtime.commands.project import open_project
from runtime.report import print_error

SUFFIX = {"py": ".py", "safetensors": ".safetensors", "onnx": ".onnx", "pt2": ".pt2", "train": "_training"}


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    # Everything but the text builds the model, which runs the project's code.
    doc, trusted = open_project(project, args.trust, runs_code=args.to != "py", training=args.to == "train")
    # The same analysis as check/train. Writing code needs only the graph; building the model
    # (weights, ONNX, torch.export, train) also needs it to fit in memory.
    builds = args.to != "py"
    analysis = analyse(doc, project_dir=project.resolve().parent, trusted=trusted, training=builds)
    blocking = [p for p in analysis.errors if p.recipe_path in (None, MEMORY_PATH)]
    try:
        if blocking:
            raise CompileError(blocking)
        compiled = compile_document(doc, trusted=trusted, inference=analysis.inference, partial=not builds)
    except ProblemError as exc:
        return print_error(project, exc)
    out = Path(args.output) if args.output else project.with_name(project.stem + SUFFIX[args.to]) \
        if args.to == "train" else project.with_suffix(SUFFIX[args.to])
    try:
        if args.to == "train":
            from runtime.data import DatasetError
            from runtime.recipe import RecipeError
            from runtime.trainscript import ExportRefused, export_training

            try:
                script = export_training(doc, out, project.resolve().parent, trusted=trusted)
            except (ExportRefused, RecipeError, DatasetError) as exc:  # records: one line each, as `check` says
                return print_error(project, exc)
            print(f"wrote {script.parent}: train.py, model.py, hooks.py, metrics.py, recipe.json, data.safetensors "
                  f"(run: python {script}  or  torchrun --nproc_per_node=2 {script})")
            return 0
        if args.to == "py":
            export_python(compiled, out)
            if compiled.unknown_shapes:
                print(f"note: the project's code is not trusted, so it was not run; sizes after it are written "
                      f"as None ({', '.join(compiled.unknown_shapes)}); rerun with --trust for a file that runs",
                      file=sys.stderr)
        else:
            model = build_from_compiled(compiled)
            if args.weights:
                load_weights(model, args.weights)
            if args.to == "safetensors":
                save_weights(model, out)
            elif args.to == "onnx":
                export_onnx(doc, compiled, model, out)
            else:
                export_torch_export(doc, model, out)
    except (ExportError, OSError, ProblemError) as exc:
        return print_error(project, exc)
    print(f"wrote {out}")
    return 0
