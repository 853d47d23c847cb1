"""``nnworkshop bench``: it runs, its JSON has the fields, the four contenders see the same digits.

A benchmark, not a test: nothing here asserts a speed. What is checked is that the harness
measures what it says (epoch counts, memory of the warm-up epoch), that tiling and the data
forms agree, and that a missing MNIST fails clearly.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nnworkshop.speed import race

from nnworkshop import bench

RESULT_FIELDS = {"name", "device", "seconds", "median_s", "best_s", "warmup_seconds", "traced_peak_mb", "rss_peak_mb",
                 "rss_growth_mb", "cuda_peak_mb", "data_mb", "speedup_vs_a", "over_floor", "over_numpy_floor"}


def test_python_dash_m_json_has_every_field(tmp_path):
    """`python -m nnworkshop.bench --json --synthetic` on a machine without MNIST: every field is there."""
    env = {**os.environ, "NNWORKSHOP_DATA": str(tmp_path / "no-mnist-here")}
    proc = subprocess.run(
        [sys.executable, "-m", "nnworkshop.bench", "--json", "--synthetic", "--samples", "200",
         "--epochs", "3", "--batch-size", "64", "--device", "cpu"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["device"] == "cpu" and out["synthetic"] is True and "synthetic" in out["data"]
    assert out["samples"] == 200 and out["batch_size"] == 64 and out["epochs_timed"] == 3
    assert set(out["results"]) == {"a", "b", "c", "d", "d_numpy"}
    for key, r in out["results"].items():
        assert RESULT_FIELDS <= set(r), key
        assert len(r["seconds"]) == 3 and all(s > 0 for s in r["seconds"])
        assert r["median_s"] == pytest.approx(float(np.median(r["seconds"])))
        assert r["best_s"] == min(r["seconds"])
        assert r["speedup_vs_a"] == pytest.approx(out["results"]["a"]["median_s"] / r["median_s"])
        assert r["over_floor"] == pytest.approx(r["median_s"] / out["results"]["d"]["median_s"])
    assert out["results"]["a"]["speedup_vs_a"] == pytest.approx(1.0)
    # the verdicts come from the rounds (speed.race), the rule notebooks 06 and 08 use
    assert out["results"]["a"]["verdict_vs_a"] is None
    for key in ("b", "c", "d", "d_numpy"):
        expected = race("(a)", out["results"]["a"]["seconds"], f"({key})", out["results"][key]["seconds"]).sentence()
        assert out["results"][key]["verdict_vs_a"] == expected
    assert "load_warning" in out
    # (a) keeps the 200 synthetic digits as uint8, the others one float32 copy of the 200 rows
    assert out["results"]["a"]["data_mb"] == pytest.approx((200 * 784 + 200 * 8) / 2**20)
    assert out["results"]["b"]["data_mb"] == pytest.approx(200 * (784 * 4 + 8) / 2**20)
    assert out["results"]["d"]["gflops_per_s"] > 0
    cost = out["import_cost"]
    assert cost["torch_torchvision_s"] > 0 and cost["nnworkshop_s"] >= 0
    assert cost["scratch_imports_torch"] is False
    assert "targets" not in out  # figures only: judging them is the reader's (and the note's) business


def test_prints_a_table_with_every_contender(capsys):
    code = bench.main(["--synthetic", "--samples", "130", "--epochs", "1", "--no-imports", "--device", "cpu"])
    out = capsys.readouterr().out
    assert code == 0
    for key in ("(a)", "(b)", "(c)", "(d)", "(d_numpy)"):
        assert key in out
    assert "synthetic" in out and "on cpu" in out and "issue" not in out
    assert "(b) against (a): (a) took" in out and "measured once each: too few to call" in out  # one epoch timed


def test_the_nnworkshop_command_passes_its_options_to_bench(capsys):
    import json as json_

    from nnworkshop.cli import main

    code = main(["bench", "--json", "--synthetic", "--samples", "70", "--epochs", "1", "--no-imports",
                 "--only", "c,d", "--device", "cpu"])
    out = json_.loads(capsys.readouterr().out)
    assert code == 0 and set(out["results"]) == {"c", "d"} and out["samples"] == 70


def test_without_mnist_and_without_synthetic_it_fails_with_the_fix(tmp_path, capsys):
    code = bench.main(["--root", str(tmp_path / "empty"), "--samples", "100", "--no-imports"])
    err = capsys.readouterr().err
    assert code == 1
    assert "MNIST not found" in err and str(tmp_path / "empty") in err and "--synthetic" in err


def test_unknown_contender_is_refused(capsys):
    assert bench.main(["--only", "a,z", "--synthetic"]) == 2
    assert "unknown --only z" in capsys.readouterr().err


def test_tiling_keeps_the_same_digits_in_every_form(synthetic_mnist_root):
    data = bench.load_data(samples=1500, root=synthetic_mnist_root)  # 600 real digits -> 2.5x
    assert data.tiled and data.n_real == 600 and data.samples == 1500
    assert "tiled 2.5x" in data.note and "1,500" in data.note
    assert len(data.dataset) == len(data.X) == len(data.y) == len(data.X_np) == 1500
    np.testing.assert_array_equal(data.X_np[600:1200], data.X_np[:600])
    np.testing.assert_array_equal(data.y_np[1200:], data.y_np[:300])
    for i in (0, 599, 600, 1499):  # (a)'s per-sample transform gives the preloaded rows of (b)/(c)
        image, label = data.dataset[i]
        np.testing.assert_allclose(image.numpy().reshape(-1), data.X_np[i], rtol=0, atol=1e-6)
        assert label == data.y_np[i]


def test_fewer_samples_take_the_first_digits(synthetic_mnist_root):
    data = bench.load_data(samples=100, root=synthetic_mnist_root)
    full = bench.load_data(samples=600, root=synthetic_mnist_root)
    assert not data.tiled and "first 100 of the 600" in data.note and "all 600" in full.note
    np.testing.assert_array_equal(data.X_np, full.X_np[:100])


def test_time_epochs_counts_warmup_apart_and_traces_its_memory():
    calls = []

    def run_epoch(i):
        calls.append(i)
        if i == 0:
            block = np.ones(4 * 2**20 // 8)  # 4 MiB, only in the warm-up epoch
            return float(block.sum())
        return 0.0

    timing = bench.time_epochs(run_epoch, epochs=3, warmup=1)
    assert calls == [0, 1, 2, 3]
    assert len(timing.seconds) == 3 and timing.median == sorted(timing.seconds)[1]
    assert timing.best == min(timing.seconds)
    assert timing.traced_peak_mb >= 4.0
    assert timing.rss_peak_mb > 0 and timing.cuda_peak_mb is None


def test_interleaved_rounds_run_every_contender_in_turn():
    calls = []
    runners = {k: (lambda i, k=k: calls.append((k, i))) for k in ("a", "b")}
    timings = bench.time_interleaved(runners, 2, {"a": "cpu", "b": "cpu"})
    assert calls == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert [len(t.seconds) for t in timings.values()] == [2, 2]
    assert all(t.traced_peak_mb is not None for t in timings.values())  # measured in each warm-up


def test_timed_returns_the_result_and_calls_sync_around_it():
    events = []
    result, seconds = bench.timed(lambda x: events.append("run") or x * 2, 21, sync=lambda: events.append("sync"))
    assert result == 42 and seconds >= 0
    assert events == ["sync", "run", "sync"]


def test_gemm_flops_counts_forward_dw_and_upper_dx():
    # sizes 3-2-1: forward 2*(3*2 + 2*1) = 16, dW the same 16, dX of layer 2 only: 2*2*1 = 4
    assert bench.gemm_flops(10, sizes=(3, 2, 1)) == 10 * 36


def test_gemm_floor_runners_compute_the_epochs_products(synthetic_mnist_root):
    data = bench.load_data(samples=130, root=synthetic_mnist_root)  # 2 batches of 64 and one of 2
    for runner in (bench.gemm_floor_numpy_runner(data.X_np, 64), bench.gemm_floor_torch_runner(data.X, 64, "cpu")):
        assert runner(0) is None  # runs every batch size (64 and the last 2) without a shape error


def test_sync_for_cpu_does_nothing_and_cuda_waits_on_the_device():
    assert bench.sync_for("cpu")() is None
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        bench.sync_for("cuda")()  # pragma: no cover - GPU machines only


def test_set_threads_sets_torch_and_numpy_blas_and_refuses_nonsense():
    import torch

    before_torch, before_blas = torch.get_num_threads(), bench.numpy_blas_threads()
    try:
        info = bench.set_threads(1)
        assert torch.get_num_threads() == 1 and info["torch_threads"] == 1
        assert info["numpy_blas_threads"] in (1, None)  # None: a NumPy whose BLAS cannot be asked
    finally:
        torch.set_num_threads(before_torch)
        if before_blas:
            for fn in bench._openblas_calls("set"):
                fn(before_blas)
    with pytest.raises(ValueError, match="threads must be a whole number >= 1, got 0"):
        bench.set_threads(0)
