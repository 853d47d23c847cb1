"""nnworkshop.plots: every function returns a Figure with the expected axes and artists, headless."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from nnworkshop import plots
from nnworkshop.history import History


def _history(label="", test=True, epochs=3):
    h = History(label=label)
    for e in range(epochs):
        h.append(2.0 / (e + 1), 50 + 10 * e, 0.1, 2.2 / (e + 1) if test else None, 45 + 10 * e if test else None)
    return h


@pytest.fixture(scope="module")
def digits():
    """(X float32 (40, 784), y) with learnable classes: class c lights up pixels [c*70, c*70+70)."""
    rng = np.random.default_rng(0)
    y = np.arange(40) % 10
    X = rng.normal(0, 0.1, size=(40, 784)).astype(np.float32)
    for i, c in enumerate(y):
        X[i, c * 70 : c * 70 + 70] += 3
    return X, y


def test_plots_import_neither_torch_nor_pyplot():
    code = "import sys, nnworkshop.plots; print('torch' in sys.modules, 'matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_curves_one_run():
    fig = plots.curves(_history("sgd"))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss, acc = fig.axes
    assert [line.get_linestyle() for line in loss.lines] == ["-", "--"]  # train solid, test dashed
    np.testing.assert_allclose(loss.lines[0].get_ydata(), [2.0, 1.0, 2 / 3])
    np.testing.assert_allclose(acc.lines[1].get_ydata(), [45, 55, 65])
    assert list(loss.lines[0].get_xdata()) == [1, 2, 3]
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["sgd train loss", "sgd test loss"]


def test_curves_overlays_runs_with_labels():
    fig = plots.curves([_history(), _history(test=False, epochs=5)], labels=["a", "b"])
    loss, acc = fig.axes
    assert len(loss.lines) == 3 and len(acc.lines) == 3
    assert [t.get_text() for t in acc.get_legend().get_texts()] == ["a train acc", "a test acc", "b train acc"]
    assert loss.lines[0].get_color() != loss.lines[2].get_color()  # one colour per run
    fig = plots.curves({"x": _history(), "y": _history(), "z": _history()})
    assert len(fig.axes[0].lines) == 6
    with pytest.raises(ValueError, match="got 1 labels for 2 histories"):
        plots.curves([_history(), _history()], labels=["only one"])


def test_samples_grid_with_labels_and_predictions(digits):
    X, y = digits
    fig = plots.samples((X, y), n=9)
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes] == [f"label {c}" for c in y[:9]]
    assert fig.axes[0].images[0].get_array().shape == (28, 28)

    guesses = y.copy()
    guesses[1] = 7
    fig = plots.samples((X.reshape(-1, 1, 28, 28), y), n=4, predictions=guesses)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["0 -> 0", "1 -> 7", "2 -> 2", "3 -> 3"]
    assert to_rgba(titles[1].get_color()) == to_rgba(plots.WRONG)
    assert to_rgba(titles[0].get_color()) == to_rgba(plots.RIGHT)
    with pytest.raises(ValueError, match="n=41 but the data holds only 40 samples"):
        plots.samples((X, y), n=41)


def test_samples_of_a_torchvision_dataset(synthetic_mnist_root):
    from nnworkshop.data import mnist

    ds = mnist(train=False, root=synthetic_mnist_root)
    fig = plots.samples(ds, n=6)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes] == [f"label {int(ds.targets[i])}" for i in range(6)]


def _check_prediction_figure(fig, probs, y, n):
    assert isinstance(fig, Figure) and len(fig.axes) == 2 * n  # n images + n bar charts
    bar_axes = [ax for ax in fig.axes if ax.patches]
    assert len(bar_axes) == n
    for i, ax in enumerate(bar_axes):
        heights = [p.get_height() for p in ax.patches]
        np.testing.assert_allclose(heights, probs[i], rtol=1e-5, atol=1e-7)
        guess = int(np.argmax(probs[i]))
        expected = plots.RIGHT if guess == y[i] else plots.WRONG
        assert to_rgba(ax.patches[guess].get_facecolor()) == to_rgba(expected)
        others = [to_rgba(p.get_facecolor()) for j, p in enumerate(ax.patches) if j != guess]
        assert set(others) == {to_rgba(plots.OTHER)}
    return int((probs[:n].argmax(1) == y[:n]).sum())


def test_predictions_with_a_torch_model(digits):
    torch = pytest.importorskip("torch")
    from nnworkshop.models import MLP
    from nnworkshop.training import fit, predict_proba

    X, y = digits
    torch.manual_seed(0)
    model = MLP((784, 16, 10))
    fit(model, (X, y), epochs=1, lr=0.01, batch_size=8, seed=0, progress=False)  # half trained: some wrong
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(X[:8])), 1).numpy()
    all_probs = predict_proba(model, X)  # the notebook computes them; the plot only draws them
    fig = plots.predictions((torch.from_numpy(X), torch.from_numpy(y)), all_probs, n=8)
    right = _check_prediction_figure(fig, probs, y, 8)
    assert 0 < right < 8  # both colours are exercised
    with pytest.raises(TypeError, match=r"takes probabilities, not a model.*predict_proba\(model, X\)"):
        plots.predictions(model, (X, y), n=8)  # the old order, a model first: the error names the fix


def test_predictions_with_a_scratch_model(digits):
    scratch = pytest.importorskip("nnworkshop.scratch")
    X, y = digits
    net = scratch.mlp((784, 16, 10), seed=0)
    probs = scratch.predict_proba(net, X[:5])
    fig = plots.predictions((X, y), scratch.predict_proba(net, X), n=5)
    _check_prediction_figure(fig, probs, y, 5)
    fig = plots.predictions((X, y), scratch.predict_proba(net, X), indices=[4, 0])  # picked rows, in that order
    # float32 rows computed in a batch of 40 and a batch of 5: BLAS may block the sums differently, so the
    # last bits differ by build (4e-8 seen); compare to float32's precision, not one BLAS's rounding.
    np.testing.assert_allclose([p.get_height() for p in fig.axes[2].patches], probs[4], rtol=1e-5, atol=1e-7)
    with pytest.raises(TypeError, match="takes probabilities, not a model"):
        plots.predictions((X, y), net)
    with pytest.raises(ValueError, match=r"probabilities has shape \(5, 10\); expected \(40, classes\)"):
        plots.predictions((X, y), probs, n=2)  # one row per digit in data, not per digit shown


def test_compare_probabilities_draws_every_models_bars_for_the_chosen_digits(digits):
    X, y = digits
    rng = np.random.default_rng(1)
    p_a, p_b = rng.dirichlet(np.ones(10), size=len(X)), rng.dirichlet(np.ones(10), size=len(X))
    fig = plots.compare_probabilities((X, y), {"A": p_a, "B": p_b}, indices=[3, 7, 11])
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    for col, i in enumerate([3, 7, 11]):
        top, bottom = fig.axes[col], fig.axes[3 + col]
        assert top.get_title().split("\n")[0] == f"label {y[i]}: A {p_a[i].argmax()}, B {p_b[i].argmax()}"
        heights = [patch.get_height() for patch in bottom.patches]
        np.testing.assert_allclose(heights, np.concatenate([p_a[i], p_b[i]]))
    wide = plots.compare_probabilities((X, y), {"A": p_a, "B": p_b}, indices=range(6))
    assert len(wide.axes) == 12 and wide.get_size_inches()[0] <= 10  # two rows of 3, not one row of 6
    many = plots.predictions((X, y), p_a, n=9)
    assert len(many.axes) == 18 and many.get_size_inches()[0] <= 10.2  # rows of 5 and 4: fits a page's column
    with pytest.raises(ValueError, match=r"probabilities\['B'\] has shape \(5, 10\); expected \(40, classes\)"):
        plots.compare_probabilities((X, y), {"A": p_a, "B": p_b[:5]})


def test_confusion_matrix_counts():
    cm = plots.confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    assert cm.sum() == 5
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        plots.confusion_matrix([0, 3], [0, 1], n_classes=3)
    with pytest.raises(ValueError, match="y_true has 2 labels but y_pred has 1"):
        plots.confusion_matrix([0, 1], [0], n_classes=3)


def test_confusion_figure_shows_the_counts(digits):
    scratch = pytest.importorskip("nnworkshop.scratch")
    X, y = digits
    net = scratch.mlp((784, 16, 10), seed=0)
    expected = plots.confusion_matrix(y, scratch.predict(net, X))
    fig = plots.confusion(y, scratch.predict_proba(net, X))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    counts = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    assert sum(counts.values()) == len(y)
    assert counts == {(t, p): int(expected[t, p]) for t in range(10) for p in range(10) if expected[t, p]}


def test_confusion_draws_a_single_mistake_visibly_beside_a_large_diagonal():
    y = np.array([0] * 500 + [1] * 500 + [1])
    predicted = y.copy()
    predicted[-1] = 0  # one 1 read as a 0
    fig = plots.confusion(y, np.eye(2)[predicted])
    image = np.asarray(fig.axes[0].images[0].get_array(), dtype=float)
    mistake, empty, right = image[1, 0], image[0, 1], image[0, 0]
    assert np.allclose(empty[:3], 1.0)  # no count: white
    assert mistake[:3].min() < 0.85 and mistake[0] > mistake[2]  # one mistake: a visible red, not white on white
    assert right[2] > right[0]  # right answers: blue
    colours = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert colours["1"] in ("black", "white") and "mistakes in red" in fig.axes[0].get_title()


def test_confusion_of_a_torch_model_from_tensors(synthetic_mnist_root):
    torch = pytest.importorskip("torch")
    from nnworkshop.data import mnist, mnist_tensors
    from nnworkshop.models import MLP
    from nnworkshop.training import predict_proba

    torch.manual_seed(0)
    model = MLP()
    X, y = mnist_tensors(train=False, root=synthetic_mnist_root)
    with torch.no_grad():
        expected = plots.confusion_matrix(y.numpy(), model(X).argmax(1).numpy())
    test_set = mnist(train=False, root=synthetic_mnist_root)
    fig = plots.confusion(test_set.targets, predict_proba(model, X))  # tensors are fine too
    shown = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in fig.axes[0].texts}
    assert shown == {(t, p): int(expected[t, p]) for t in range(10) for p in range(10) if expected[t, p]}
    fig.savefig(__import__("io").BytesIO(), format="png")  # renders headless


def test_curves_with_many_runs_keeps_the_legend_off_the_axes():
    fig = plots.curves([_history() for _ in range(3)], labels=[f"lr {i}" for i in range(3)])
    assert all(ax.get_legend() is None for ax in fig.axes)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == [f"lr {i}" for i in range(3)] + ["train", "test"]


def test_final_accuracy_dots_markers_labels_and_error_bars():
    fig = plots.final_accuracy(["a", "b", "c"], [95.0, 96.5, 90.0], train_acc=[97.0, 99.0, 91.0],
                               test_spread=[0.2, 0.3, 0.1])
    ax = fig.axes[0]
    assert not [p for p in ax.patches if p.get_width() > 0]  # no bars: a zoomed axis must not exaggerate lengths
    held = [line for line in ax.lines if line.get_marker() == "o"][0]
    np.testing.assert_allclose(held.get_xdata(), [95.0, 96.5, 90.0])
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text() == "a"  # the first run on top
    marker = [line for line in ax.lines if line.get_marker() == "D"][0]
    np.testing.assert_allclose(marker.get_xdata(), [97.0, 99.0, 91.0])
    low, high = ax.get_xlim()
    assert 80 <= low < 90 and 100 < high <= 104  # small differences stay visible, labels fit on the right
    assert f"starts at {low:.0f} %" in ax.get_xlabel()  # the zoom is said
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    for value, train, (x, _) in zip([95.0, 96.5, 90.0], [97.0, 99.0, 91.0], [texts["95.00%"], texts["96.50%"], texts["90.00%"]]):
        assert x > max(value, train)  # each value is written right of both markers, never under one
    with pytest.raises(ValueError, match="got 2 labels for 3 accuracies"):
        plots.final_accuracy(["a", "b"], [1, 2, 3])


def test_decision_boundary_labels_axes_and_marks_points_apart_from_the_background():
    g = np.linspace(-0.5, 1.5, 11)
    gx, gy = np.meshgrid(g, g)
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
    fig = plots.decision_boundary(gx, gy, (gx + gy) / 3, X, y)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    faces = [tuple(c.get_facecolor()[0]) for c in ax.collections[-2:]]
    assert faces == [to_rgba("white"), to_rgba("black")]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_telling_examples_finds_confident_hesitant_and_wrong():
    p = np.array([[0.99, 0.01], [0.55, 0.45], [0.2, 0.8], [0.9, 0.1], [0.6, 0.4]])
    y = np.array([0, 0, 0, 1, 0])
    picks = plots.telling_examples(p, y, n_each=2)
    assert list(picks["confident and right"]) == [0, 4] and list(picks["hesitant"]) == [1, 4]
    assert list(picks["wrong"]) == [3, 2]


def test_compare_probabilities_marks_wrong_predictions(digits):
    X, y = digits
    right = np.eye(10)[y]
    wrong = np.eye(10)[(y + 1) % 10]
    fig = plots.compare_probabilities((X, y), {"A": right, "B": wrong}, indices=[0])
    assert fig.axes[0].get_title().endswith("WRONG") and to_rgba(fig.axes[0].title.get_color()) == to_rgba(plots.WRONG)
    fig = plots.compare_probabilities((X, y), {"A": right, "B": right}, indices=[0])
    assert "WRONG" not in fig.axes[0].get_title()


def test_a_run_that_blew_up_leaves_the_loss_axis_to_the_others_and_is_named():
    blown = History(label="lr 10")
    for e in range(3):
        blown.append([8e21, 2.3, 2.3][e], 10.0, 0.1, 2.3, 10.0)
    calm = plots.curves([_history("a"), _history("b")]).axes[0]
    assert calm.get_ylim()[1] > 2.2 and calm.get_ylim()[1] < 3  # matplotlib's own limits when no run blew up
    fig = plots.curves([_history("a"), blown])
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    low, high = ax.get_ylim()
    assert low == 0 and 2.2 <= high <= 2.2 * 1.1 + 1e-9  # the tame run's largest loss (2.2) fills the axis
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("lr 10 (loss off the top)" in n for n in names) and not any("a (loss" in n for n in names)
    nan_run = History(label="nan")
    nan_run.append(float("nan"), 10.0, 0.1, float("nan"), 10.0)
    labels = [t.get_text() for t in plots.curves([_history("a"), nan_run]).axes[0].get_legend().get_texts()]
    assert any("nan (loss off the top)" in n for n in labels)
