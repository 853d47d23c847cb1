"""Anything data-like as two tensors ``(X, y)``: what ``training.fit``, ``evaluate`` and the plots accept.

Accepted: a pair ``(X, y)`` of tensors or arrays, a torchvision MNIST dataset (its decoded digits are
transformed in one vectorised step when the transform is the course's own), or any dataset of ``(x, y)`` items.
"""

from __future__ import annotations

import numpy as np
import torch


def to_tensors(data, device=None, dtype=torch.float32, progress: bool = False):
    """``(X, y)`` tensors on ``device`` from any supported form of a labelled dataset.

    Accepts a ``(X, y)`` pair of tensors or NumPy arrays, a ``TensorDataset``, a
    ``Subset``, a torchvision dataset, or any dataset of ``(x, label)`` items.
    torchvision MNIST with no transform, ``ToTensor()`` or ``ToTensor()`` + ``Normalize``
    is converted from ``.data`` in one go (the same numbers as the per-sample
    transforms); other datasets are stacked item by item once (a progress bar with
    ``progress=True``). X becomes ``dtype``, y int64 class labels.
    """
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
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=torch.long)


def _as_tensor(a) -> torch.Tensor:
    return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))


def _raw_tensors(data, progress: bool):
    """(X, y) CPU-or-wherever tensors, not yet cast."""
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
    try:
        from torchvision import transforms as T
        from torchvision.datasets import MNIST
    except ImportError:  # pragma: no cover - torchvision is a dependency
        return None
    if not isinstance(ds, MNIST) or getattr(ds, "target_transform", None) is not None:
        return None
    transform = ds.transform
    if transform is None:  # PIL images: use the workshop's ToTensor + Normalize
        from .data import MEAN, STD

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
    from tqdm.auto import tqdm

    xs, ys = [], []
    for i in tqdm(range(len(ds)), desc="converting dataset to tensors", disable=not progress, leave=False):
        x, label = ds[i]
        xs.append(_as_tensor(x))
        ys.append(int(label))
    if not xs:
        raise ValueError("the dataset is empty; there is nothing to train on.")
    return torch.stack(xs), torch.tensor(ys, dtype=torch.long)
