"""The dashboard's controls: one widget per hyperparameter, read and set as a plain dict."""

from __future__ import annotations

import ipywidgets as W

from ..config import pick

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")  # the names nnworkshop.models.MLP accepts
OPTIMIZERS = {"sgd": "SGD", "sgd_momentum": "SGD + momentum", "adam": "Adam"}
MOMENTUM = 0.9  # what "SGD + momentum" uses
WIDTHS = (16, 32, 64, 128, 256, 512)
BATCH_SIZES = tuple(2**k for k in range(13))  # 1 ... 4096
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)

# control name -> the label shown beside it; this order is the order on screen, in ``runs`` and in the CSV
FIELDS = {
    "hidden_layers": "hidden layers",
    "width": "layer width",
    "activation": "activation",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "batch_size": "batch size",
    "epochs": "epochs",
    "dropout": "dropout",
    "weight_decay": "L2 (weight decay)",
    "train_size": "training digits",
    "seed": "seed",
}

_STYLE = {"description_width": "130px"}
_LAYOUT = {"width": "380px"}


class Controls:
    """The hyperparameter widgets. ``values()`` reads them, ``set(**values)`` writes them,
    ``lock(True)`` greys them out while a run trains. Each widget is also an attribute
    (``controls.lr`` is the learning-rate slider) and carries the CSS class ``nnw-<name>``.

    ``n_train``: how many training digits there are (the top of the training-set slider).
    """

    def __init__(self, n_train: int):
        n_train = max(1, int(n_train))
        step = 100 if n_train >= 1000 else 1
        kw = {"style": _STYLE, "layout": _LAYOUT}
        self.hidden_layers = W.IntSlider(1, min=0, max=4, description=FIELDS["hidden_layers"], **kw)
        self.width = W.SelectionSlider(options=WIDTHS, value=128, description=FIELDS["width"], **kw)
        self.activation = W.Dropdown(options=ACTIVATIONS, value="relu", description=FIELDS["activation"], **kw)
        self.optimizer = W.Dropdown(
            options=[(label, key) for key, label in OPTIMIZERS.items()], value="adam",
            description=FIELDS["optimizer"], **kw,
        )
        self.lr = W.FloatLogSlider(
            1e-3, base=10, min=-5, max=0, step=0.25, readout_format=".2g", description=FIELDS["lr"], **kw
        )
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
        self.seed = W.BoundedIntText(0, min=0, max=2**31 - 1, description=FIELDS["seed"], **kw)
        for name in FIELDS:
            self[name].add_class(f"nnw-{name}")
        self.box = W.VBox([self[name] for name in FIELDS], layout={"min_width": "390px"})

    def __getitem__(self, name: str) -> W.ValueWidget:
        if name not in FIELDS:
            raise KeyError(f"no control named {name!r}; the controls are: {', '.join(FIELDS)}.")
        return getattr(self, name)

    def values(self) -> dict:
        """The hyperparameters as shown: ``{"hidden_layers": 1, "width": 128, ..., "momentum": 0.0}``.

        ``momentum`` follows from the optimizer (``MOMENTUM`` for "sgd_momentum", else 0).
        """
        out = {name: self[name].value for name in FIELDS}
        out["momentum"] = MOMENTUM if out["optimizer"] == "sgd_momentum" else 0.0
        return out

    def set(self, **values) -> None:
        """Set controls by name, e.g. ``set(lr=0.01, optimizer="sgd_momentum")``.

        A value the control cannot show (not among its options, outside its range) is an error
        naming what it accepts, rather than being silently moved to the nearest allowed value.
        """
        for name, value in values.items():
            widget = self[name]
            allowed = _allowed(widget)
            if allowed is not None and value not in allowed:
                raise ValueError(f"{name}={value!r} is not offered; choose one of {list(allowed)}.")
            lo, hi = getattr(widget, "min", None), getattr(widget, "max", None)
            if isinstance(widget, W.FloatLogSlider):
                lo, hi = widget.base**lo, widget.base**hi
            if lo is not None and not (lo <= value <= hi):
                raise ValueError(f"{name}={value!r} is outside the control's range [{lo:g}, {hi:g}].")
            widget.value = value

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
