"""Offline datasets for training: built-ins, user files, and a preview for the GUI.

A dataset is described by a plain JSON dict saved in the project's recipe,
e.g. ``{"name": "digits", "val_fraction": 0.2, "seed": 0}`` or
``{"name": "csv", "path": "data.csv", "target": "label"}``. ``DATASETS`` lists
every name with its parameters; ``load_dataset`` turns a spec into a
:class:`DatasetBundle`. Nothing here downloads or touches the network
(``download_mnist`` only runs when called), and nothing imports Qt.
"""

from runtime.data.bundle import TASKS, DatasetBundle, Task
from runtime.data.catalog import DATASETS, DatasetInfo
from runtime.data.cifar import read_cifar10_batch
from runtime.data.errors import DatasetError
from runtime.data.idx import download_mnist, read_idx, write_idx
from runtime.data.loading import dataset_problems, load_dataset, validate_dataset_spec
from runtime.data.params import Param
from runtime.data.preview import preview

__all__ = [
    "DATASETS",
    "TASKS",
    "DatasetBundle",
    "DatasetError",
    "DatasetInfo",
    "Param",
    "Task",
    "dataset_problems",
    "download_mnist",
    "load_dataset",
    "preview",
    "read_cifar10_batch",
    "read_idx",
    "validate_dataset_spec",
    "write_idx",
]
