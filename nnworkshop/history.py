"""History: what a training run measured, epoch by epoch. Shared by the NumPy and torch loops."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class History:
    """Per-epoch train/test loss and accuracy (accuracy in %), and seconds per epoch.

    ``held_out`` names what ``test_loss`` / ``test_acc`` were measured on: "test", or "validation" when the run
    was scored on a validation split (``fit(..., val=...)``) because a choice will be made from it; plots and
    tables label the dashed curves with it."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    label: str = ""
    device: str = "cpu"
    interrupted: bool = False
    diverged: bool = False
    config: dict = field(default_factory=dict)
    held_out: str = "test"

    @property
    def val_loss(self) -> list:
        """The validation loss per epoch: ``test_loss`` of a run scored on a validation split. Reading it from a
        run scored on the test set is an error, so that code that chooses (``max(..., key=lambda h: h.val_acc[-1])``)
        can only choose on validation digits."""
        return self._validation("val_loss", self.test_loss)

    @property
    def val_acc(self) -> list:
        """The validation accuracy per epoch (%): ``test_acc`` of a run scored on a validation split (see
        ``val_loss``)."""
        return self._validation("val_acc", self.test_acc)

    def named(self, key: str) -> str:
        """``key`` ("test_acc", "test_loss") under the name of the set it was measured on: "val_acc" for a run
        scored on a validation split, else ``key`` unchanged (for printed and logged labels)."""
        return key.replace("test", "val") if self.held_out == "validation" else key

    def _validation(self, name: str, values: list) -> list:
        if self.held_out != "validation":
            raise AttributeError(
                f"{name}: this run was scored on the {self.held_out} set, not on a validation split. Train with "
                "fit(..., val=(X_val, y_val)) (NumPy: X_val=, y_val=) to choose settings; the test numbers are in "
                "test_loss / test_acc.")
        return values

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds))

    def append(self, train_loss, train_acc, seconds, test_loss=None, test_acc=None) -> None:
        self.train_loss.append(float(train_loss))
        self.train_acc.append(float(train_acc))
        self.seconds.append(float(seconds))
        if test_loss is not None:
            self.test_loss.append(float(test_loss))
        if test_acc is not None:
            self.test_acc.append(float(test_acc))

    def last(self) -> dict:
        """The final epoch's numbers (NaN-free dict, ``None`` where not measured)."""
        pick = lambda xs: xs[-1] if xs else None  # noqa: E731
        return {
            "train_loss": pick(self.train_loss),
            "train_acc": pick(self.train_acc),
            "test_loss": pick(self.test_loss),
            "test_acc": pick(self.test_acc),
            "seconds": self.total_seconds,
        }

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        last = self.last()
        parts = [f"epochs={self.epochs}"]
        for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
            if last[key] is not None:
                parts.append(f"{self.named(key)}={last[key]:.4g}")
        parts.append(f"seconds={self.total_seconds:.2f}")
        if self.interrupted:
            parts.append("interrupted")
        if self.diverged:
            parts.append("diverged")
        return f"History({', '.join(parts)})"
