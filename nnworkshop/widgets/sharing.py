"""The dashboard's link to a class board: a "Send to board" button, an automatic option, and the JSON of a run.

Sending happens in a background thread (a slow network never freezes the notebook); the board
counts a resend of the same run once, because every run carries its own ``uid``.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as W

from ..board.client import BoardError, board_settings, send_run, send_weights
from ..grading.protocol import pack
from .runs import Run


def run_payload(run: Run, name: str, inputs: int = 784) -> dict:
    """What the board stores for ``run``: hyperparameters, per-epoch curves, final accuracies, seconds, device.

    The dashboard's held-out digits are its validation split, so they travel as ``val_loss`` / ``val_acc``."""
    r, h = run.row, run.history
    hp = {k: r[k] for k in ("hidden_layers", "activation", "optimizer", "lr", "momentum", "batch_size", "epochs",
                            "dropout", "weight_decay", "train_size", "normalize", "seed")}
    hp["widths"] = list(r["widths"])
    hp["inputs"] = int(inputs)
    return {
        "run_id": run.uid, "name": name, "hyperparameters": hp,
        "curves": {"train_loss": h.train_loss, "train_acc": h.train_acc, "val_loss": h.test_loss, "val_acc": h.test_acc},
        "val_acc": r["test_acc"] if r["test_acc"] is not None else 0.0,
        "train_acc": r["train_acc"] if r["train_acc"] is not None else 0.0,
        "seconds": r["seconds"], "device": r["device"], "status": r["status"],
    }


class BoardLink:
    """Sends finished runs to the board at ``url`` (class ``token``, display ``name``).

    ``url``/``token``/``name`` default to ``NNWORKSHOP_BOARD`` / ``NNWORKSHOP_BOARD_TOKEN`` /
    ``NNWORKSHOP_BOARD_NAME``; with no board at all, ``widget`` is an empty box and nothing is sent.
    ``on_sent(run)`` is called (in the sending thread) after each run the board took.
    """

    def __init__(self, url=None, token=None, name=None, auto: bool = False, on_sent=lambda run: None):
        self.url, self.token, self.name = board_settings(url, token, name)
        self.on_sent = on_sent
        self.inputs = 784  # features per digit, for the parameter count the board computes
        self.thread: threading.Thread | None = None  # the last sending thread
        self.message = ""
        self.board_checks = True  # False once the board says it has no digits to check runs with
        self._lock = threading.Lock()
        self.send_button = W.Button(description="Send to board", icon="upload", tooltip="send the runs not sent yet")
        self.send_button.add_class("nnw-send")
        self.auto = W.Checkbox(bool(auto), description="send each run when it finishes", indent=False,
                               layout={"width": "auto"})
        self.auto.add_class("nnw-auto-send")
        self.status = W.HTML().add_class("nnw-board-status")
        if self.url:
            self.status.value = f"board: {html.escape(self.url)} as <b>{html.escape(self.name)}</b>"
        self.widget = W.HBox([self.send_button, self.auto, self.status] if self.url else [],
                             layout={"flex_flow": "row wrap", "align_items": "center", "grid_gap": "0.3em 1em"})

    @property
    def active(self) -> bool:
        """True when a board address is set."""
        return self.url is not None

    def send(self, runs: list[Run], wait: bool = False):
        """Send the runs in ``runs`` not sent yet, in a thread (``wait=True``: return when done); the thread."""
        todo = [r for r in runs if not r.sent]
        thread = threading.Thread(target=self._send, args=(todo,), name="nnworkshop-board-send", daemon=True)
        self.thread = thread
        thread.start()
        if wait:
            thread.join()
        return thread

    def _send(self, runs: list[Run]) -> None:
        with self._lock:
            sent = checked = 0
            try:
                if not self.active:
                    raise BoardError("no board set: pass board=... or set NNWORKSHOP_BOARD (the address the instructor gave).")
                for run in runs:
                    send_run(self.url, self.token, run_payload(run, self.name, self.inputs))
                    run.sent = True
                    sent += 1
                    self.on_sent(run)
                    if run.weights is not None and self.board_checks:  # the board scores them on digits we never had
                        checked += self._send_weights(run)
            except BoardError as err:
                self._say(f"{err}" + (" Press Send to board again then: the runs not sent yet will go." if err.status == 429 else ""),
                          "#a94442")
                return
            except ValueError as err:
                self._say(f"{err}", "#a94442")
                return
            checks = f" ({checked} checked by the board)" if checked else ""
            if not self.board_checks:
                checks = " (this board checks no runs: it has no digits to check with)"
            self._say(f"sent {sent} run{'s' if sent != 1 else ''} to the board{checks}" if sent
                      else "every run is on the board already", "#2b6b2b")

    def _send_weights(self, run: Run) -> int:
        """Send ``run``'s weights; 1 when the board checked them, 0 when it cannot check runs at all."""
        try:
            answer = send_weights(self.url, self.token, run.uid, pack(list(run.weights)))
        except BoardError as err:
            if err.status == 503:  # no digits on the board's side: stop sending weights to it
                self.board_checks = False
                return 0
            raise
        run.checked_acc = answer.get("checked_acc")
        return 1

    def _say(self, text: str, colour: str) -> None:
        self.message = text
        where = f"board: {html.escape(self.url or 'none')} as <b>{html.escape(self.name)}</b>: "
        self.status.value = f"{where}<span style='color:{colour}'>{html.escape(text)}</span>"
