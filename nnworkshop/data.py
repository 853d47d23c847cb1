"""MNIST through torchvision: as a Dataset, as normalised tensors, or as NumPy arrays.

Where the digits are read from (``resolve_root``): the ``root`` argument, then the
``NNWORKSHOP_DATA`` variable, then a per-user cache folder. Under that root the files
sit in torchvision's layout, ``<root>/MNIST/raw/train-images-idx3-ubyte`` and so on.
Missing files are downloaded by torchvision; when that fails, or a file is damaged,
the error names the folder, the file and the fix. There is never a silent fallback
to other data.

``write_synthetic_mnist(root)`` writes small, learnable stand-in digits in the same
format, so tests on machines without MNIST go through the same torchvision code.
"""

from __future__ import annotations

import gzip
import operator
import os
import struct
import sys
import zlib
from http.client import HTTPException
from pathlib import Path

import numpy as np
import torch
from torchvision import datasets, transforms

from .standin import announce, standin_digits
from .synthetic import write_synthetic_mnist

MEAN = 0.1307  # mean pixel of the MNIST training set, after scaling to [0, 1]
STD = 0.3081  # its standard deviation
ENV_VAR = "NNWORKSHOP_DATA"
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_PREFIX = {True: "train", False: "t10k"}  # train=True/False -> file name prefix
_SET_NAME = {True: "training", False: "test"}


class MNISTNotFoundError(RuntimeError):
    """The MNIST files are not where they should be and could not be downloaded."""


class MNISTCorruptError(RuntimeError):
    """An MNIST file is truncated or damaged."""


# ---------------------------------------------------------------- where the files are


def default_cache_dir() -> Path:
    """The per-user folder used when neither ``root`` nor ``NNWORKSHOP_DATA`` is given:
    ``%LOCALAPPDATA%\\nnworkshop\\data`` on Windows, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)``/nnworkshop/data``."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnworkshop" / "data"


def _locate(root=None) -> tuple[Path, str]:
    """``(root, source)`` where source is 'argument', 'NNWORKSHOP_DATA' or 'cache'."""
    if root is not None:
        path, source = Path(root), "argument"
    elif os.environ.get(ENV_VAR, "").strip():
        path, source = Path(os.environ[ENV_VAR].strip()), ENV_VAR
    else:
        path, source = default_cache_dir(), "cache"
    path = path.expanduser().resolve()
    # Forgiving: pointing at .../MNIST/raw or .../MNIST means the folder above MNIST.
    if path.name == "raw" and path.parent.name == "MNIST":
        path = path.parent.parent
    elif path.name == "MNIST" and not (path / "MNIST").is_dir():
        path = path.parent
    return path, source


def resolve_root(root=None) -> Path:
    """The folder that holds ``MNIST/raw``: ``root``, else ``$NNWORKSHOP_DATA``, else ``default_cache_dir()``.

    A path to the ``MNIST`` folder or to ``MNIST/raw`` itself is accepted and resolved to the folder above.
    """
    return _locate(root)[0]


def _raw(root: Path) -> Path:
    return root / "MNIST" / "raw"


def describe_source(root=None) -> dict:
    """Where MNIST is read from and what is there, cheaply (file headers only); ``nnworkshop doctor`` prints it.

    Keys: ``root``, ``source`` ('argument' | 'NNWORKSHOP_DATA' | 'cache'), ``raw_folder``,
    ``train_present``/``test_present`` (both files there, plain or .gz), ``train_count``/``test_count``
    (digits in the file, or None when not readable yet), ``problem`` (what is wrong, or None).
    """
    root, source = _locate(root)
    raw = _raw(root)
    info = {"root": str(root), "source": source, "raw_folder": str(raw)}
    problems = []
    for split, train in (("train", True), ("test", False)):
        names = [f"{_PREFIX[train]}-images-idx3-ubyte", f"{_PREFIX[train]}-labels-idx1-ubyte"]
        info[f"{split}_present"] = all((raw / n).is_file() or (raw / f"{n}.gz").is_file() for n in names)
        info[f"{split}_count"] = None
        if all((raw / n).is_file() for n in names):
            try:
                info[f"{split}_count"] = _check_split(raw, train)
            except MNISTCorruptError as err:
                problems.append(str(err))
    info["problem"] = " ".join(problems) or None
    return info


# ---------------------------------------------------------------- checking the files


def _corrupt(path: Path, detail: str) -> MNISTCorruptError:
    again = "downloaded again" if path.suffix == ".gz" else "unpacked again from its .gz copy or downloaded again"
    return MNISTCorruptError(
        f"MNIST file {path} is corrupt or truncated: {detail}. "
        f"Delete it and load again: it is then {again} (or copy a good file from another machine)."
    )


def idx_shape(path) -> tuple[int, ...]:
    """The shape an (uncompressed) IDX file declares, e.g. ``(6000, 28, 28)``, checked against the file's size.

    Raises ``MNISTCorruptError`` on a bad magic number or a size that does not match the header.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(16)
    if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] != 0x08 or head[3] not in (1, 3):
        raise _corrupt(
            path,
            f"bad magic number 0x{head[:4].hex() or 'empty'} "
            "(an MNIST file starts with 0x00000803 for images or 0x00000801 for labels)",
        )
    ndim = head[3]
    if len(head) < 4 + 4 * ndim:
        raise _corrupt(path, f"the file is only {size} bytes long, shorter than its own header")
    shape = struct.unpack(f">{ndim}I", head[4 : 4 + 4 * ndim])
    expected = 4 + 4 * ndim + int(np.prod(shape))
    if size != expected:
        what = "truncated" if size < expected else "longer than it should be"
        raise _corrupt(path, f"{what}: {size} bytes, but its header {shape} needs {expected}")
    return shape


def _check_split(raw: Path, train: bool) -> int:
    """Check one split's image and label files agree with each other; return the number of digits."""
    images, labels = raw / f"{_PREFIX[train]}-images-idx3-ubyte", raw / f"{_PREFIX[train]}-labels-idx1-ubyte"
    image_shape, label_shape = idx_shape(images), idx_shape(labels)
    if len(image_shape) != 3 or image_shape[1:] != (28, 28):
        raise _corrupt(images, f"it holds arrays of shape {image_shape}, not (N, 28, 28) images")
    if len(label_shape) != 1:
        raise _corrupt(labels, f"it holds arrays of shape {label_shape}, not (N,) labels")
    if image_shape[0] != label_shape[0]:
        raise _corrupt(labels, f"it has {label_shape[0]} labels but {images.name} has {image_shape[0]} images")
    values = np.frombuffer(labels.read_bytes(), dtype=np.uint8, offset=8)
    if values.size and values.max() > 9:
        raise _corrupt(labels, f"it contains the label {int(values.max())}; digit labels are 0-9")
    return image_shape[0]


def _unpack_gz(raw: Path) -> None:
    """Unpack ``name.gz`` into ``name`` where only the compressed copy is there."""
    for name in FILES:
        target, packed = raw / name, raw / f"{name}.gz"
        if target.is_file() or not packed.is_file():
            continue
        try:
            data = gzip.decompress(packed.read_bytes())
        except (OSError, EOFError, zlib.error) as err:
            raise _corrupt(packed, f"it cannot be decompressed ({type(err).__name__}: {err})") from err
        partial = target.with_name(f"{name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as err:
            raise MNISTNotFoundError(
                f"found {packed} but cannot unpack it there ({type(err).__name__}: {err}). "
                f"Unpack the .gz files in {raw} yourself (gunzip -k), or copy the folder somewhere writable "
                f"and set {ENV_VAR} to it."
            ) from err


_WHERE = {"argument": "the root argument", ENV_VAR: ENV_VAR, "cache": "the default cache folder"}


def _put_files(raw: Path) -> str:
    return f"put the 4 files {', '.join(FILES)} (.gz copies are fine too) in {raw}"


def _download(root: Path, source: str) -> None:
    raw = _raw(root)
    try:
        datasets.MNIST(str(root), train=True, download=True)
    except (RuntimeError, OSError, HTTPException, ValueError) as err:  # URLError and timeouts are OSErrors
        if all((raw / name).is_file() for name in FILES):
            return  # the files arrived; _check_split says what is wrong with them
        detail = " ".join(str(err).split())
        raise MNISTNotFoundError(
            f"MNIST is not in {raw} (from {_WHERE[source]}) and downloading it failed: "
            f"{type(err).__name__}: {detail}\n"
            f"To fix it, {_put_files(raw)} (copy them from a machine with internet), "
            f"or set {ENV_VAR}=<folder containing MNIST/raw> if you have them elsewhere. "
            "Behind a proxy, set HTTPS_PROXY (and HTTP_PROXY), e.g. HTTPS_PROXY=http://proxy.example.org:3128, "
            "and run again."
        ) from err


def _prepare(root: Path, source: str, download: bool) -> None:
    """Make sure the 4 files are in ``root/MNIST/raw`` and sound: unpack .gz copies, download, check."""
    raw = _raw(root)
    announce()  # says so, loudly, when the test harness substituted synthetic digits
    _unpack_gz(raw)
    missing = [name for name in FILES if not (raw / name).is_file()]
    if missing:
        stray = [name for name in FILES if (root / name).is_file() or (root / f"{name}.gz").is_file()]
        if stray:
            raise MNISTNotFoundError(
                f"found MNIST files directly in {root}, but torchvision reads them from {raw}: "
                f"move them there (mkdir -p '{raw}' and move the files in)."
            )
        if not download:
            lacks = "has no MNIST files" if len(missing) == len(FILES) else f"lacks {', '.join(missing)}"
            raise MNISTNotFoundError(
                f"MNIST not found: {raw} (from {_WHERE[source]}) {lacks}. "
                f"To fix it, {_put_files(raw)}, or set {ENV_VAR}=<folder containing MNIST/raw> "
                "if you have them elsewhere, or pass download=True to download them (about 12 MB)."
            )
        _download(root, source)
    for train in (True, False):
        _check_split(raw, train)


# ---------------------------------------------------------------- loading


def default_transform():
    """The original workshop's transform: ``ToTensor()`` then ``Normalize((MEAN,), (STD,))``."""
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])


def mnist(train: bool = True, root=None, download: bool = True, transform=None):
    """The ``torchvision.datasets.MNIST`` training (or test) set, normalised with ``default_transform()``
    unless ``transform`` is given. Items are ``(image (1, 28, 28) float32, label int)``."""
    root, source = _locate(root)
    _prepare(root, source, download)
    transform = default_transform() if transform is None else transform
    return datasets.MNIST(str(root), train=train, transform=transform, download=False)


_DECODED: dict = {}  # (root, train) -> (file stamps, uint8 images (N, 28, 28), int64 labels (N,))


def _decoded(train: bool, root, download: bool):
    """The raw uint8 images and int64 labels, decoded by torchvision once per process (per file version)."""
    root, source = _locate(root)
    _prepare(root, source, download)
    raw = _raw(root)
    stamps = tuple(
        (s.st_size, s.st_mtime_ns)
        for s in (os.stat(raw / f"{_PREFIX[train]}-{kind}-ubyte") for kind in ("images-idx3", "labels-idx1"))
    )
    key = (str(root), bool(train))
    if key not in _DECODED or _DECODED[key][0] != stamps:  # new or rewritten files: decode (again)
        ds = datasets.MNIST(str(root), train=train, download=False)
        _DECODED[key] = (stamps, ds.data, ds.targets)
    return _DECODED[key][1:]


def _check_limit(limit, n: int, train: bool) -> int:
    if limit is None:
        return n
    try:
        whole = -1 if isinstance(limit, bool) else operator.index(limit)
    except TypeError:
        whole = -1
    if whole < 1:
        raise ValueError(f"limit must be a whole number of samples >= 1, or None for all, got {limit!r}.")
    if whole > n:
        raise ValueError(
            f"limit={whole} is larger than the MNIST {_SET_NAME[train]} set, which has {n} samples. "
            f"Use limit <= {n}, or limit=None for all of them."
        )
    return whole


def mnist_tensors(train: bool = True, root=None, limit=None, device=None, flatten: bool = True, download: bool = True):
    """``(images, labels)``: float32 images normalised like ``default_transform()``, shape (N, 784),
    or (N, 1, 28, 28) with ``flatten=False``; int64 labels (N,).

    ``limit`` keeps exactly the first ``limit`` digits in file order (more than the set holds is an error).
    The files are decoded once per process; normalisation is one vectorised operation over the whole set,
    done on ``device`` when given.
    """
    images, labels = _decoded(train, root, download)
    n = _check_limit(limit, len(labels), train)
    images, labels = images[:n], labels[:n].clone()  # clone: callers may edit labels in place
    if device is not None:
        images, labels = images.to(device), labels.to(device)
    x = images.to(torch.float32).div_(255).sub_(MEAN).div_(STD)
    return (x.reshape(n, 28 * 28) if flatten else x.unsqueeze(1)), labels


def mnist_arrays(train: bool = True, root=None, limit=None, flatten: bool = True, download: bool = True):
    """``mnist_tensors`` as NumPy arrays, for the network written by hand:
    float32 images (N, 784) (or (N, 1, 28, 28)) and int64 labels (N,)."""
    x, y = mnist_tensors(train=train, root=root, limit=limit, flatten=flatten, download=download)
    return x.numpy(), y.numpy()


__all__ = [
    "MEAN",
    "STD",
    "ENV_VAR",
    "FILES",
    "MNISTNotFoundError",
    "MNISTCorruptError",
    "default_cache_dir",
    "resolve_root",
    "describe_source",
    "idx_shape",
    "default_transform",
    "mnist",
    "mnist_tensors",
    "mnist_arrays",
    "write_synthetic_mnist",
    "standin_digits",
]
