"""Offline datasets for training: built-ins, user files, and a preview for the GUI.

A dataset is described by a plain JSON dict saved in the project's recipe,
e.g. ``{"name": "digits", "val_fraction": 0.2, "seed": 0}`` or
``{"name": "csv", "path": "data.csv", "target": "label"}``. ``DATASETS`` lists
every name with its parameters; ``load_dataset`` turns a spec into a
:class:`DatasetBundle`. Nothing here downloads or touches the network
(``download_mnist`` only runs when called), and nothing imports Qt.
"""

import importlib
from typing import Any

#: name → module that defines it; imported on first use, so listing datasets
#: (the GUI's dataset box at start-up) does not import torch.
_WHERE = {
    "TASKS": "bundle", "DatasetBundle": "bundle", "Task": "bundle",
    "DATASETS": "catalog", "DatasetInfo": "catalog",
    "read_cifar10_batch": "cifar",
    "DatasetError": "errors",
    "download_mnist": "idx", "read_idx": "idx", "write_idx": "idx",
    "dataset_problems": "loading", "load_dataset": "loading", "validate_dataset_spec": "loading",
    "preview": "preview",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'runtime.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"runtime.data.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
