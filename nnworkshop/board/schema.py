"""A run on the wire: the JSON a dashboard posts, and the checks it must pass before it is stored.

Every field is checked for type, range and finiteness; anything unknown is refused. A refusal is a
``ValueError`` whose text names the field and what it accepts (the service answers it as a 4xx).
"""

from __future__ import annotations

import math
import re

from .. import choices

MAX_BODY = 256 * 1024  # bytes: a run with 1000 epochs of curves is about 80 kB
MAX_EPOCHS = 1000
OPTIMIZERS = tuple(choices.OPTIMIZERS)  # the dashboard's choices
ACTIVATIONS = tuple(choices.ACTIVATIONS)
STATUSES = ("done", "stopped", "diverged")
CURVES = ("train_loss", "train_acc", "val_loss", "val_acc")
MAX_DEPTH = 6  # a run nests 3 levels (run -> curves -> list); anything deeper is refused before it is read
# The names older dashboards send (the held-out accuracy was called test_acc, but it was always the dashboard's
# validation split). Accepted from old clients for one release, stored under the new names; remove after it.
OLD_NAMES = {"test_acc": "val_acc"}
OLD_CURVES = {"test_loss": "val_loss", "test_acc": "val_acc"}
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,19}$")

# name -> (type, low, high); the hyperparameters a dashboard sends
HYPERPARAMETERS = {
    "hidden_layers": (int, 0, 16),
    "activation": (str, None, None),
    "optimizer": (str, None, None),
    "lr": (float, 1e-8, 10.0),
    "momentum": (float, 0.0, 0.999),
    "batch_size": (int, 1, 65536),
    "epochs": (int, 1, MAX_EPOCHS),
    "dropout": (float, 0.0, 0.99),
    "weight_decay": (float, 0.0, 1.0),
    "train_size": (int, 1, 10_000_000),
    "normalize": (bool, None, None),
    "seed": (int, 0, 2**32 - 1),
    "inputs": (int, 1, 100_000),
}
REQUIRED_TOP = ("run_id", "name", "hyperparameters", "curves", "val_acc", "train_acc", "seconds", "device", "status")


def _number(value, where: str, kind, low, high):
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = f" {value!r:.40}" if isinstance(value, (str, type(None))) else ""  # never the repr of a container
        raise ValueError(f"{where} must be a number, got {type(value).__name__}{shown}.")
    if kind is int and (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{where} must be a whole number, got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}.")
    if not (low <= value <= high):
        raise ValueError(f"{where}={value!r} is outside [{low:g}, {high:g}].")
    return int(value) if kind is int else float(value)


def _text(value, where: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text, got {type(value).__name__}.")
    value = " ".join(value.split())  # no newlines or runs of spaces on a projector
    if not value or len(value) > max_len or not value.isprintable():
        raise ValueError(f"{where} must be 1 to {max_len} printable characters, got {value[:60]!r}.")
    return value


def _keys(obj, where: str, allowed, required=()) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(obj).__name__}.")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}.")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{where} is missing {', '.join(map(repr, missing))}.")


def parameter_count(inputs: int, widths, outputs: int = 10) -> int:
    """Weights and biases of a fully connected network ``inputs -> widths... -> outputs``."""
    sizes = [int(inputs), *map(int, widths), int(outputs)]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def depth(obj, limit: int = MAX_DEPTH) -> int:
    """How deeply ``obj`` (parsed JSON) nests, counted without recursion and without looking past ``limit + 1``."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= limit:
                todo.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _renamed(body) -> dict:
    """``body`` with the old names (``test_acc``, curves ``test_loss``/``test_acc``) under the new ones."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    for old, new in OLD_NAMES.items():
        if old in body and new not in body:
            body[new] = body.pop(old)
    curves = body.get("curves")
    if isinstance(curves, dict):
        curves = dict(curves)
        for old, new in OLD_CURVES.items():
            if old in curves and new not in curves:
                curves[new] = curves.pop(old)
        body["curves"] = curves
    return body


def clean_run(body) -> dict:
    """The run ``body`` (parsed JSON) checked and normalised, or ``ValueError`` naming what is wrong.

    Adds ``parameters`` (computed here from the layer sizes, never trusted from the client). ``val_acc`` is the
    dashboard's validation accuracy (the old name ``test_acc`` is still accepted, see ``OLD_NAMES``).
    """
    if depth(body) > MAX_DEPTH:
        raise ValueError(f"the run nests deeper than {MAX_DEPTH} levels; a run is an object of fields, lists and numbers.")
    body = _renamed(body)
    _keys(body, "the run", REQUIRED_TOP, REQUIRED_TOP)
    run_id = body["run_id"]
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ValueError("run_id must be 8 to 64 letters, digits, '-' or '_' (the dashboard makes one per run).")
    hp_in = body["hyperparameters"]
    _keys(hp_in, "hyperparameters", (*HYPERPARAMETERS, "widths"), ("hidden_layers", "widths", "optimizer", "lr",
                                                                    "batch_size", "epochs", "activation"))
    hp = {}
    for name, (kind, low, high) in HYPERPARAMETERS.items():
        if name in hp_in and kind is not str:
            hp[name] = _number(hp_in[name], f"hyperparameters.{name}", kind, low, high)
    for name in ("activation", "optimizer"):
        value = hp_in[name]
        if not isinstance(value, str) or not _WORD.match(value):
            raise ValueError(f"hyperparameters.{name} must be a short lower-case name, got {value!r:.40}.")
        hp[name] = value
    for name, valid in (("optimizer", OPTIMIZERS), ("activation", ACTIVATIONS)):
        if hp[name] not in valid:
            raise ValueError(f"hyperparameters.{name} must be one of {', '.join(valid)}, got {hp[name]!r}.")
    widths = hp_in["widths"]
    if not isinstance(widths, list) or len(widths) != hp["hidden_layers"]:
        raise ValueError(f"hyperparameters.widths must be a list of {hp['hidden_layers']} layer widths (one per hidden layer).")
    hp["widths"] = [_number(w, f"hyperparameters.widths[{i}]", int, 1, 8192) for i, w in enumerate(widths)]
    hp.setdefault("inputs", 784)

    curves_in = body["curves"]
    _keys(curves_in, "curves", CURVES, ("train_loss", "train_acc"))
    curves = {}
    for name in CURVES:
        values = curves_in.get(name, [])
        if not isinstance(values, list) or len(values) > MAX_EPOCHS:
            raise ValueError(f"curves.{name} must be a list of at most {MAX_EPOCHS} numbers (one per epoch).")
        high = 100.0 if name.endswith("acc") else 1e6
        curves[name] = [_number(v, f"curves.{name}[{i}]", float, 0.0, high) for i, v in enumerate(values)]
    if len(curves["train_loss"]) > hp["epochs"]:
        raise ValueError(f"curves have {len(curves['train_loss'])} epochs but the run asked for {hp['epochs']}.")

    status = body["status"]
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r:.40}.")
    return {
        "run_id": run_id,
        "name": _text(body["name"], "name", 40),
        "hyperparameters": hp,
        "parameters": parameter_count(hp["inputs"], hp["widths"]),
        "curves": curves,
        "epochs_run": len(curves["train_loss"]),
        "val_acc": _number(body["val_acc"], "val_acc", float, 0.0, 100.0),  # the dashboard's validation accuracy
        "train_acc": _number(body["train_acc"], "train_acc", float, 0.0, 100.0),
        "seconds": _number(body["seconds"], "seconds", float, 0.0, 1e7),
        "device": _text(body["device"], "device", 40),
        "status": status,
    }
