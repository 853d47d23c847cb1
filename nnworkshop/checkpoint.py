"""Checkpoints that resume exactly: model, optimizer, epoch, history and random state in one file.

``training.fit(..., checkpoint=PATH)`` writes one after every epoch and
``fit(..., resume=PATH)`` continues from it, so 3 epochs and then 2 more give
the weights and history of 5 epochs in one go (on CPU, bit for bit).

A checkpoint is written atomically: to a temporary file in the same folder,
flushed to disk, then renamed over the old one with ``os.replace``. A crash
while writing leaves the previous checkpoint untouched. Files are read with
``torch.load(weights_only=True)``, so a checkpoint cannot run code when loaded.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from .history import History

__all__ = ["CheckpointError", "Checkpointing", "save", "read", "load_model"]

FORMAT = "nnworkshop-checkpoint"
VERSION = 1
# Settings that must match for a resumed run to continue the same run (epochs may grow).
SAME_RUN = ("seed", "batch_size", "shuffle", "n_train", "n_test", "optimizer", "lr", "momentum",
            "weight_decay", "loss_fn", "model")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: damaged, not a checkpoint, or from another model or run."""


def save(path, *, epoch: int, model, optimizer, history: History, seed, device=None) -> Path:
    """Write a checkpoint to ``path`` atomically; return the path.

    Holds the model's and optimizer's ``state_dict``, the finished ``epoch``, the
    ``history`` so far, the run's ``seed`` and torch's random state (CPU, and the
    current CUDA device's when ``device`` is CUDA). Call it inside the run's own
    random context so the state saved is the run's.
    """
    path = Path(path)
    rng = {"cpu": torch.get_rng_state()}
    if device is not None and torch.device(device).type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(torch.device(device))
    state = {
        "format": FORMAT, "version": VERSION, "epoch": int(epoch), "seed": seed,
        "model_class": type(model).__name__, "model": model.state_dict(),
        "optimizer": optimizer.state_dict(), "history": history.to_dict(), "rng": rng,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path) -> dict:
    """The checkpoint at ``path`` as a dict (tensors on the CPU); a clear error if it is missing or damaged."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}. Check the path, or start a new run without resume= "
            "(pass checkpoint=PATH to write one)."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a truncated or foreign file
        raise CheckpointError(
            f"cannot read the checkpoint {path}: it is damaged or not a checkpoint "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'no detail'}). "
            "Resume from an earlier copy, or delete it and start a new run without resume=."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a torch file but not an nnworkshop checkpoint (written by training.fit(checkpoint=...)). "
            "For bare weights use model.load_state_dict(torch.load(path))."
        )
    return state


def load_model(state: dict, model, path="the checkpoint") -> None:
    """Load the checkpoint's weights into ``model``; a clear error when the architecture differs."""
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in state["model"].items()}
    if ours != theirs:
        diff = sorted(set(ours.items()) ^ set(theirs.items()))[:4]
        raise CheckpointError(
            f"{path} was written by a {state.get('model_class', '?')} whose weights do not fit this "
            f"{type(model).__name__} (first differences, name and shape: {diff}). Build the same model as "
            "the run that wrote it (same class and layer sizes), or start a new run without resume=."
        )
    model.load_state_dict(state["model"])


class Checkpointing:
    """What ``training.fit`` does with ``checkpoint=`` and ``resume=``, kept out of the loop itself.

    ``resume``: a path to continue from (or None); ``checkpoint``: where to write after
    every epoch (or None). ``epochs_done`` is how many epochs the resumed run had finished.
    """

    def __init__(self, checkpoint=None, resume=None):
        self.path = None if checkpoint is None else Path(checkpoint)
        self.resume_path = None if resume is None else Path(resume)
        self.state = None if resume is None else read(resume)
        self.epochs_done = 0 if self.state is None else int(self.state["epoch"])

    def seed(self, seed):
        """The run's seed: the resumed run's, else ``seed``; a fresh one when None and checkpointing
        (a run that can be resumed must be able to redraw its batch order)."""
        if self.state is not None:
            return self.state["seed"] if seed is None else seed
        if seed is None and self.path is not None:
            return int(np.random.SeedSequence().entropy % 2**31)
        return seed

    @property
    def rng_state(self):
        """torch's saved random state to restore at the start of the resumed epochs (None: fresh run)."""
        return None if self.state is None else self.state["rng"]

    def restore(self, model, optimizer, history: History) -> None:
        """Load weights, optimizer state and the finished epochs' history; refuse a different run."""
        if self.state is None:
            return
        where = self.resume_path
        if self.epochs_done > history.config["epochs"]:
            raise CheckpointError(
                f"{where} has already trained {self.epochs_done} epochs, more than epochs={history.config['epochs']}. "
                f"epochs= is the total: pass epochs >= {self.epochs_done} to continue that run."
            )
        saved = self.state["history"].get("config", {})
        changed = [f"{k}: {saved.get(k)!r} then, {history.config.get(k)!r} now"
                   for k in SAME_RUN if k in saved and saved.get(k) != history.config.get(k)]
        if changed:
            raise CheckpointError(
                f"{where} comes from a run with other settings ({'; '.join(changed)}). Pass the same "
                "settings to continue that run, or start a new run without resume=."
            )
        load_model(self.state, model, where)
        optimizer.load_state_dict(self.state["optimizer"])
        for key in ("train_loss", "train_acc", "test_loss", "test_acc", "seconds"):
            getattr(history, key)[:] = self.state["history"][key]

    def set_rng(self, device) -> None:
        """Restore the saved torch random state (call inside the run's private random context)."""
        rng = self.rng_state
        if rng is None:
            return
        torch.set_rng_state(rng["cpu"])
        if "cuda" in rng and torch.device(device).type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], torch.device(device))

    def after_epoch(self, epoch: int, model, optimizer, history: History, seed, device) -> None:
        """Write the checkpoint for the finished ``epoch`` (no-op without ``checkpoint=``)."""
        if self.path is not None:
            save(self.path, epoch=epoch, model=model, optimizer=optimizer, history=history, seed=seed,
                 device=device)
