"""Runs `python train.py` in many export folders, paying the torch import once.

Imports what a train.py imports, then forks one child per folder (two at a
time): each child changes into its folder and runs train.py as `__main__`,
exactly as `python train.py ARGS` would, with stdout/stderr in run.out / run.err.
Each argument is a folder, or a JSON list [folder, arg, ...] for a run with
command-line arguments. Prints one JSON object: folder → exit status.
"""

import json
import os
import runpy
import sys
import traceback

import safetensors.torch  # noqa: F401 - imported once, before forking
import torch
import torch.distributed  # noqa: F401
import torch.nn.parallel  # noqa: F401


def child(folder: str, args: list[str]) -> None:
    os.chdir(folder)
    sys.path.insert(0, folder)
    sys.argv = ["train.py", *args]
    out = os.open("run.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open("run.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    code = 0
    try:
        runpy.run_path("train.py", run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported through run.err like an uncaught exception
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(folders: list[str]) -> None:
    torch.set_num_threads(1)
    status: dict[str, int] = {}
    running: dict[int, str] = {}
    queue = [json.loads(f) if f.startswith("[") else [f] for f in folders]
    while queue or running:
        while queue and len(running) < 2:
            folder, *args = queue.pop(0)
            pid = os.fork()
            if pid == 0:
                child(folder, args)
            running[pid] = folder
        pid, code = os.wait()
        status[running.pop(pid)] = os.waitstatus_to_exitcode(code)
    print(json.dumps(status))


if __name__ == "__main__":
    main(sys.argv[1:])
