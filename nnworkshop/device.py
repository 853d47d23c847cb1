"""Choose where torch computes: cuda, then mps, then cpu, and say why."""

from __future__ import annotations

import os

VALID = ("cuda", "mps", "cpu")


def explain_device(prefer: str | None = None) -> tuple[str, str]:
    """Return ``(device_name, reason)``.

    Order: the ``prefer`` argument, then the ``NNWORKSHOP_DEVICE`` variable,
    then the first of cuda > mps > cpu that this machine has.
    Asking for a device that is not there is an error, not a silent fallback.
    """
    import torch

    source = None
    if prefer is not None:
        source = "asked for in code"
    elif os.environ.get("NNWORKSHOP_DEVICE"):
        prefer, source = os.environ["NNWORKSHOP_DEVICE"], "set by NNWORKSHOP_DEVICE"
    if prefer is not None:
        name = str(prefer).lower()
        kind = name.split(":")[0]
        if kind not in VALID:
            raise ValueError(f"unknown device {prefer!r}; valid names: {', '.join(VALID)} (e.g. 'cuda:0').")
        if kind == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"device {prefer!r} ({source}) but torch sees no CUDA GPU here "
                f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}). "
                "Use 'cpu', or unset NNWORKSHOP_DEVICE to pick automatically."
            )
        if kind == "mps" and not _mps_available():
            raise RuntimeError(
                f"device {prefer!r} ({source}) but Apple's MPS backend is not available here. "
                "Use 'cpu', or unset NNWORKSHOP_DEVICE to pick automatically."
            )
        return name, source
    if torch.cuda.is_available():
        return "cuda", f"a CUDA GPU is available: {torch.cuda.get_device_name(0)}"
    if _mps_available():
        return "mps", "Apple's Metal (MPS) backend is available"
    if torch.version.cuda:
        why = f"no GPU visible (this torch is built for CUDA {torch.version.cuda}, but no device or driver was found)"
    else:
        why = "no GPU visible (this torch build is CPU-only)"
    return "cpu", why + f"; using the CPU with {torch.get_num_threads()} threads"


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(prefer: str | None = None, verbose: bool = False):
    """The ``torch.device`` to use: cuda > mps > cpu, unless ``prefer`` or ``NNWORKSHOP_DEVICE`` says otherwise."""
    import torch

    name, reason = explain_device(prefer)
    if verbose:
        print(f"Using {name}: {reason}")
    return torch.device(name)
