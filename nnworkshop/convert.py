"""Anything data-like as ``(X, y)``: tensors for training (``to_tensors``), NumPy arrays for plots and the
head-to-head (``to_arrays``), the digits as stored for showing them (``raw_arrays``).

Accepted everywhere: a pair ``(X, y)`` of tensors or arrays, a torchvision MNIST dataset (its decoded digits are
transformed in one vectorised step when the transform is the course's own), or any dataset of ``(x, y)`` items.
The checks are the same on both paths: inputs must be floats, labels whole numbers, one label per input.

torch is imported inside the functions that need it, not at the top: ``plots`` converts ``(X, y)`` arrays
through this module and must stay importable, and cheap, where only NumPy is in use.
"""

from __future__ import annotations

import sys

import numpy as np


def as_numpy(a) -> np.ndarray:
    """A NumPy array from an array, a list or a (CPU or GPU) tensor (detached; no copy where none is needed)."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _is_torch_data(obj) -> bool:
    """True for torch tensors and datasets (never imports torch itself: without torch, nothing is torch's)."""
    if "torch" not in sys.modules:
        return False
    import torch

    return isinstance(obj, (torch.Tensor, torch.utils.data.Dataset))


def _is_pair(data) -> bool:
    return isinstance(data, (tuple, list)) and len(data) == 2


def _check_pair(X: np.ndarray, y: np.ndarray, what: str) -> None:
    """The rules ``to_tensors`` applies, for NumPy arrays."""
    if not np.issubdtype(X.dtype, np.floating):
        raise TypeError(f"{what}: inputs X have dtype {X.dtype}, but the network needs floating-point inputs. "
                        "Scale pixels first, e.g. X / 255, or load them with nnworkshop.data.mnist_arrays().")
    if np.issubdtype(y.dtype, np.floating) or y.dtype == np.bool_:
        raise TypeError(f"{what}: labels y have dtype {y.dtype}; they must be whole-number class indices (0-9), "
                        "e.g. y.astype(int).")
    if len(X) != len(y):
        raise ValueError(f"{what}: X has {len(X)} samples but y has {len(y)} labels; they must match one to one.")


def to_arrays(data, flatten: bool = False, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` NumPy arrays as a model sees them: X float32 ``(N, ...)`` (``(N, features)`` with ``flatten``),
    y int64 ``(N,)``; from a ``(X, y)`` pair of arrays or tensors (any device) or a torch dataset.

    ``what`` names the data in error messages, e.g. "training data".
    """
    if _is_pair(data):
        X, y = as_numpy(data[0]), as_numpy(data[1]).reshape(-1)
    elif _is_torch_data(data):
        X, y = (t.numpy() for t in to_tensors(data, device="cpu"))
    else:
        raise TypeError(f"{what} must be (X, y) arrays or tensors, or a torch dataset; got {type(data).__name__}.")
    _check_pair(X, y, what)
    if flatten:
        X = X.reshape(len(X), -1)
    return np.ascontiguousarray(X, dtype=np.float32), y.astype(np.int64, copy=False)


def raw_arrays(data) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` as stored, uint8 pixels allowed, for showing digits: a pair as given, a torchvision dataset's
    ``.data`` / ``.targets``, else ``to_arrays(data)``."""
    if _is_pair(data):
        return as_numpy(data[0]), as_numpy(data[1])
    if hasattr(data, "data") and hasattr(data, "targets"):  # torchvision: the stored images themselves
        return as_numpy(data.data), as_numpy(data.targets)
    return to_arrays(data)


def to_tensors(data, device=None, dtype=None, progress: bool = False):
    """``(X, y)`` tensors on ``device`` from any supported form of a labelled dataset.

    Accepts a ``(X, y)`` pair of tensors or NumPy arrays, a ``TensorDataset``, a
    ``Subset``, a torchvision dataset, or any dataset of ``(x, label)`` items.
    torchvision MNIST with no transform, ``ToTensor()`` or ``ToTensor()`` + ``Normalize``
    is converted from ``.data`` in one go (the same numbers as the per-sample
    transforms); other datasets are stacked item by item once (a progress bar with
    ``progress=True``). X becomes ``dtype`` (default float32), y int64 class labels.
    """
    import torch

    X, y = _raw_tensors(data, progress)
    if not torch.is_floating_point(X):
        raise TypeError(
            f"inputs X have dtype {X.dtype}, but the network needs floating-point inputs. "
            "Scale pixels first, e.g. X = X.float() / 255, or load them with nnworkshop.data.mnist_tensors()."
        )
    if torch.is_floating_point(y) or y.dtype == torch.bool:
        raise TypeError(
            f"labels y have dtype {y.dtype}; they must be whole-number class indices (0-9), e.g. y.long()."
        )
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels; they must match one to one.")
    return X.to(device=device, dtype=dtype or torch.float32), y.to(device=device, dtype=torch.long)


def _as_tensor(a):
    """A tensor from a tensor or anything NumPy can read."""
    import torch

    return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))


def _raw_tensors(data, progress: bool):
    """(X, y) CPU-or-wherever tensors, not yet cast."""
    import torch
    from torch.utils.data import Subset, TensorDataset

    if isinstance(data, (tuple, list)) and len(data) == 2:
        return _as_tensor(data[0]), _as_tensor(data[1])
    if isinstance(data, TensorDataset):
        if len(data.tensors) != 2:
            raise ValueError(f"a TensorDataset for training needs exactly (X, y), got {len(data.tensors)} tensors.")
        return data.tensors[0], data.tensors[1]
    if isinstance(data, Subset):
        X, y = _raw_tensors(data.dataset, progress)
        idx = torch.as_tensor(np.asarray(data.indices), dtype=torch.long)
        return X[idx], y[idx]
    fast = _mnist_fast(data)
    if fast is not None:
        return fast
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return _stack_items(data, progress)
    raise TypeError(
        f"cannot use {type(data).__name__} as data; pass (X, y) tensors or arrays, a TensorDataset, "
        "or a torchvision dataset (e.g. nnworkshop.data.mnist(...))."
    )


def _mnist_fast(ds):
    """torchvision MNIST as tensors straight from ``.data``/``.targets``; None if its transform is unknown."""
    import torch

    try:
        from torchvision import transforms as T
        from torchvision.datasets import MNIST
    except ImportError:  # pragma: no cover - torchvision is a dependency
        return None
    if not isinstance(ds, MNIST) or getattr(ds, "target_transform", None) is not None:
        return None
    transform = ds.transform
    if transform is None:  # PIL images: use the workshop's ToTensor + Normalize
        from .mnist_files import MEAN, STD

        norms = [((MEAN,), (STD,))]
    else:
        steps = list(transform.transforms) if isinstance(transform, T.Compose) else [transform]
        if not steps or type(steps[0]) is not T.ToTensor or any(type(t) is not T.Normalize for t in steps[1:]):
            return None
        norms = [(t.mean, t.std) for t in steps[1:]]
    # Exactly what ToTensor and Normalize do per image, done for all images at once.
    X = ds.data.unsqueeze(1).to(torch.float32).div(255)
    for mean, std in norms:
        mean = torch.as_tensor(mean, dtype=X.dtype).view(-1, 1, 1)
        std = torch.as_tensor(std, dtype=X.dtype).view(-1, 1, 1)
        X.sub_(mean).div_(std)
    return X, torch.as_tensor(ds.targets)


def _stack_items(ds, progress: bool):
    """Apply a dataset's per-item transforms once and stack the results."""
    import torch
    from tqdm.auto import tqdm

    xs, ys = [], []
    for i in tqdm(range(len(ds)), desc="converting dataset to tensors", disable=not progress, leave=False):
        x, label = ds[i]
        xs.append(_as_tensor(x))
        ys.append(int(label))
    if not xs:
        raise ValueError("the dataset is empty; there is nothing to train on.")
    return torch.stack(xs), torch.tensor(ys, dtype=torch.long)


__all__ = ["to_tensors", "to_arrays", "raw_arrays", "as_numpy"]
