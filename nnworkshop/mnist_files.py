"""Where the MNIST files are, and whether they are whole: no torch, no download, file headers only.

``resolve_root`` finds the folder (the ``root`` argument, then ``NNWORKSHOP_DATA``, then a per-user
cache folder); under it the files sit in torchvision's layout, ``<root>/MNIST/raw/train-images-idx3-ubyte``
and so on. ``describe_source`` says what is there (``nnworkshop doctor`` prints it), ``idx_shape`` and
the split check read headers and sizes, so a truncated or mismatched file is named before torchvision
reads it. Loading and downloading are ``nnworkshop.data``'s; this module is what both it and the test
harness (``standin``) need to know about the files, and it imports nothing heavy.
"""

from __future__ import annotations

import gzip
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

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
    path = Path(os.path.abspath(path.expanduser()))  # absolute, links kept: the folder as the learner named it
    # Forgiving: pointing at .../MNIST/raw or .../MNIST means the folder above MNIST.
    if path.name == "raw" and path.parent.name == "MNIST":
        path = path.parent.parent
    elif path.name == "MNIST" and not (path / "MNIST").is_dir():
        path = path.parent
    return path, source


def tilde(path) -> str:
    """``path`` as text, with the home folder written ``~`` (what a page or a message shows of a path)."""
    path, home = Path(path), Path.home()
    try:
        return str(Path("~") / path.relative_to(home))
    except ValueError:
        return str(path)


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


__all__ = ["MEAN", "STD", "ENV_VAR", "FILES", "MNISTNotFoundError", "MNISTCorruptError", "default_cache_dir",
           "resolve_root", "describe_source", "idx_shape", "tilde"]
