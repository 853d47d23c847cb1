"""The dashboard's controls: one widget per hyperparameter, read and set as a plain dict."""

from __future__ import annotations

import math

import ipywidgets as W

from ..choices import ACTIVATIONS, MOMENTUM, OPTIMIZERS  # noqa: F401 - MOMENTUM: public here, as it was
from ..config import pick

MAX_LAYERS = 4
WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
BATCH_SIZES = tuple(2**k for k in range(13))  # 1 ... 4096
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
LR_RANGE = (1e-5, 1.0)
N_CLASSES = 10

# control name -> the label shown beside it; this order is the order on screen, in ``runs`` and in the CSV
FIELDS = {
    "hidden_layers": "hidden layers",
    "widths": "layer widths",
    "activation": "activation",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "batch_size": "batch size",
    "epochs": "epochs",
    "dropout": "dropout",
    "weight_decay": "L2 (weight decay)",
    "train_size": "training digits",
    "normalize": "normalise inputs",
    "seed": "seed",
    "repeats": "repeat over seeds",
}

_STYLE = {"description_width": "9.5em"}
_LAYOUT = {"width": "100%", "max_width": "26em"}


def parameter_count(sizes) -> int:
    """Weights and biases of a fully connected network with layer ``sizes`` (inputs first, classes last)."""
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


class LayerWidths(W.HBox):
    """One width menu per hidden layer; ``value`` is the tuple of the first ``layers`` widths."""

    def __init__(self, layers: int, width: int = 128):
        self.menus = [W.Dropdown(options=WIDTHS, value=width, layout={"width": "5.2em"}) for _ in range(MAX_LAYERS)]
        for i, menu in enumerate(self.menus):
            menu.add_class(f"nnw-width-{i + 1}")
        label = W.Label(FIELDS["widths"], layout={"width": "9.5em", "min_width": "9.5em"})
        super().__init__([label, *self.menus], layout={"flex_flow": "row wrap", "align_items": "center", **_LAYOUT})
        self.show_layers(layers)

    def show_layers(self, layers: int) -> None:
        """Show the first ``layers`` menus, hide the rest."""
        self.layers = layers
        for i, menu in enumerate(self.menus):
            menu.layout.display = None if i < layers else "none"

    @property
    def value(self) -> tuple:
        return tuple(m.value for m in self.menus[: self.layers])

    @value.setter
    def value(self, widths) -> None:
        for menu, w in zip(self.menus, widths):
            menu.value = w

    @property
    def disabled(self) -> bool:
        return all(m.disabled for m in self.menus)

    @disabled.setter
    def disabled(self, flag: bool) -> None:
        for m in self.menus:
            m.disabled = flag


class Controls:
    """The hyperparameter widgets. ``values()`` reads them, ``set(**values)`` writes them,
    ``lock(True)`` greys them out while a run trains. Each widget is also an attribute
    (``controls.lr`` is the learning-rate box) and carries the CSS class ``nnw-<name>``.

    ``n_train``: how many training digits there are (the top of the training-set slider);
    ``n_inputs``: features per digit (784), for the parameter count shown under the controls.
    """

    def __init__(self, n_train: int, n_inputs: int = 784):
        n_train = max(1, int(n_train))
        self.n_inputs = int(n_inputs)
        step = 100 if n_train >= 1000 else 1
        kw = {"style": _STYLE, "layout": _LAYOUT}
        self.hidden_layers = W.IntSlider(2, min=0, max=MAX_LAYERS, description=FIELDS["hidden_layers"], **kw)
        self.widths = LayerWidths(2)
        self.widths.value = (128, 64)  # the course's 784-128-64-10 baseline
        self.activation = W.Dropdown(options=tuple(ACTIVATIONS), value="relu", description=FIELDS["activation"], **kw)
        self.optimizer = W.Dropdown(
            options=[(choice.label, key) for key, choice in OPTIMIZERS.items()], value="adam",
            description=FIELDS["optimizer"], **kw,
        )
        # a text box, not a log slider: what is typed (0.05) is what trains, never snapped to a slider step
        self.lr = W.FloatText(1e-3, description=FIELDS["lr"], **kw)
        self.batch_size = W.SelectionSlider(options=BATCH_SIZES, value=64, description=FIELDS["batch_size"], **kw)
        self.epochs = W.IntSlider(pick(5, 2), min=1, max=50, description=FIELDS["epochs"], **kw)
        self.dropout = W.FloatSlider(0.0, min=0.0, max=0.8, step=0.05, description=FIELDS["dropout"], **kw)
        self.weight_decay = W.SelectionSlider(
            options=[("0" if v == 0 else f"{v:g}", v) for v in WEIGHT_DECAYS], value=0.0,
            description=FIELDS["weight_decay"], **kw,
        )
        self.train_size = W.IntSlider(
            min(n_train, pick(10_000, 1000)), min=step if n_train >= step else 1, max=n_train, step=step,
            description=FIELDS["train_size"], **kw,
        )
        self.normalize = W.Checkbox(True, description="normalise inputs (mean/std; off: pixels in [0, 1])",
                                    indent=False, layout=_LAYOUT)
        self.seed = W.BoundedIntText(0, min=0, max=2**31 - 1, description=FIELDS["seed"], **kw)
        self.repeats = W.IntSlider(1, min=1, max=5, description=FIELDS["repeats"], **kw)
        self.parameters = W.HTML().add_class("nnw-parameters")
        for name in FIELDS:
            self[name].add_class(f"nnw-{name}")
        self.hidden_layers.observe(lambda c: self.widths.show_layers(c["new"]), names="value")
        for widget in (self.hidden_layers, *self.widths.menus):
            widget.observe(lambda _: self._count(), names="value")
        self._count()
        self.box = W.VBox([self[name] for name in FIELDS] + [self.parameters],
                          layout={"flex": "0 1 27em", "min_width": "18em", "overflow": "hidden"})

    def __getitem__(self, name: str) -> W.ValueWidget:
        if name not in FIELDS:
            raise KeyError(f"no control named {name!r}; the controls are: {', '.join(FIELDS)}.")
        return getattr(self, name)

    def sizes(self) -> list[int]:
        """The network's layer sizes as the controls show it, e.g. ``[784, 128, 64, 10]``."""
        return [self.n_inputs, *self.widths.value, N_CLASSES]

    def _count(self) -> None:
        sizes = self.sizes()
        self.parameters.value = (f"<span style='white-space:normal'>network {'-'.join(map(str, sizes))}: "
                                 f"<b>{parameter_count(sizes):,}</b> parameters</span>")

    def values(self) -> dict:
        """The hyperparameters as shown: ``{"hidden_layers": 2, "widths": (128, 64), ..., "momentum": 0.0}``.

        ``momentum`` follows from the optimizer (``choices.OPTIMIZERS``: 0.9 for "sgd_momentum", else 0).
        """
        out = {name: self[name].value for name in FIELDS}
        out["momentum"] = OPTIMIZERS[out["optimizer"]].momentum
        return out

    def check(self) -> None:
        """``ValueError`` naming the fix when a typed value cannot train (the learning rate)."""
        lr = self.lr.value
        if not (math.isfinite(lr) and LR_RANGE[0] <= lr <= LR_RANGE[1]):
            raise ValueError(f"learning rate={lr:g} is outside [{LR_RANGE[0]:g}, {LR_RANGE[1]:g}]; type a value such as 0.001 or 0.05.")

    def set(self, **values) -> None:
        """Set controls by name, e.g. ``set(lr=0.01, optimizer="sgd_momentum", widths=(128, 64))``.

        ``width=64`` sets every hidden layer to 64. A value the control cannot show (not among its
        options, outside its range) is an error naming what it accepts, rather than being silently
        moved to the nearest allowed value.
        """
        if "width" in values:
            values.setdefault("widths", (values.pop("width"),) * MAX_LAYERS)
        widths = values.pop("widths", None)
        for name, value in values.items():
            widget = self[name]
            allowed = _allowed(widget)
            if allowed is not None and value not in allowed:
                raise ValueError(f"{name}={value!r} is not offered; choose one of {list(allowed)}.")
            lo, hi = getattr(widget, "min", None), getattr(widget, "max", None)
            if name == "lr":
                lo, hi = LR_RANGE
            if lo is not None and not (lo <= value <= hi):
                raise ValueError(f"{name}={value!r} is outside the control's range [{lo:g}, {hi:g}].")
            widget.value = value
        if widths is not None:
            widths = tuple(widths)
            bad = [w for w in widths if w not in WIDTHS]
            if bad or len(widths) > MAX_LAYERS:
                raise ValueError(f"widths={widths!r}: give up to {MAX_LAYERS} widths, each one of {list(WIDTHS)}.")
            self.widths.value = widths

    def lock(self, locked: bool) -> None:
        """Grey out (``True``) or release (``False``) every control."""
        for name in FIELDS:
            self[name].disabled = locked

    @property
    def locked(self) -> bool:
        """True while the controls are greyed out."""
        return all(self[name].disabled for name in FIELDS)


def _allowed(widget):
    """The values a selection widget offers, or None for a free (range) widget."""
    if not hasattr(widget, "options"):
        return None
    return [o[1] if isinstance(o, tuple) else o for o in widget.options]
