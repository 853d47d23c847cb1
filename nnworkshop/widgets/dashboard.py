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

import ipywidgets as W

from ..choices import OPTIMIZERS
from ..history import History
from ..validate import DivergenceError, check_batch_size
from . import curves as C
from . import runs as R
from .controls import N_CLASSES, Controls, parameter_count
from .digits import HELD_OUT, as_four_tensors, data_on, load_mnist, pick_device
from .run_actions import RunActions
from .sharing import BoardLink
from .style import presenter_css


class ExperimentDashboard(RunActions):
    """Try network shapes and training settings on MNIST and compare the runs.

    ``ExperimentDashboard().show()`` in a notebook cell shows it. Every run is scored on validation digits, set
    aside from the training file, never on the test set. ``data``: optional
    ``(X_train, y_train, X_val, y_val)`` tensors or arrays (float inputs normalised with the
    course's ``MEAN``/``STD`` as ``nnworkshop.data.mnist_tensors`` gives them, int labels 0-9);
    by default MNIST is loaded with ``mnist_tensors`` (from ``root``, else ``NNWORKSHOP_DATA``,
    else the cache folder). ``device``: "cuda", "mps", "cpu" or None for the best there is.
    ``**values`` set controls, e.g. ``ExperimentDashboard(epochs=3, widths=(128, 64))``.

    A class board: ``board="http://HOST:PORT"``, ``token=`` (the class token) and ``name=``
    (shown on the board), or ``NNWORKSHOP_BOARD`` / ``NNWORKSHOP_BOARD_TOKEN`` /
    ``NNWORKSHOP_BOARD_NAME`` in the environment; ``auto_send=True`` sends each run as it finishes.

    From code: ``set(...)``, ``train(wait=True)``, ``stop()``, ``runs``, ``to_csv(path)``,
    ``figure`` (the curves as a matplotlib Figure; ``pictures``: its two panels as shown), ``message`` (what the dashboard last said).
    """

    def __init__(self, data=None, *, device=None, root=None, board=None, token=None, name=None,
                 auto_send: bool = False, **values):
        self._root = root
        self._data = None  # (X, y, X_val, y_val) on the CPU
        self._on_device: dict = {}
        self._next_id = 1
        self._thread: threading.Thread | None = None
        self._busy = False  # True from Train until the run is recorded and the controls unlocked
        self._stop = threading.Event()
        self._stop_lock = threading.Lock()
        self._draw_lock = threading.Lock()
        self._live: R.Run | None = None
        self._prefix = ""  # "run 2/3, " while a setting is repeated over seeds
        self.error: BaseException | None = None  # the last problem, for code; the learner sees ``message``

        self.message_box = W.HTML().add_class("nnw-message")
        self.message = ""
        problem = None
        if data is not None:
            self._data = as_four_tensors(data)
        else:
            try:
                self._data = self._load_mnist()
            except Exception as err:  # no digits yet: said in the dashboard, tried again on Train
                problem = err
        n_inputs = self._data[0].shape[1] if self._data else 784
        self.controls = Controls(len(self._data[0]) if self._data else 60_000, n_inputs)
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
                                      style={"description_width": "initial"})
        self.progress.add_class("nnw-progress")
        self.status = W.HTML().add_class("nnw-status")

        self.figure = C.new_figure()
        # one picture per panel: side by side when there is room, one under the other when not
        self.pictures = tuple(W.Image(format="png", layout={"flex": "1 1 340px", "min_width": "0", "max_width": "640px",
                                                            "height": "auto"}) for _ in range(2))
        for picture, kind in zip(self.pictures, ("loss", "acc")):
            picture.add_class("nnw-curves").add_class(f"nnw-{kind}-curves")
        self.curves = W.HBox(self.pictures, layout={"flex_flow": "row wrap", "align_items": "flex-start", "width": "100%"})
        self.curves.add_class("nnw-curves-row")
        self.spread = W.HTML().add_class("nnw-spread")
        self.presenter = W.ToggleButton(False, description="Presenter", icon="television",
                                        tooltip="large text, thick lines and big markers, for a projector")
        self.presenter.add_class("nnw-presenter")
        self.css = W.HTML(presenter_css(False), layout={"display": "none"})
        self.presenter.observe(lambda c: self._set_presenter(c["new"]), names="value")
        self.table = R.RunTable(on_change=self._redraw)
        self.clear_all_button = W.Button(description="Clear all", icon="trash")
        self.clear_all_button.add_class("nnw-clear-all")
        self.clear_all_button.on_click(lambda _: self.clear_all())
        self.csv_path = W.Text("runs.csv", description="CSV file", layout={"width": "16em"})
        self.save_button = W.Button(description="Save CSV", icon="save")
        self.save_button.add_class("nnw-save")
        self.save_button.on_click(lambda _: self._save_clicked())

        self.board = BoardLink(board, token, name, auto_send, on_sent=lambda run: self.table.refresh())
        self.board.inputs = n_inputs
        self.board.send_button.on_click(lambda _: self.send_to_board())

        # Rows that wrap: on a narrow screen (a sidebar open, 150 % zoom) the curves move under the controls
        # instead of being squeezed beside them; the run table scrolls sideways inside its own box.
        wrap = {"flex_flow": "row wrap", "align_items": "center", "grid_gap": "0.3em 0.6em"}
        self._buttons = W.HBox([self.train_button, self.stop_button, self.progress, self.presenter], layout=wrap)
        self._right = W.VBox(layout={"flex": "1 1 600px", "min_width": "min(100%, 600px)"})
        self._runs_bar = W.HBox([W.HTML("<b>Runs</b>"), self.clear_all_button, self.csv_path, self.save_button], layout=wrap)
        self._top = W.HBox(layout={"flex_flow": "row wrap", "grid_gap": "0.5em 1em", "width": "100%"})
        self.widget = W.VBox(layout={"width": "100%", "max_width": "100%"})
        self._arrange(presenter=False)
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
        """Set controls by name: ``set(hidden_layers=2, widths=(128, 64), lr=0.05, optimizer="sgd_momentum")``.

        Names: hidden_layers, widths (one per hidden layer; ``width=64`` sets them all), activation,
        optimizer ("sgd", "sgd_momentum", "adam"), lr (any value in [1e-5, 1], kept exactly),
        batch_size, epochs, dropout, weight_decay, train_size, normalize (False: pixels in [0, 1]),
        seed, repeats (train the setting with seeds seed, seed+1, ...: mean ± sd shown).
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
            self.controls.check()
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
        first = self._next_id
        seeds = [values["seed"] + k for k in range(values["repeats"])]  # one run per seed, numbered in a row
        self._next_id += len(seeds)
        self._stop.clear()
        self._busy = True
        self._lock(True)
        self.status.value = ""
        self._thread = threading.Thread(target=self._run_series, args=(first, values, seeds),
                                        name=f"nnworkshop-run-{first}", daemon=True)
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
        more), or None when nothing was training. A setting repeated over seeds stops
        there too: the seeds not started yet are not trained.
        """
        if not self.running:
            return None
        with self._stop_lock:
            live = self._live
            done = live.history.epochs if live is not None else 0
            self._stop.set()
        self.stop_button.disabled = True
        self._say(f"Stopping run #{live.id if live is not None else self._next_id - 1} at the end of this epoch...", "info")
        return done

    def _run_series(self, first: int, values: dict, seeds: list[int]) -> None:
        """The training thread: one run per seed (stopping early on Stop or an error), then unlock."""
        try:
            for k, seed in enumerate(seeds):
                if (k and self._stop.is_set()) or not self._run(first + k, {**values, "seed": seed}, first, (k + 1, len(seeds))):
                    break
            recorded = [r for r in self.table.runs if r.row["group"] == first]
            if len(recorded) >= 2:
                self._say(f"Runs #{recorded[0].id}–#{recorded[-1].id}: " + C.spread_text(recorded)[0].split(": ", 1)[1], "success")
        finally:
            self._live = None
            self._redraw()
            self._busy = False  # before unlocking: a Train click right after must be taken
            self._lock(False)

    def _run(self, run_id: int, values: dict, group: int, part: tuple[int, int]) -> bool:
        """Train one run: build the model, call ``fit``, record the run; False when the series should end."""
        from ..models import MLP
        from ..training import fit
        import torch

        epochs = values["epochs"]
        with self._stop_lock:
            live = self._live = R.Run(row={"run": run_id, "group": group, **values}, history=History())
        self._prefix = f"run {part[0]}/{part[1]}, " if part[1] > 1 else ""
        self.progress.max, self.progress.value, self.progress.bar_style = epochs, 0, "info"
        self.progress.description = f"{self._prefix}epoch 0/{epochs}"
        self._say(f"Run #{run_id} (seed {values['seed']}) training on {self.device.type}...", "info")
        start = time.perf_counter()
        status, history, note = "done", None, ""
        try:
            X, y, Xv, yv = self._data_on(self.device, values["normalize"])
            n = values["train_size"]
            sizes = [X.shape[1], *values["widths"], N_CLASSES]
            with torch.random.fork_rng(devices=[]):  # the seed decides the initial weights, nothing global changes
                torch.manual_seed(values["seed"])
                model = MLP(sizes, activation=values["activation"], dropout=values["dropout"])
            try:
                history = fit(
                    model, (X[:n], y[:n]), val=(Xv, yv), epochs=epochs,
                    optimizer=OPTIMIZERS[values["optimizer"]].optimizer, lr=values["lr"],
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
            return False
        seconds = time.perf_counter() - start
        row = R.make_row(run_id, values, history, status, seconds, history.device or self.device.type,
                         group=group, parameters=parameter_count(sizes))
        run = R.Run(row=row, history=history)
        if self.board.active and status != "diverged":  # the board can score these itself (only weights travel, never code)
            run.weights = [p.detach().cpu().numpy().copy() for m in model.modules() if isinstance(m, torch.nn.Linear)
                           for p in (m.weight, m.bias)]
        self.table.add(run)
        self.progress.bar_style = {"done": "success", "stopped": "warning"}.get(status, "danger")
        if status == "diverged":
            self._say(f"Run #{run_id} diverged and is marked so in the table. {note}", "error")
        else:
            self._say(f"Run #{run_id} {'finished' if status == 'done' else 'stopped'}: {_summary(row)}.", "success")
        if self.board.active and self.board.auto.value:
            self.board.send([run])
        return status == "done"

    def _after_epoch(self, history: History, model) -> bool:
        """``fit``'s callback: show the epoch, redraw the curves, say whether to stop."""
        live = self._live
        live.history = history
        epochs = live.row["epochs"]
        self.progress.value = history.epochs
        self.progress.description = f"{self._prefix}epoch {history.epochs}/{epochs}"
        last = history.last()
        held = f", {HELD_OUT} acc {last['test_acc']:.1f}%" if last["test_acc"] is not None else ""
        self.status.value = f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.1f}%{held}"
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

    # ------------------------------------------------------------------ drawing and messages

    def _redraw(self, live: R.Run | None = None) -> None:
        with self._draw_lock:
            C.draw(self.figure, self.table.runs, live, presenter=self.presenter.value)
            for picture, data in zip(self.pictures, C.panel_pngs(self.figure)):
                picture.value = data
            lines = C.spread_text([r for r in self.table.runs if r.visible])
            self.spread.value = "<br>".join(html.escape(t) for t in lines)

    def _arrange(self, presenter: bool) -> None:
        """Lay the parts out: controls beside the curves, the runs below (on a laptop); or, in presenter mode,
        the results first (buttons, curves, the run table with its accuracies) and the controls under them,
        so a 1280x720 projector shows what the room looks at without scrolling."""
        status = [self.status, self.device_box, self.message_box]
        # beside the curves the controls take 27em of the row's width; under them (a column) their full height
        self.controls.box.layout.flex = "0 0 auto" if presenter else "0 1 27em"
        self.controls.box.layout.max_width = "36em" if presenter else None
        if presenter:  # the device line (said once, long) goes under the table with the controls
            self._right.children, self._top.children = (), ()
            self.widget.children = [self.css, self._buttons, self.status, self.message_box, self.curves, self.table.box,
                                    self.spread, self._runs_bar, self.board.widget, self.device_box, self.controls.box]
        else:
            self._right.children = [self._buttons, *status, self.curves, self.spread]
            self._top.children = [self.controls.box, self._right]
            self.widget.children = [self.css, self._top, self._runs_bar, self.board.widget, self.table.box]

    def _set_presenter(self, on: bool) -> None:
        """Presenter mode: large text and controls, thick lines and big markers, results first (for a projector)."""
        (self.widget.add_class if on else self.widget.remove_class)("nnw-big")
        self.css.value = presenter_css(on)
        self._redraw(self._live)  # first: the pictures moved by _arrange are drawn anew, already large
        self._arrange(on)

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
        return load_mnist(self._root)

    def _data_on(self, device, normalize: bool = True):
        self._on_device = data_on(self._data, self._on_device, device, normalize)
        return self._on_device[(str(device), bool(normalize))]

    def _use_device(self, prefer) -> None:
        self.device, self.device_box.value = pick_device(prefer)


def _summary(row: dict) -> str:
    parts = [f"{row['epochs_run']} epochs in {row['seconds']:.1f} s on {row['device']}"]
    for key, name in (("train_acc", "train"), ("test_acc", HELD_OUT)):
        if row[key] is not None:
            parts.append(f"{name} accuracy {row[key]:.2f}%")
    return ", ".join(parts)


__all__ = ["ExperimentDashboard"]
