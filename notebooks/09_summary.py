# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · Summary, and where to go from here
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/09_summary.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F09_summary.ipynb)
# <!-- /launch -->
#
# **You will find here** what the course covered, the exercises that check you can write the pieces yourself,
# and where to go next.
#
# ## What you did
#
# | notebook | what you learned |
# |---|---|
# | 00 setup | versions, the device (cuda > mps > cpu) and why, where MNIST comes from, seeds |
# | 01 NumPy from scratch | sigmoid, softmax, cross-entropy, forward, backward, the update loop; XOR to 100 %; gradient checking; the same maths as layers |
# | 02 autograd | a reverse-mode engine in NumPy: every operation records its inputs and its backward, `backward()` walks the graph in reverse topological order; broadcasting; checked against finite differences and `torch.autograd`; what `requires_grad`, `backward()`, `zero_grad()` and `no_grad()` do |
# | 03 MNIST | torchvision datasets, normalisation, what the digits look like, class balance |
# | 04 PyTorch MLP | `nn.Module`, the train / test functions, curves, predictions with probabilities, the confusion matrix |
# | 05 experiments | layers and width, activations, learning rate and optimizer, batch size, dropout and L2; the dashboard |
# | 06 NumPy vs PyTorch | a fair comparison: same digits, weights, optimizer and batches; gradients equal at step 0; measured speed, called only when the noise allows |
# | 07 convolutions | a convolution by hand (loops, then im2col, forward and backward), max-pooling, a small CNN; the same with `nn.Conv2d`, measured against the MLP on the same digits |
# | 08 distributed | data-parallel training (DDP) gives the same weights as one process; when two processes pay off and when they do not, measured; checkpoints that resume exactly; TensorBoard |
#
# **Key ideas**
#
# - A network is a chain of simple functions; backpropagation is the chain rule applied to that chain, layer by
#   layer, in reverse. NumPy and PyTorch compute *the same numbers* (notebook 06 shows the gradients agree).
# - Where training starts matters: tiny initial weights put XOR on a saddle point it never leaves.
# - Automatic differentiation is bookkeeping, not magic: record each operation with its backward, then walk the
#   record in reverse (notebook 02 wrote the engine and checked it against PyTorch to the last digits).
# - Check gradients against finite differences: a loss that goes down does not prove a backward pass right.
# - A framework gives you automatic differentiation, GPUs and ready-made layers. It does not guarantee speed:
#   for a small network on a CPU, the hand-written NumPy version can be as fast or faster, so measure
#   (notebook 06 printed what *your* machine did).
# - Compare like with like: one change at a time, same data, same seed, same budget.
#
# The course began as a shorter workshop; what it got wrong, and what each notebook does instead, is an appendix for
# instructors: `docs/original_workshop.md`.

# %%
# Set-up (the same in every notebook): installs the course where it is missing, e.g. on Colab.
import importlib.util, sys  # noqa: E401
COURSE = "git+https://github.com/nnworkshop/nnworkshop@main"
if importlib.util.find_spec("nnworkshop") is None:
    import subprocess
    print(f"nnworkshop is not installed here: pip install {COURSE} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], capture_output=True, text=True)
    if pip.returncode != 0:  # say what failed and what to do, then stop the notebook here
        class CourseNotInstalled(Exception):
            _render_traceback_ = lambda self: [str(self)]  # noqa: E731 - Jupyter shows this message alone
        why = (pip.stderr.strip().splitlines() or ["pip gave no reason"])[-1][:300]
        raise CourseNotInstalled(
            f"The course could not be installed: {why}\n"
            "Check the internet connection (pip fetches the course from GitHub with git), then run this cell again."
            f"\nOr install it by hand: pip install {COURSE}\nOr, on your own machine: clone the course and run `make lab`.")
    importlib.invalidate_caches()
    print("nnworkshop installed.")
if "google.colab" in sys.modules:
    print("Colab: Runtime > Change runtime type > GPU makes training use CUDA.")
    print("MNIST (12 MB) downloads on first use.")

# %% [markdown]
# ## Exercises
#
# The `exercises/` folder, beside `notebooks/` (in JupyterLab: the file browser's `/`, then `exercises`), has
# notebooks where *you* write the pieces: activations and their derivatives,
# softmax and cross-entropy, a linear layer's forward and backward with a gradient check, a training step,
# dropout and L2, a digit classifier of your own, the backward passes of the autograd engine, and a convolution's
# forward and backward. Each has public checks you can run as often as
# you like (`from nnworkshop.grading import check; check("q1")`); your instructor's grader runs hidden checks
# on inputs you have not seen.

# %%
from importlib.resources import files

from nnworkshop.grading import QUESTIONS

exercises = sorted(p.name for p in files("nnworkshop.course_exercises").iterdir() if p.name.endswith(".ipynb"))
print("exercise notebooks:", ", ".join(exercises))
for question, checks in QUESTIONS.items():
    print(f"{question}: {checks[0].title} ... ({len(checks)} public check{'s' if len(checks) > 1 else ''})")

# %% [markdown]
# ## What to try next
#
# - Do the exercises in order; `check("q1")` after each function.
# - Add a third hidden layer to the NumPy network of notebook 01 using `nnworkshop.scratch` layers, train it
#   on MNIST with `scratch.fit`, and compare with notebook 06's numbers.
# - Grow notebook 07's CNN (more filters, a second convolution) in notebook 04's training loop: the same
#   `train_one_epoch` / `test` functions work unchanged. How far above the MLP's validation accuracy can you get?
# - Add an operation to notebook 02's engine (`abs`, `max` along an axis) and check it against `torch.autograd`.
# - On a machine with a GPU, rerun notebook 06: how does the speed-up change with the batch size?
