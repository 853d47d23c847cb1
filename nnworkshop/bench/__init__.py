"""``nnworkshop bench``: where the training time goes, measured on one machine in one run.

Four ways to spend one epoch on the same digits, timed by the same function:

- **(a) original**: the original workshop's loop as written: ``torchvision.datasets.MNIST`` with
  ``ToTensor()`` + ``Normalize`` applied to each digit as it is fetched, ``DataLoader(batch_size=64,
  shuffle=True)``, and its ``train()`` body (``loss.item()`` and ``.sum().item()`` every batch).
- **(b) torch**: ``nnworkshop.training.fit`` on the digits preloaded once as a float32 tensor.
- **(c) numpy**: ``nnworkshop.scratch.fit``, the network written by hand, float32.
- **(d) GEMM floor**: only the epoch's matrix products (3 forward, 5 backward: dW of every layer and
  dX of the two upper layers), at the same batch size, into preallocated float32 buffers. No
  activation, loss, optimizer or data handling: no training loop can beat it with these matrix products.

Each runs one warm-up epoch (not timed; memory is measured there), then ``--epochs`` timed epochs
in rounds (a, b, c, d, a, b, c, d, ...), so that a busy spell on a shared machine slows all of them
alike; the table shows the median. Absolute seconds vary between runs on shared machines: read the
ratios, which are measured in the same process seconds apart.

The clock (``nnworkshop.timing``) is the one ``nnworkshop.compare`` and notebook 06 use, so the learner's table
and this benchmark measure the same thing. ``contenders`` holds the four loops, ``machine`` the machine's facts
and the import cost, ``report`` the run, the table and the command line.
"""


from ..config import SIZES
from ..timing import DEFAULT_EPOCHS, Timing, sync_for, time_epochs, time_interleaved, timed
from .contenders import (CONTENDERS, DEFAULT_SAMPLES, LR, MOMENTUM, BenchData, gemm_flops, gemm_floor_numpy_runner,
                         gemm_floor_torch_runner, load_data, numpy_runner, original_runner, original_train, torch_runner)
from .machine import IMPORT_MODULES, _openblas_calls, import_cost, numpy_blas_threads, set_threads
from .report import DEFAULT_BATCH, build_parser, format_report, main, run_bench

__all__ = ["SIZES", "DEFAULT_EPOCHS", "Timing", "sync_for", "time_epochs", "time_interleaved", "timed", "CONTENDERS",
           "DEFAULT_SAMPLES", "LR", "MOMENTUM", "BenchData", "gemm_flops", "gemm_floor_numpy_runner",
           "gemm_floor_torch_runner", "load_data", "numpy_runner", "original_runner", "original_train", "torch_runner",
           "IMPORT_MODULES", "_openblas_calls", "import_cost", "numpy_blas_threads", "set_threads", "DEFAULT_BATCH",
           "build_parser", "format_report", "main", "run_bench"]
