"""``ExperimentDashboard``: controls, a Train and a Stop button, live curves and a table of runs.

Training runs ``nnworkshop.training.fit`` in a background thread, so the notebook (and
the Stop button) stay responsive; ``fit`` calls back after every epoch and the dashboard
redraws its curves there. Widget state set from that thread reaches the browser
through the kernel like any other update (ipywidgets >= 8).
"""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path

import ipywidgets as W

from ..history import History
from ..validate import DivergenceError, check_batch_size
from . import runs as R
from .controls import Controls

N_CLASSES = 10


class ExperimentDashboard:
    """Try network shapes and training settings on MNIST and compare the runs.

    ``ExperimentDashboard().show()`` in a notebook cell shows it. ``data``: optional
    ``(X_train, y_train, X_test, y_test)`` tensors or arrays (float inputs, int labels 0-9);
    by default MNIST is loaded with ``nnworkshop.data.mnist_tensors`` (from ``root``, else
    ``NNWORKSHOP_DATA``, else the cache folder). ``device``: "cuda", "mps", "cpu" or None for
    the best there is. ``**values`` set controls, e.g. ``ExperimentDashboard(epochs=3)``.

    From code: ``set(...)``, ``train(wait=True)``, ``stop()``, ``runs``, ``to_csv(path)``,
    ``figure`` (the curves as a matplotlib Figure), ``message`` (what the dashboard last said).
    """

    def __init__(self, data=None, *, device=None, root=None, **values):
        self._root = root
        self._data = None  # (X, y, X_test, y_test) on the CPU
        self._on_device: dict = {}
        self._next_id = 1
        self._thread: threading.Thread | None = None
        self._busy = False  # True from Train until the run is recorded and the controls unlocked
        self._stop = threading.Event()
        self._stop_lock = threading.Lock()
        self._draw_lock = threading.Lock()
        self._live: R.Run | None = None
        self.error: BaseException | None = None  # the last problem, for code; the learner sees ``message``

        self.message_box = W.HTML().add_class("nnw-message")
        self.message = ""
        problem = None
        if data is not None:
            self._data = _as_four_tensors(data)
        else:
            try:
                self._data = self._load_mnist()
            except Exception as err:  # no digits yet: said in the dashboard, tried again on Train
                problem = err
        self.controls = Controls(len(self._data[0]) if self._data else 60_000)
        if values:
            self.controls.set(**values)

        self.device = None
        self.device_box = W.HTML().add_class("nnw-device")
        try:
            self._use_device(device)
        except (ValueError, RuntimeError) as err:
            problem = problem or err

        self.train_button = W.Button(description="Train", icon="play", button_style="success")
        self.train_button.add_class("nnw-train")
        self.train_button.on_click(lambda _: self.train())
        self.stop_button = W.Button(description="Stop", icon="stop", button_style="danger", disabled=True)
        self.stop_button.add_class("nnw-stop")
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = W.IntProgress(0, min=0, max=self.controls.epochs.value, description="",
                                      style={"description_width": "80px"})
        self.progress.add_class("nnw-progress")
        self.status = W.HTML().add_class("nnw-status")

        self.figure = R.new_figure()
        self.curves = W.Image(format="png", layout={"width": "855px"})
        self.curves.add_class("nnw-curves")
        self.table = R.RunTable(on_change=self._redraw)
        self.clear_all_button = W.Button(description="Clear all", icon="trash")
        self.clear_all_button.add_class("nnw-clear-all")
        self.clear_all_button.on_click(lambda _: self.clear_all())
        self.csv_path = W.Text("runs.csv", description="CSV file", layout={"width": "260px"})
        self.save_button = W.Button(description="Save CSV", icon="save")
        self.save_button.add_class("nnw-save")
        self.save_button.on_click(lambda _: self._save_clicked())

        right = W.VBox([W.HBox([self.train_button, self.stop_button, self.progress]), self.status,
                        self.device_box, self.message_box, self.curves])
        runs_bar = W.HBox([W.HTML("<b>Runs</b>", layout={"width": "50px"}), self.clear_all_button,
                           self.csv_path, self.save_button])
        self.widget = W.VBox([W.HBox([self.controls.box, right]), runs_bar, self.table.grid])
        self.widget.add_class("nnw-dashboard")
        self._redraw()
        if problem is not None:
            self._say_error(problem)

    # ------------------------------------------------------------------ showing

    def show(self) -> None:
        """Display the dashboard in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ controls

    def set(self, **values) -> None:
        """Set controls by name: ``set(hidden_layers=2, width=64, lr=0.01, optimizer="sgd_momentum")``.

        Names: hidden_layers, width, activation, optimizer ("sgd", "sgd_momentum", "adam"), lr,
        batch_size, epochs, dropout, weight_decay, train_size, seed.
        """
        self.controls.set(**values)

    def values(self) -> dict:
        """The hyperparameters the controls show now (what Train would use)."""
        return self.controls.values()

    # ------------------------------------------------------------------ training

    @property
    def running(self) -> bool:
        """True while a run is training."""
        return self._busy

    def train(self, wait: bool = False):
        """Start a run with the controls' values (what the Train button does); return its thread.

        ``wait=True`` returns only when the run has finished. A problem with the settings
        (e.g. a batch larger than the training set) is shown in the dashboard, nothing is
        trained, and None is returned.
        """
        if self.running:
            self._say("A run is already training: wait for it, or press Stop.", "warning")
            return None
        values = self.controls.values()
        try:
            if self._data is None:
                self._data = self._load_mnist()
            if self.device is None:
                self._use_device(None)
            check_batch_size(values["batch_size"], values["train_size"])
            if values["train_size"] > len(self._data[0]):
                raise ValueError(f"training digits={values['train_size']} is more than the {len(self._data[0])} there are.")
        except Exception as err:  # shown, never raised: the learner changes a control and tries again
            self._say_error(err)
            return None
        run_id = self._next_id
        self._next_id += 1
        self._stop.clear()
        self._busy = True
        self._live = R.Run(row={"run": run_id, **values}, history=History())
        self._lock(True)
        self.progress.max, self.progress.value, self.progress.bar_style = values["epochs"], 0, "info"
        self.progress.description = f"epoch 0/{values['epochs']}"
        self.status.value = ""
        self._say(f"Run #{run_id} training on {self.device.type}...", "info")
        self._thread = threading.Thread(target=self._run, args=(run_id, values), name=f"nnworkshop-run-{run_id}",
                                        daemon=True)
        self._thread.start()
        if wait:
            self.wait()
        return self._thread

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run (if any) has finished; False if ``timeout`` seconds passed first.

        Interrupting the kernel while waiting stops the run at the end of its epoch.
        """
        thread = self._thread
        if thread is None:
            return True
        try:
            thread.join(timeout)
        except KeyboardInterrupt:
            self.stop()
            thread.join()
        return not thread.is_alive()

    def stop(self):
        """Ask the run in progress to stop at the end of its current epoch (the Stop button).

        Returns how many epochs had finished when asked (the run ends after at most one
        more), or None when nothing was training.
        """
        if not self.running or self._live is None:
            return None
        with self._stop_lock:
            done = self._live.history.epochs
            self._stop.set()
        self.stop_button.disabled = True
        self._say(f"Stopping run #{self._live.id} at the end of this epoch...", "info")
        return done

    def _run(self, run_id: int, values: dict) -> None:
        """The training thread: build the model, call ``fit``, record the run, unlock."""
        from ..models import MLP
        from ..training import fit
        import torch

        live = self._live
        start = time.perf_counter()
        status, history, note = "done", None, ""
        try:
            X, y, Xt, yt = self._data_on(self.device)
            n = values["train_size"]
            sizes = [X.shape[1]] + [values["width"]] * values["hidden_layers"] + [N_CLASSES]
            with torch.random.fork_rng(devices=[]):  # the seed decides the initial weights, nothing global changes
                torch.manual_seed(values["seed"])
                model = MLP(sizes, activation=values["activation"], dropout=values["dropout"])
            try:
                history = fit(
                    model, (X[:n], y[:n]), (Xt, yt), epochs=values["epochs"],
                    optimizer="adam" if values["optimizer"] == "adam" else "sgd", lr=values["lr"],
                    momentum=values["momentum"], weight_decay=values["weight_decay"],
                    batch_size=values["batch_size"], device=self.device, seed=values["seed"],
                    progress=False, callbacks=(self._after_epoch,),
                )
                status = "diverged" if history.diverged else "stopped" if history.interrupted else "done"
            except DivergenceError as err:
                history, status, note = getattr(err, "history", None) or live.history, "diverged", str(err)
        except Exception as err:  # a message in the dashboard, never a traceback
            self._say_error(err)
            self.progress.bar_style = "danger"
        else:
            seconds = time.perf_counter() - start
            row = R.make_row(run_id, values, history, status, seconds, history.device or self.device.type)
            self.table.add(R.Run(row=row, history=history))
            self.progress.bar_style = {"done": "success", "stopped": "warning"}.get(status, "danger")
            summary = _summary(row)
            if status == "diverged":
                self._say(f"Run #{run_id} diverged and is marked so in the table. {note}", "error")
            else:
                self._say(f"Run #{run_id} {'finished' if status == 'done' else 'stopped'}: {summary}.", "success")
        finally:
            self._live = None
            self._redraw()
            self._busy = False  # before unlocking: a Train click right after must be taken
            self._lock(False)

    def _after_epoch(self, history: History, model) -> bool:
        """``fit``'s callback: show the epoch, redraw the curves, say whether to stop."""
        live = self._live
        live.history = history
        epochs = live.row["epochs"]
        self.progress.value = history.epochs
        self.progress.description = f"epoch {history.epochs}/{epochs}"
        last = history.last()
        test = f", test acc {last['test_acc']:.1f}%" if last["test_acc"] is not None else ""
        self.status.value = f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.1f}%{test}"
        self._redraw(live)
        with self._stop_lock:
            return self._stop.is_set()

    def _lock(self, locked: bool) -> None:
        self.controls.lock(locked)
        self.table.lock(locked)
        for button in (self.train_button, self.clear_all_button, self.save_button):
            button.disabled = locked
        self.stop_button.disabled = not locked

    @property
    def locked(self) -> bool:
        """True while the controls are greyed out (a run is training)."""
        return self.controls.locked and self.train_button.disabled

    # ------------------------------------------------------------------ runs

    @property
    def runs(self) -> list[dict]:
        """Every finished run as a dict: the hyperparameters (the control names, plus momentum),
        then status ("done", "stopped", "diverged"), epochs_run, final train/test loss and
        accuracy (%), seconds and device. Copies: editing them changes nothing here."""
        return [dict(run.row) for run in self.table.runs]

    def history(self, run_id: int) -> History:
        """The full per-epoch ``History`` of run ``run_id``."""
        return self.table.get(run_id).history

    def show_runs(self, run_ids) -> None:
        """Show the curves of exactly the runs numbered in ``run_ids``; hide the others."""
        wanted = set(run_ids)
        for run_id in wanted:
            self.table.get(run_id)  # unknown numbers are an error
        for run in list(self.table.runs):
            self.table.set_visible(run.id, run.id in wanted)

    def clear(self, run_id: int) -> None:
        """Remove run ``run_id`` from the table and the curves."""
        if self._refuse_while_running("clear a run"):
            return
        self.table.clear(run_id)

    def clear_all(self) -> None:
        """Remove every run (run numbers keep counting up)."""
        if self._refuse_while_running("clear the runs"):
            return
        self.table.clear()
        self._say("Cleared all runs.", "info")

    def to_csv(self, path) -> Path:
        """Save ``runs`` as CSV (one row per run, a header of column names); return the path."""
        return R.write_csv(self.runs, path)

    def _save_clicked(self) -> None:
        try:
            path = self.to_csv(self.csv_path.value.strip() or "runs.csv")
        except (OSError, ValueError) as err:
            self._say_error(err)
            return
        self._say(f"Saved {len(self.runs)} runs to {path.resolve()}", "success")

    def _refuse_while_running(self, what: str) -> bool:
        if self.running:
            self._say(f"Cannot {what} while a run is training: wait for it, or press Stop.", "warning")
            return True
        return False

    # ------------------------------------------------------------------ drawing and messages

    def _redraw(self, live: R.Run | None = None) -> None:
        with self._draw_lock:
            R.draw(self.figure, self.table.runs, live)
            self.curves.value = R.png(self.figure)

    def _say(self, text: str, kind: str = "info") -> None:
        self.message = text
        colors = {"info": "#31708f", "success": "#2b6b2b", "warning": "#8a6d3b", "error": "#a94442"}
        self.message_box.value = (
            f"<div style='color:{colors[kind]};max-width:850px;white-space:normal'>{html.escape(text)}</div>"
        )

    def _say_error(self, err: BaseException) -> None:
        self.error = err
        text = str(err) if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: {err}"
        self._say(text, "error")

    # ------------------------------------------------------------------ data and device

    def _load_mnist(self):
        from ..data import mnist_tensors

        X, y = mnist_tensors(train=True, root=self._root)
        Xt, yt = mnist_tensors(train=False, root=self._root)
        return X, y, Xt, yt

    def _data_on(self, device):
        key = str(device)
        if key not in self._on_device:
            self._on_device = {key: tuple(t.to(device) for t in self._data)}  # one copy, on the device in use
        return self._on_device[key]

    def _use_device(self, prefer) -> None:
        from ..device import explain_device
        import torch

        name, reason = explain_device(prefer)
        self.device = torch.device(name)
        self.device_box.value = f"<span style='color:#555'>device: <b>{html.escape(name)}</b> ({html.escape(reason)})</span>"


def _summary(row: dict) -> str:
    parts = [f"{row['epochs_run']} epochs in {row['seconds']:.1f} s on {row['device']}"]
    for key, name in (("train_acc", "train"), ("test_acc", "test")):
        if row[key] is not None:
            parts.append(f"{name} accuracy {row[key]:.2f}%")
    return ", ".join(parts)


def _as_four_tensors(data):
    """``(X_train, y_train, X_test, y_test)`` as CPU tensors: float32 inputs (N, features), int64 labels."""
    import torch

    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be (X_train, y_train, X_test, y_test), e.g. from nnworkshop.data.mnist_tensors().")
    X, y, Xt, yt = (torch.as_tensor(a) for a in data)
    if len(X) != len(y) or len(Xt) != len(yt):
        raise ValueError(f"inputs and labels must pair up: got {len(X)}/{len(y)} training and {len(Xt)}/{len(yt)} test.")
    if len(X) == 0:
        raise ValueError("the training set is empty; pass at least one digit.")
    return X.reshape(len(X), -1).float(), y.long(), Xt.reshape(len(Xt), -1).float(), yt.long()


__all__ = ["ExperimentDashboard"]
