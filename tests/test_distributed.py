"""nnworkshop.distributed: DDP on gloo equals single-process training; bad set-ups are clear errors.

Spawned runs use gloo on 127.0.0.1, a free port, and a timeout so a hung run fails instead of hanging.
"""

import os
import socket
import subprocess
import sys

import pytest
import torch

from nnworkshop import checkpoint, data, distributed
from nnworkshop.batches import batch_slices
from nnworkshop.training import fit

SIZES = (784, 32, 16, 10)
KW = dict(epochs=2, lr=0.05, momentum=0.9, seed=3)


@pytest.fixture(scope="module")
def train(synthetic_mnist_root):
    return data.mnist_tensors(train=True, root=synthetic_mnist_root)


def _max_diff(state, model):
    return max((model.state_dict()[k] - v).abs().max().item() for k, v in state.items())


@pytest.mark.parametrize("n, batch_size, world_size", [(600, 64, 2), (600, 64, 3), (10, 4, 2), (7, 7, 7)])
def test_shards_cover_every_global_batch_once(n, batch_size, world_size):
    for s, e in batch_slices(n, batch_size):
        parts = [distributed.shard(s, e, r, world_size) for r in range(world_size)]
        assert parts[0][0] == s and parts[-1][1] == e
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))  # contiguous, no gap, no overlap
        sizes = [b - a for a, b in parts]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_processes_equal_one_process_on_the_same_global_batches(train, tmp_path):
    # 590 samples in batches of 64 over 3 processes: shards of 22/21/21 and, in the last batch, 5/5/4,
    # so the loss scaling is checked with unequal shards too.
    X, y = train[0][:590], train[1][:590]
    result = distributed.train(SIZES, (X, y), world_size=3, batch_size=64, backend="gloo", timeout=240,
                               checkpoint=tmp_path / "ddp.pt", **KW)
    ref = distributed.make_model(SIZES, seed=KW["seed"])
    h = fit(ref, (X, y), epochs=2, lr=0.05, momentum=0.9, batch_size=64, seed=3, progress=False, device="cpu")
    diff = _max_diff(result.state_dict, ref)
    print(f"\nlargest |DDP x3 - single process| weight difference after 2 epochs: {diff:.2e}")
    assert diff < 1e-5
    assert result.history.train_loss == pytest.approx(h.train_loss, rel=1e-5)
    # float32 sums over shards of 22/21/21 rows and a gloo all-reduce round differently from one batch of 64 on any
    # BLAS: a near-tie may flip one digit's argmax, so accuracy agrees to within one digit, not to the last bit
    assert result.history.train_acc == pytest.approx(h.train_acc, abs=100 / len(X) + 1e-9)
    assert result.world_size == 3 and result.backend == "gloo"
    assert [(r, b - a) for r, a, b in result.shards] == [(0, 22), (1, 21), (2, 21)]
    # the weights really moved: equality is not the untrained model twice
    assert _max_diff(result.state_dict, distributed.make_model(SIZES, seed=3)) > 1e-2
    saved = checkpoint.read(tmp_path / "ddp.pt")  # rank 0 wrote it, after the last epoch
    assert saved["epoch"] == 2 and _max_diff(saved["model"], ref) < 1e-5


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_torchrun_runs_the_same_worker(synthetic_mnist_root, train, tmp_path):
    port = distributed.free_port()
    out = tmp_path / "result.pt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1",
           "--master_addr=127.0.0.1", f"--master_port={port}", "-m", "nnworkshop.distributed",
           "--sizes", ",".join(map(str, SIZES)), "--epochs", "2", "--lr", "0.05", "--momentum", "0.9",
           "--seed", "3", "--n-train", "600", "--root", str(synthetic_mnist_root), "--backend", "gloo",
           "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes (gloo)" in done.stdout
    ref = distributed.make_model(SIZES, seed=3)
    fit(ref, train, epochs=2, lr=0.05, momentum=0.9, batch_size=64, seed=3, progress=False, device="cpu")
    assert _max_diff(torch.load(out, weights_only=True)["model"], ref) < 1e-5


def test_more_processes_than_samples_in_a_batch_is_a_clear_error(train):
    X, y = train[0][:70], train[1][:70]  # batches of 64 and 6
    with pytest.raises(ValueError, match=r"world_size=8 .* only 6 samples.*Use world_size <= 6"):
        distributed.train(SIZES, (X, y), world_size=8, batch_size=64)
    with pytest.raises(ValueError, match="whole number >= 1"):
        distributed.train(SIZES, (X, y), world_size=0)


def test_nccl_without_cuda_is_a_clear_error(train, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"backend='nccl' needs CUDA GPUs.*backend='gloo'"):
        distributed.train(SIZES, train, backend="nccl")
    assert distributed.pick_backend(None, 2) == "gloo"
    with pytest.raises(ValueError, match="backend"):
        distributed.pick_backend("mpi-please", 2)


def test_a_port_in_use_is_a_clear_error(train):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match=rf"port {port} on 127.0.0.1 is in use.*port=None"):
            distributed.train(SIZES, train, port=port)
    assert distributed.check_port(None) > 0


def test_a_hung_run_is_stopped_by_the_timeout(train):
    with pytest.raises(TimeoutError, match="did not finish within .* Raise timeout="):
        distributed.train(SIZES, train, world_size=2, epochs=50, backend="gloo", timeout=0.5)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_diverging_run_says_so(train):
    diverged = r"process \d failed: .*DivergenceError: training diverged: the loss became (nan|inf).*Lower the learning"
    with pytest.raises(RuntimeError, match=diverged):
        distributed.train(SIZES, train, world_size=2, epochs=1, lr=1e6, momentum=0.9, backend="gloo", timeout=240)
