"""What a convolution layer learned and computed: its filters, and the feature maps of one image."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..convert import as_numpy
from ._common import _no_model, _images


def _grid(panels: np.ndarray, titles, suptitle: str, cmap: str, symmetric: bool, lead=None, columns: int = 8):
    """One small image per panel (K, H, W), up to ``columns`` to a row, on one colour scale (centred on 0 when
    ``symmetric``) so that panels compare; ``lead`` (H, W), if given, is drawn first in grey ("input")."""
    shown = [("input", lead, "gray_r", {})] if lead is not None else []
    top = float(np.max(np.abs(panels))) or 1.0
    scale = dict(vmin=-top, vmax=top) if symmetric else dict(vmin=float(panels.min()), vmax=float(panels.max()))
    shown += [(title, panel, cmap, scale) for title, panel in zip(titles, panels)]
    rows = -(-len(shown) // columns)
    cols = -(-len(shown) // rows)  # rows of even length: 9 panels as 5 + 4, not 8 + 1; at most 8 so a page's column holds them
    fig = Figure(figsize=(1.3 * cols, 1.45 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    for ax, (title, panel, colours, limits) in zip(axes, shown):
        ax.imshow(panel, cmap=colours, **limits)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(suptitle, fontsize=10)
    return fig


def filters(weights, channel: int = 0, title: str = "filters") -> Figure:
    """A conv layer's kernels, one panel each: ``weights`` (out_channels, in_channels, kh, kw) as a NumPy array or
    tensor (e.g. ``model.layers[0].weight`` or a scratch ``Conv2d``'s ``weight.data``), input channel ``channel``.
    Red is positive, blue negative, on one scale centred at 0."""
    _no_model(weights, "filters")
    w = as_numpy(weights)
    if w.ndim != 4 or not 0 <= channel < w.shape[1]:
        raise ValueError(f"filters takes conv weights (out_channels, in_channels, kh, kw) and an input channel "
                         f"below in_channels; got shape {w.shape} and channel={channel}.")
    return _grid(w[:, channel], [f"filter {i}" for i in range(len(w))], title, "RdBu_r", symmetric=True)


def feature_maps(maps, title: str = "feature maps", image=None) -> Figure:
    """What each channel of a conv layer sees in one image: ``maps`` (channels, H, W) (one image's slice of a
    layer's output, computed by the caller); ``image`` (the digit that went in, any shape of 784 values or
    (H, W)) is drawn first."""
    _no_model(maps, "feature_maps")
    m = as_numpy(maps)
    if m.ndim != 3:
        raise ValueError(f"feature_maps takes one image's maps, shape (channels, H, W), got {m.shape}; "
                         "index the batch first, e.g. out[0].")
    lead = None if image is None else _images(as_numpy(image)[None])[0]
    return _grid(m, [f"channel {i}" for i in range(len(m))], title, "viridis", symmetric=False, lead=lead)


__all__ = ['filters', 'feature_maps']
