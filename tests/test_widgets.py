"""The experiment dashboard driven from Python: controls in, runs, curves, messages and CSV out.

Small synthetic digits (``write_synthetic_mnist``) keep every run under a second on a CPU;
one test trains on the real digits when ``NNWORKSHOP_DATA`` has them.
"""

from __future__ import annotations

import csv
import time

import ipywidgets
import pytest

from nnworkshop.data import mnist_tensors, write_synthetic_mnist
from nnworkshop.validate import check_batch_size
from nnworkshop.widgets import ExperimentDashboard
from nnworkshop.widgets.controls import FIELDS

CHOSEN = {
    "hidden_layers": 2, "widths": (32, 16), "activation": "tanh", "optimizer": "sgd_momentum", "lr": 0.05,
    "batch_size": 16, "epochs": 3, "dropout": 0.1, "weight_decay": 1e-4, "train_size": 300, "normalize": True,
    "seed": 7, "repeats": 1,
}


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """(X_train, y_train, X_test, y_test): 600 + 200 synthetic digits."""
    root = write_synthetic_mnist(tmp_path_factory.mktemp("digits"), n_train=600, n_test=200, seed=0)
    return (*mnist_tensors(True, root=root), *mnist_tensors(False, root=root))


@pytest.fixture
def dashboard(digits):
    db = ExperimentDashboard(data=digits, device="cpu")
    yield db
    if db.running:
        db.stop()
        db.wait(30)


def line_labels(db):
    return [[line.get_label() for line in ax.lines] for ax in db.figure.axes]


def assert_unlocked(db):
    assert not any(db.controls[name].disabled for name in FIELDS)
    assert not db.train_button.disabled and db.stop_button.disabled and not db.locked


def test_train_button_records_one_run_with_exactly_the_chosen_hyperparameters(dashboard):
    seen_locked = []
    dashboard.progress.observe(lambda _: seen_locked.append(dashboard.locked), names="value")
    dashboard.set(**CHOSEN)
    dashboard.train_button.click()
    assert dashboard.wait(60)

    assert len(dashboard.runs) == 1
    run = dashboard.runs[0]
    assert {k: run[k] for k in CHOSEN} == CHOSEN
    assert run["momentum"] == 0.9  # "SGD + momentum"
    assert (run["run"], run["status"], run["epochs_run"], run["device"]) == (1, "done", 3, "cpu")
    history = dashboard.history(1)
    assert history.config["n_train"] == 300 and history.config["batch_size"] == 16
    assert run["test_acc"] == round(history.test_acc[-1], 2) and run["test_acc"] > 60  # it learned
    assert run["seconds"] > 0

    loss_ax, acc_ax = dashboard.figure.axes
    assert line_labels(dashboard) == [["#1 train loss", "#1 validation loss"], ["#1 train acc", "#1 validation acc"]]
    assert list(loss_ax.lines[0].get_ydata()) == history.train_loss
    assert list(acc_ax.lines[1].get_ydata()) == history.test_acc
    assert list(acc_ax.lines[0].get_xdata()) == [1, 2, 3]

    assert seen_locked and all(seen_locked)  # locked during every epoch
    assert_unlocked(dashboard)
    assert all(p.value[:8] == b"\x89PNG\r\n\x1a\n" for p in dashboard.pictures)


def test_curves_redraw_after_every_epoch_while_training(dashboard):
    drawn = []  # (epochs on the curve, is it the run in progress?) at each new picture

    def picture_changed(_):
        loss_ax, acc_ax = dashboard.figure.axes
        legend = acc_ax.get_legend()
        live = legend is not None and any("(training)" in t.get_text() for t in legend.get_texts())
        drawn.append((len(loss_ax.lines[0].get_xdata()) if loss_ax.lines else 0, live))

    dashboard.pictures[1].observe(picture_changed, names="value")
    dashboard.set(epochs=4, train_size=200)
    dashboard.train(wait=True)
    assert drawn == [(1, True), (2, True), (3, True), (4, True), (4, False)]


def test_stop_ends_the_run_within_one_epoch(dashboard):
    dashboard.set(epochs=50, batch_size=8, train_size=600)
    dashboard.train()
    deadline = time.monotonic() + 60
    while dashboard.progress.value < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dashboard.running, "the run finished before Stop could be pressed"
    done = dashboard.stop()
    assert dashboard.wait(30), "Stop did not end the run"
    run = dashboard.runs[0]
    assert run["status"] == "stopped" and done <= run["epochs_run"] <= done + 1 < 50
    assert dashboard.history(1).interrupted
    assert_unlocked(dashboard)
    assert dashboard.stop() is None  # nothing left to stop


def test_stop_button_while_training(dashboard):
    dashboard.set(epochs=50, batch_size=8, train_size=600)
    dashboard.train_button.click()
    assert dashboard.stop_button.disabled is False and dashboard.train_button.disabled
    done = dashboard.progress.value  # a loaded machine may finish an epoch or two between the clicks
    dashboard.stop_button.click()
    assert dashboard.wait(30)
    assert dashboard.runs[0]["status"] == "stopped" and dashboard.runs[0]["epochs_run"] <= done + 1 < 50


def test_batch_larger_than_training_set_is_a_message_not_an_error(dashboard):
    dashboard.set(train_size=100, batch_size=256)
    assert dashboard.train(wait=True) is None
    expected = "batch_size=256 is larger than the training set (100 samples). Use batch_size <= 100, or train on more samples."
    with pytest.raises(ValueError) as err:
        check_batch_size(256, 100)
    assert dashboard.message == expected == str(err.value)
    assert "larger than the training set" in dashboard.message_box.value
    assert "Traceback" not in dashboard.message_box.value
    assert dashboard.runs == []
    assert_unlocked(dashboard)


def test_data_that_fit_would_refuse_is_refused_at_once_with_the_fix(digits):
    X, y, Xt, yt = digits
    with pytest.raises(TypeError, match=r"dtype torch.uint8.*X = X.float\(\) / 255"):
        ExperimentDashboard(data=((X * 255).to(dtype=__import__("torch").uint8), y, Xt, yt), device="cpu")
    with pytest.raises(ValueError, match="X has 200 samples but y has 199 labels"):
        ExperimentDashboard(data=(X, y, Xt, yt[:-1]), device="cpu")


def test_error_inside_fit_is_a_message(digits):
    X, y, Xt, yt = digits
    bad = y.clone()
    bad[0] = 12  # not a digit
    db = ExperimentDashboard(data=(X, bad, Xt, yt), device="cpu", epochs=1)
    db.train(wait=True)
    assert db.runs == []
    assert "labels must be in [0, 10)" in db.message and "Traceback" not in db.message_box.value
    assert isinstance(db.error, ValueError)
    assert_unlocked(db)


def test_diverging_run_is_marked_in_the_table(dashboard):
    dashboard.set(optimizer="sgd_momentum", lr=1.0, hidden_layers=3, width=512, activation="relu", epochs=3)
    dashboard.train(wait=True)
    run = dashboard.runs[0]
    assert run["status"] == "diverged" and run["epochs_run"] < 3
    assert dashboard.history(1).diverged
    assert dashboard.message.startswith("Run #1 diverged") and "Lower the learning rate" in dashboard.message
    cells = [c.value for c in dashboard.table.grid.children if isinstance(c, ipywidgets.HTML)]
    assert any("diverged" in c for c in cells)
    assert_unlocked(dashboard)


def test_pick_runs_to_show_and_clear_one_or_all(dashboard):
    dashboard.set(epochs=2, train_size=200)
    dashboard.train(wait=True)
    dashboard.set(seed=1, optimizer="sgd")
    dashboard.train(wait=True)
    assert [r["run"] for r in dashboard.runs] == [1, 2]
    assert line_labels(dashboard)[0] == ["#1 train loss", "#1 validation loss", "#2 train loss", "#2 validation loss"]

    dashboard.show_runs([2])
    assert line_labels(dashboard)[0] == ["#2 train loss", "#2 validation loss"]
    assert dashboard.table._boxes[1].value is False
    dashboard.table._boxes[1].value = True  # ticking the box in the table
    assert line_labels(dashboard)[1] == ["#1 train acc", "#1 validation acc", "#2 train acc", "#2 validation acc"]

    dashboard.clear(1)
    assert [r["run"] for r in dashboard.runs] == [2]
    assert line_labels(dashboard)[0] == ["#2 train loss", "#2 validation loss"]
    with pytest.raises(ValueError, match=r"there is no run #1; the runs in the table are: 2\."):
        dashboard.clear(1)
    dashboard.clear_all_button.click()
    assert dashboard.runs == [] and line_labels(dashboard) == [[], []]
    dashboard.train(wait=True)
    assert [r["run"] for r in dashboard.runs] == [3]  # numbers are never reused


def test_runs_save_as_csv(dashboard, tmp_path):
    dashboard.set(epochs=1, train_size=200)
    dashboard.train(wait=True)
    dashboard.set(lr=0.01, batch_size=32)
    dashboard.train(wait=True)
    path = dashboard.to_csv(tmp_path / "runs.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    as_text = lambda k, v: "-".join(map(str, v)) if k == "widths" else "" if v is None else str(v)  # noqa: E731
    assert rows == [{k: as_text(k, v) for k, v in run.items()} for run in dashboard.runs]
    assert rows[0]["widths"] == "128-64" and rows[0]["parameters"] == "109386"
    assert [float(r["lr"]) for r in rows] == [0.001, 0.01] and rows[1]["batch_size"] == "32"

    dashboard.csv_path.value = str(tmp_path / "from_button.csv")
    dashboard.save_button.click()
    assert (tmp_path / "from_button.csv").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert dashboard.message.startswith("Saved 2 runs to ")
    dashboard.csv_path.value = str(tmp_path / "no" / "such" / "folder.csv")
    dashboard.save_button.click()
    assert "does not exist" in dashboard.message


def test_same_seed_same_numbers(dashboard):
    dashboard.set(epochs=2, train_size=200, dropout=0.2)
    for seed in (3, 3, 4):
        dashboard.set(seed=seed)
        dashboard.train(wait=True)
    a, b, c = (dashboard.history(i) for i in (1, 2, 3))
    assert a.train_loss == b.train_loss and a.test_acc == b.test_acc
    assert a.train_loss != c.train_loss


def test_controls_refuse_values_they_cannot_show(dashboard):
    with pytest.raises(ValueError, match=r"batch_size=3 is not offered; choose one of \[1, 2, 4, 8"):
        dashboard.set(batch_size=3)
    with pytest.raises(ValueError, match=r"lr=5 is outside the control's range \[1e-05, 1\]"):
        dashboard.set(lr=5)
    with pytest.raises(ValueError, match=r"train_size=601 is outside the control's range \[1, 600\]"):
        dashboard.set(train_size=601)
    with pytest.raises(KeyError, match="no control named 'learning_rate'"):
        dashboard.set(learning_rate=0.1)


def test_train_while_training_is_refused_with_a_message(dashboard):
    dashboard.set(epochs=50, batch_size=8, train_size=600)
    first = dashboard.train()
    assert dashboard.train() is None
    assert dashboard.message == "A run is already training: wait for it, or press Stop."
    dashboard.clear_all()
    assert dashboard.message.startswith("Cannot clear the runs while a run is training")
    dashboard.stop()
    assert dashboard.wait(30) and not first.is_alive()
    assert len(dashboard.runs) == 1


def test_each_hidden_layer_has_its_own_width_and_the_parameter_count_follows(dashboard):
    from nnworkshop.models import MLP

    dashboard.set(hidden_layers=2, widths=(128, 64))
    assert "784-128-64-10" in dashboard.controls.parameters.value and "<b>109,386</b>" in dashboard.controls.parameters.value
    dashboard.controls.hidden_layers.value = 3  # the slider moved: a third menu appears, the count changes
    assert [m.layout.display for m in dashboard.controls.widths.menus] == [None, None, None, "none"]
    dashboard.controls.widths.menus[2].value = 32
    expected = sum(p.numel() for p in MLP([784, 128, 64, 32, 10]).parameters())
    assert f"<b>{expected:,}</b>" in dashboard.controls.parameters.value
    dashboard.set(epochs=1, train_size=200)
    dashboard.train(wait=True)
    run = dashboard.runs[0]
    assert run["widths"] == (128, 64, 32) and run["parameters"] == expected
    with pytest.raises(ValueError, match=r"widths=\(100,\): give up to 4 widths, each one of \[8, 16"):
        dashboard.set(widths=(100,))


def test_learning_rate_is_exactly_what_is_typed(dashboard):
    dashboard.controls.lr.value = 0.05  # what typing 0.05 in the box sends
    dashboard.set(epochs=1, train_size=200)
    dashboard.train(wait=True)
    assert dashboard.runs[0]["lr"] == 0.05 and dashboard.history(1).config["lr"] == 0.05
    dashboard.controls.lr.value = 0.0
    assert dashboard.train(wait=True) is None
    assert dashboard.message.startswith("learning rate=0 is outside [1e-05, 1]; type a value such as")
    assert len(dashboard.runs) == 1


def test_normalisation_switch_trains_on_raw_pixels_in_0_1(dashboard, digits):
    from nnworkshop.data import MEAN, STD

    X = digits[0]
    raw = dashboard._data_on("cpu", normalize=False)[0]
    assert float(raw.min()) >= -1e-6 and float(raw.max()) <= 1 + 1e-6
    assert float((raw - (X * STD + MEAN)).abs().max()) < 1e-6
    assert dashboard._data_on("cpu", normalize=True)[0].equal(X)  # on: the course's mean/std, as loaded
    dashboard.set(epochs=1, train_size=200)
    for flag in (True, False):
        dashboard.set(normalize=flag)
        dashboard.train(wait=True)
    on, off = dashboard.runs
    assert (on["normalize"], off["normalize"]) == (True, False)
    assert dashboard.history(1).train_loss != dashboard.history(2).train_loss


def test_repeats_over_seeds_show_mean_and_spread(dashboard):
    import statistics

    dashboard.set(epochs=2, train_size=200, seed=5, repeats=3)
    dashboard.train(wait=True)
    runs = dashboard.runs
    assert [(r["run"], r["seed"], r["group"]) for r in runs] == [(1, 5, 1), (2, 6, 1), (3, 7, 1)]
    accs = [r["test_acc"] for r in runs]
    mean, sd = statistics.fmean(accs), statistics.stdev(accs)
    assert f"validation accuracy {mean:.2f} ± {sd:.2f} %" in dashboard.spread.value
    assert dashboard.message.startswith(f"Runs #1–#3: validation accuracy {mean:.2f} ± {sd:.2f} %")
    acc_ax = dashboard.figure.axes[1]
    band = [line for line in acc_ax.lines if line.get_label() == "#1–#3 mean validation acc"]
    assert len(band) == 1 and acc_ax.collections  # the mean line and its shaded ± sd band
    means = [statistics.fmean(dashboard.history(i).test_acc[e] for i in (1, 2, 3)) for e in range(2)]
    assert list(band[0].get_ydata()) == pytest.approx(means)


def test_axes_follow_the_epochs_actually_run(dashboard):
    dashboard.set(epochs=40, batch_size=8, train_size=600)
    dashboard.train()
    deadline = time.monotonic() + 60
    while dashboard.progress.value < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    dashboard.stop()
    assert dashboard.wait(30)
    run = dashboard.runs[0]
    assert run["status"] == "stopped" and run["epochs_run"] < 40
    for ax in dashboard.figure.axes:
        assert ax.get_xlim() == pytest.approx((0.8, run["epochs_run"] + 0.2))


def test_presenter_switch_makes_text_and_lines_large(dashboard):
    dashboard.set(epochs=1, train_size=200)
    dashboard.train(wait=True)
    acc_ax = dashboard.figure.axes[1]
    small = (acc_ax.title.get_fontsize(), acc_ax.lines[0].get_linewidth(), acc_ax.lines[0].get_markersize())
    dashboard.presenter.value = True
    acc_ax = dashboard.figure.axes[1]
    big = (acc_ax.title.get_fontsize(), acc_ax.lines[0].get_linewidth(), acc_ax.lines[0].get_markersize())
    assert all(b >= 1.4 * s for b, s in zip(big, small)), (small, big)
    assert acc_ax.get_legend().get_texts()[0].get_fontsize() >= 13
    fig = dashboard.figure
    fig.canvas.draw()
    renderer, page = fig.canvas.get_renderer(), fig.bbox
    for ax in fig.axes:  # on the projector: every title inside the picture
        title = ax.title.get_window_extent(renderer)
        assert page.x0 <= title.x0 and title.x1 <= page.x1 and title.y1 <= page.y1, ax.get_title()
    assert "nnw-big" in dashboard.widget._dom_classes and "--jp-widgets-font-size: 20px" in dashboard.css.value
    dashboard.presenter.value = False
    assert "nnw-big" not in dashboard.widget._dom_classes


@pytest.mark.real_mnist
def test_dashboard_learns_real_digits(real_mnist_root):
    db = ExperimentDashboard(device="cpu")  # loads MNIST itself from NNWORKSHOP_DATA, through nnworkshop.data
    n = len(mnist_tensors(True, root=real_mnist_root)[1])
    assert db.controls.train_size.max == n - min(5000, n // 10)  # the rest is the validation split
    db.set(epochs=3, train_size=min(6000, db.controls.train_size.max), optimizer="adam", lr=1e-3, batch_size=64)
    db.train(wait=True)
    run = db.runs[0]
    assert run["status"] == "done" and run["test_acc"] > 88, run  # held out: validation digits


def test_the_dashboard_scores_runs_on_validation_digits_and_never_loads_the_test_set(synthetic_mnist_root, monkeypatch):
    """Every run on the dashboard (and so on the class board) is a choice: it is scored on validation digits
    set aside from the training file; the test digits are for the one final measurement (notebook 05)."""
    from nnworkshop import data as D
    from nnworkshop.widgets import digits

    real = D.mnist_tensors

    def training_file_only(train=True, **kw):
        assert train, "the dashboard loaded the test digits"
        return real(train=True, **kw)

    monkeypatch.setattr(D, "mnist_tensors", training_file_only)
    X, y, Xv, yv = digits.load_mnist(synthetic_mnist_root)
    full, labels = real(train=True, root=synthetic_mnist_root)
    assert len(X) + len(Xv) == len(full) and len(Xv) == len(full) // 10
    rows = {tuple(r.tolist()) for r in full}
    assert all(tuple(r.tolist()) in rows for r in Xv[:20]), "validation digits come from the training file"
    assert digits.HELD_OUT == "validation"


@pytest.mark.parametrize("presenter", [False, True], ids=["laptop", "projector"])
def test_the_legend_never_covers_a_curve(presenter):
    """Eight runs (more than the legend names) and a group over seeds: the legend sits under the accuracy panel,
    outside its plotting area, and inside the picture; it names the newest runs and counts the rest."""
    from nnworkshop.history import History
    from nnworkshop.widgets import curves as C
    from nnworkshop.widgets.runs import Run

    runs = []
    for i in range(1, 9):
        h = History()
        for e in range(6):
            h.append(1 / (e + 1) + 0.05 * i, 80 + 2 * e + i, 1.0, 1.1 / (e + 1), 78 + 2 * e + i)
        runs.append(Run(row={"run": i, "optimizer": "adam", "lr": 0.001, "widths": [128, 64], "activation": "relu",
                             "hidden_layers": 2, "group": 1 if i <= 3 else i, "test_acc": 90.0 + i}, history=h))
    fig = C.new_figure()
    C.draw(fig, runs, presenter=presenter)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    acc_ax = fig.axes[1]
    legend = acc_ax.get_legend().get_window_extent(renderer)
    plot = acc_ax.get_window_extent(renderer)
    assert legend.y1 <= plot.y0 and not legend.overlaps(plot)  # below the axes, never over a line
    for text in acc_ax.get_legend().get_texts():  # and every line of it in the picture
        box = text.get_window_extent(renderer)
        assert fig.bbox.y0 <= box.y0 and fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, text.get_text()
    texts = [t.get_text() for t in acc_ax.get_legend().get_texts()]
    named = C.STYLES[presenter]["runs"]
    assert texts[:named] == [r.label() for r in runs[-named:]]
    assert f"(and {8 - named} earlier runs)" in texts and any("mean ± sd (3 seeds)" in t for t in texts)
