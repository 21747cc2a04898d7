"""The in-memory fast path gives a DataLoader's batches without a DataLoader; streaming data keeps one."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from runtime.batches import IndexBatches, batch_taker, make_loader
from runtime.data.tensors import CharWindows, ImageArray
from runtime.events import BatchEnded
from runtime.recipe import LoaderSpec
from runtime.sampling import EpochSampler
from runtime.session import prepare, run
from tests.runtime.test_training import example

CPU = torch.device("cpu")


def datasets() -> dict[str, Dataset]:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (50, 1, 4, 4), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 3, (50,), generator=g)
    tensors = TensorDataset(torch.randn(50, 3, generator=g), torch.randint(0, 2, (50,), generator=g))
    return {
        "tensors": tensors,
        "images": ImageArray(images, labels),
        "flat images": ImageArray(images, labels, flat=True),
        "char windows": CharWindows(torch.randint(0, 20, (300,), generator=g), block_size=7, stride=3),
        "subset": Subset(tensors, list(range(40, 10, -2))),
    }


def loader_batches(loader) -> list[tuple[torch.Tensor, ...]]:
    return [tuple(batch) for batch in loader]


@pytest.mark.parametrize("name", list(datasets()))
@pytest.mark.parametrize("shuffle", [True, False])
def test_index_batches_equal_dataloader_batches(name, shuffle):
    ds = datasets()[name]
    take = batch_taker(ds)
    assert take is not None
    for epoch in (0, 3):
        a, b = EpochSampler(len(ds), seed=5, shuffle=shuffle), EpochSampler(len(ds), seed=5, shuffle=shuffle)
        a.set_epoch(epoch)
        b.set_epoch(epoch)
        ours = loader_batches(IndexBatches(take, len(ds), 8, a))
        theirs = loader_batches(DataLoader(ds, batch_size=8, sampler=b))
        assert len(ours) == len(theirs) == len(IndexBatches(take, len(ds), 8, a))
        for mine, ref in zip(ours, theirs, strict=True):
            assert len(mine) == len(ref)
            for x, y in zip(mine, ref, strict=True):
                assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y)


def test_resume_mid_epoch_skips_the_same_samples():
    ds = datasets()["tensors"]
    a, b = EpochSampler(len(ds), seed=1), EpochSampler(len(ds), seed=1)
    a.set_epoch(2, skip=16)
    b.set_epoch(2, skip=16)
    ours = IndexBatches(batch_taker(ds), len(ds), 8, a)
    assert len(ours) == 5  # 34 samples left
    theirs = DataLoader(ds, batch_size=8, sampler=b)
    for mine, ref in zip(ours, theirs, strict=True):
        assert torch.equal(mine[0], ref[0])


@pytest.mark.parametrize("whole", [False, True])
def test_a_resume_at_the_end_of_an_epoch_serves_no_batch(whole):
    ds = datasets()["tensors"]
    sampler = EpochSampler(len(ds), seed=1)
    sampler.set_epoch(2, skip=len(ds))  # every sample of the epoch already seen
    batches = IndexBatches(batch_taker(ds), len(ds), 8, sampler, whole=ds.tensors if whole else None)
    assert len(batches) == 0 and list(batches) == []


def test_batches_by_index_hold_the_same_tensors_whichever_way_they_are_taken():
    ds = datasets()["tensors"]
    a, b = EpochSampler(len(ds), seed=3), EpochSampler(len(ds), seed=3)
    a.set_epoch(1, skip=8)
    b.set_epoch(1, skip=8)
    inline = list(IndexBatches(batch_taker(ds), len(ds), 8, a, whole=ds.tensors))
    taken = list(IndexBatches(batch_taker(ds), len(ds), 8, b))
    assert len(inline) == len(taken) == 6
    for mine, ref in zip(inline, taken, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(mine, ref, strict=True))


def test_evaluation_batches_are_views_in_order():
    ds = datasets()["tensors"]
    batches = list(IndexBatches(batch_taker(ds), len(ds), 16))
    assert [len(b[0]) for b in batches] == [16, 16, 16, 2]
    assert batches[0][0].data_ptr() == ds.tensors[0].data_ptr()  # a slice, not a copy
    assert torch.equal(torch.cat([b[0] for b in batches]), ds.tensors[0])


class Streaming(Dataset):
    """Read one sample at a time (like files on disk): no batch method, so a DataLoader serves it."""

    def __len__(self) -> int:
        return 20

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.full((2,), float(i)), torch.tensor(i % 2)


def test_streaming_datasets_get_a_dataloader_with_the_recipe_settings():
    sampler = EpochSampler(20, seed=0)
    loader = make_loader(Streaming(), 4, LoaderSpec(num_workers=0, pin_memory=False), CPU, sampler)
    assert isinstance(loader, DataLoader) and loader.num_workers == 0 and not loader.pin_memory
    assert [int(x[0, 0]) for x, _ in loader] == [int(i) for i in list(sampler)[::4]]
    auto = make_loader(Streaming(), 4, LoaderSpec(), CPU, sampler)
    assert isinstance(auto, DataLoader) and not auto.pin_memory  # no CUDA here: nothing to pin for
    two = make_loader(Streaming(), 4, LoaderSpec(num_workers=2, prefetch_factor=3), CPU, sampler)
    assert two.num_workers == 2 and two.persistent_workers and two.prefetch_factor == 3
    forced = make_loader(datasets()["tensors"], 4, LoaderSpec(in_memory="off"), CPU, sampler)
    assert isinstance(forced, DataLoader)
    assert isinstance(make_loader(datasets()["tensors"], 4, LoaderSpec(), CPU, sampler), IndexBatches)


def test_recipe_loader_settings_are_validated():
    from runtime.recipe import recipe_problems

    assert recipe_problems({"loader": {"num_workers": -1}})
    assert recipe_problems({"loader": {"num_workers": "many"}})
    assert not recipe_problems({"loader": {"num_workers": 2, "pin_memory": True, "persistent_workers": False}})


def test_a_project_trains_on_the_fast_path_with_the_dataloader_curve():
    """Same seed, same batches, same dropout masks: the loss curve is the DataLoader path's, exactly."""
    curves = {}
    for mode in ("auto", "off"):
        events: list = []
        job = prepare(example(), overrides={"epochs": 2, "loader": {"in_memory": mode}}, emit=events.append)
        assert isinstance(job.trainer.train_loader, IndexBatches if mode == "auto" else DataLoader)
        run(job)
        curves[mode] = [e.loss for e in events if isinstance(e, BatchEnded)]
    assert len(curves["auto"]) == 2 * 23
    assert curves["auto"] == curves["off"]


def _notice_in_daemon(queue) -> None:
    from runtime.batches import loader_notice

    queue.put((loader_notice(LoaderSpec(num_workers=2)), loader_notice(LoaderSpec())))


def test_an_explicit_num_workers_the_app_process_cannot_honour_is_said_not_dropped():
    import multiprocessing

    from runtime.batches import loader_notice

    assert loader_notice(LoaderSpec(num_workers=2)) is None  # the CLI's process may start workers
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_notice_in_daemon, args=(queue,), daemon=True)
    child.start()
    explicit, auto = queue.get(timeout=60)
    child.join(timeout=60)
    assert "num_workers=2" in explicit and "torchcanvas train" in explicit
    assert auto is None  # "auto" quietly picks 0 there; nothing was asked for
