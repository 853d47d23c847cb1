"""Grades you can stand behind: the same work gets the same score (fixed edge cases in every check, one seed per
assignment kept in a file, baked into the Gradescope autograder), and grading that cannot be done right says so
(q6 without MNIST: status error, a non-zero exit). Each test shows the defect against the old behaviour (or says
why it was there) and that honest submissions in the same batch keep full marks."""

from __future__ import annotations

import csv
import json
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jupytext")

from nnworkshop.grading import protocol  # noqa: E402
from nnworkshop.grading import checking, course  # noqa: E402
from nnworkshop.grading.child import ADAPTERS, to_plain  # noqa: E402
from nnworkshop.grading.cli import main as grade_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAIVE_SIGMOID = "\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"
UNSTABLE_SOFTMAX = "\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=1, keepdims=True)\n"
LOG_SOFTMAX = ("\ndef cross_entropy(z, y):\n"
               "    return float(-np.mean(np.log(softmax(z)[np.arange(len(y)), y])))\n")
# right except on arrays of more than 24 values: the random shapes reach that under some seeds only
SEED_SENSITIVE = ("\ndef relu(x):\n    x = np.asarray(x, dtype=float)\n"
                  "    return np.maximum(x, 0.0) if x.size <= 24 else np.maximum(x, 0.0) + 1.0\n")


def variant(path: Path, exercise: str, override: str = "") -> Path:
    """The course's solution notebook for ``exercise`` with ``override`` appended as a last code cell (it redefines
    a function), saved as ``path`` (.ipynb)."""
    source = {"q1": "q1_activations", "q2": "q2_softmax"}[exercise]
    nb = json.loads((ROOT / "solutions" / f"{source}.ipynb").read_text(encoding="utf-8"))
    if override:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                            "source": "import numpy as np\n" + override})
    path.write_text(json.dumps(nb))
    return path


def class_of(tmp: Path) -> dict[str, Path]:
    """An honest q1 and q2, three numerically unstable answers (sigmoid, softmax, cross-entropy), and one whose score
    depends on the seed."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "honest_q1": variant(tmp / "honest_q1.ipynb", "q1"),
        "naive_sigmoid_q1": variant(tmp / "naive_sigmoid_q1.ipynb", "q1", NAIVE_SIGMOID),
        "seed_sensitive_q1": variant(tmp / "seed_sensitive_q1.ipynb", "q1", SEED_SENSITIVE),
        "honest_q2": variant(tmp / "honest_q2.ipynb", "q2"),
        "unstable_softmax_q2": variant(tmp / "unstable_softmax_q2.ipynb", "q2", UNSTABLE_SOFTMAX),
        "log_softmax_q2": variant(tmp / "log_softmax_q2.ipynb", "q2", LOG_SOFTMAX),
    }


def totals(csv_path: Path) -> dict[str, tuple[str, str]]:
    with open(csv_path, newline="") as f:
        return {Path(r["submission"]).stem: (r["total"], r["seed"]) for r in csv.DictReader(f)}


# ---------------------------------------------------------------- fixed edge cases


class InProcess:
    """A check's context that calls the learner's functions in this process, through the child's own adapters and
    the wire format, as the grader's child would (no sandbox: the functions here are the test's own)."""

    def __init__(self, ns: dict, rng):
        self.ns, self.rng, self.memo, self.notes = ns, rng, {}, []

    def call(self, name, *args, adapter="plain", **kw):
        try:
            with np.errstate(all="ignore") if adapter == "plain" else np.errstate():
                value = ADAPTERS[adapter](self.ns[name], list(args), kw)
        except Exception as err:  # noqa: BLE001 - as the grader: an error fails the check
            raise checking.Fail(f"{name} raised {type(err).__name__}") from None
        return protocol.unpack(protocol.pack(to_plain(value))[8:])


def score(ns: dict, question: str, seed: int) -> float:
    """What the hidden checks of ``question`` give ``ns`` under ``seed`` (each check's generator as the grader's)."""
    earned = 0.0
    built_in = course.resolve()
    for ci, check in enumerate(built_in.exercises[question].checks):
        try:
            check.run(InProcess(ns, np.random.default_rng([seed, built_in.index(question), ci])))
            earned += check.points
        except checking.Fail:
            pass
    return earned


def namespace(*overrides: str) -> dict:
    """The course's q1 and q2 answers run here (their check() cells print), then ``overrides``."""
    import contextlib
    import io

    import jupytext

    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for name in ("q1_activations", "q2_softmax"):
            for cell in jupytext.read(ROOT / "solutions" / f"{name}.py").cells:
                if cell.cell_type == "code":
                    exec(cell.source, ns)
    for text in overrides:
        exec("import numpy as np\n" + text, ns)
    return ns


SEEDS = range(40)


def test_a_naive_sigmoid_loses_the_same_point_under_every_seed(monkeypatch):
    honest, naive = namespace(), namespace(NAIVE_SIGMOID)
    assert {score(honest, "q1", s) for s in SEEDS} == {10.0}
    assert {score(naive, "q1", s) for s in SEEDS} == {9.0}  # sigmoid_extreme, every time
    # The old check drew its large |x| at random (5 of them in 200..1000 per sign): when all stayed under 709,
    # np.exp did not overflow and the naive sigmoid got full marks. Without the fixed +-1000 the same happens:
    monkeypatch.setattr(course.module(course.resolve(), "q1.checks"), "EXTREME_X", np.array([0.0]))
    assert {score(naive, "q1", s) for s in SEEDS} == {9.0, 10.0}


def test_unstable_softmax_and_log_of_softmax_lose_the_same_points_under_every_seed(monkeypatch):
    unstable, log_softmax = namespace(UNSTABLE_SOFTMAX), namespace(LOG_SOFTMAX)
    assert {score(namespace(), "q2", s) for s in SEEDS} == {10.0}
    assert {score(unstable, "q2", s) for s in SEEDS} == {8.0}  # softmax_stable
    assert {score(log_softmax, "q2", s) for s in SEEDS} == {9.0}  # cross_entropy_stable
    # log(softmax) is finite unless a label's probability underflows, which random logits reach only sometimes:
    # the old check scored it 10 or 9 by seed. Without the fixed logits (labels on the smallest) it still does:
    q2 = course.module(course.resolve(), "q2.checks")
    monkeypatch.setattr(q2, "BIG_Z", np.zeros((1, 3)))
    monkeypatch.setattr(q2, "BIG_Y", np.array([0]))
    assert {score(log_softmax, "q2", s) for s in SEEDS} == {9.0, 10.0}


def test_a_transposed_linear_forward_fails_whatever_the_seed():
    def transposed(x, w, b):  # right for square weights only
        return x @ w + b

    ns = {"linear_forward": transposed}
    forward = next(c for c in course.resolve().exercises["q3"].checks if c.id == "linear_forward")
    fails = []
    for s in SEEDS:
        try:
            forward.run(InProcess(ns, np.random.default_rng([s, 2, 0])))
        except checking.Fail:
            fails.append(s)
    assert fails == list(SEEDS)


# ---------------------------------------------------------------- one seed per assignment


def test_the_same_notebooks_get_one_score_in_ten_batches_and_ten_gradescope_runs(tmp_path, capsys):
    """No --seed: the first batch writes the assignment's seed beside --out, and every batch, and the Gradescope
    autograder built from the same seed file, grades on it. Before, each run drew a fresh seed, so a notebook
    whose score depends on the draws (seed_sensitive_q1) got different scores in different batches."""
    subs = class_of(tmp_path / "subs")
    grades = tmp_path / "grades"
    grades.mkdir()
    seen: dict[str, set] = {name: set() for name in subs}
    for i in range(10):
        rc = grade_main(["--out", str(grades / f"batch-{i}.csv"), "--feedback", str(grades / f"fb-{i}"), "--workers",
                         "2", "--", *map(str, subs.values())])
        assert rc == 0
        for name, (total, seed) in totals(grades / f"batch-{i}.csv").items():
            seen[name].add((total, seed))
    seed_file = grades / "nnworkshop-seed"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    seed = seed_file.read_text(encoding="utf-8").split()[-1]
    assert "wrote this assignment's seed to" in capsys.readouterr().err
    scores = {name: {t for t, _ in s} for name, s in seen.items()}
    assert all(len(s) == 1 for s in seen.values()) and {s for _, s in set().union(*seen.values())} == {seed}, seen
    assert scores["honest_q1"] == scores["honest_q2"] == {"10"}
    assert scores["naive_sigmoid_q1"] == {"9"} and scores["unstable_softmax_q2"] == {"8"}
    assert scores["log_softmax_q2"] == {"9"}
    feedback = "\n".join(p.read_text(encoding="utf-8") for p in (grades / "fb-0").iterdir())
    assert seed not in feedback  # the seed stays with the instructor

    # the seed-sensitive notebook's score does depend on the seed: only the kept seed makes it the same every time
    by_seed = set()
    for s in (1, 2, 3, 4):
        assert grade_main(["--seed", str(s), "--out", str(tmp_path / f"s{s}.csv"), "--", str(subs["seed_sensitive_q1"])]) == 0
        by_seed.add(totals(tmp_path / f"s{s}.csv")["seed_sensitive_q1"][0])
    assert len(by_seed) > 1, by_seed

    from nnworkshop.grading import gradescope

    zip_path = tmp_path / "autograder.zip"
    gradescope.build(zip_path, seed_file=seed_file)
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.read("assignment-seed").decode().strip() == seed
        assert '--seed-file "$ROOT/source/assignment-seed"' in zf.read("run_autograder").decode()
    for name in ("honest_q1", "naive_sigmoid_q1", "unstable_softmax_q2", "seed_sensitive_q1"):
        got = set()
        for i in range(10):
            root = tmp_path / "gs" / f"{name}-{i}"  # Gradescope's layout: the zip in source/, the upload in submission/
            (root / "submission").mkdir(parents=True)
            zipfile.ZipFile(zip_path).extract("assignment-seed", root / "source")
            shutil.copyfile(subs[name], root / "submission" / subs[name].name)
            out = gradescope.run(root, seed_file=root / "source" / "assignment-seed")
            assert "seed" not in out["extra_data"] and seed not in json.dumps(out)
            got.add(f"{out['score']:g}")
        assert got == scores[name], (name, got, scores[name])


def test_seed_overrides_and_a_bad_seed_file_is_refused_with_the_fix(tmp_path, capsys):
    sub = variant(tmp_path / "honest_q1.ipynb", "q1")
    (tmp_path / "elsewhere").write_text("7\n")
    link = tmp_path / "out" / "nnworkshop-seed"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "elsewhere")
    assert grade_main(["--out", str(tmp_path / "out" / "g.csv"), "--", str(sub)]) == 2
    assert "symbolic link" in capsys.readouterr().err and not (tmp_path / "out" / "g.csv").exists()
    assert grade_main(["--seed", "5", "--out", str(tmp_path / "out" / "g.csv"), "--", str(sub)]) == 0
    assert totals(tmp_path / "out" / "g.csv")["honest_q1"][1] == "5"
    (tmp_path / "kept").write_text("# the assignment's seed\n12345\n")
    assert grade_main(["--seed-file", str(tmp_path / "kept"), "--out", str(tmp_path / "g2.csv"), "--", str(sub)]) == 0
    assert totals(tmp_path / "g2.csv")["honest_q1"][1] == "12345"
    (tmp_path / "kept").write_text("twelve\n")
    assert grade_main(["--seed-file", str(tmp_path / "kept"), "--out", str(tmp_path / "g3.csv"), "--", str(sub)]) == 2
    assert "does not hold one whole number" in capsys.readouterr().err


def test_shards_starting_together_agree_on_one_seed(tmp_path):
    """Shards of one batch write their CSVs into one folder and start at once: whichever writes the seed file
    first, every one reads the same seed, and no half-written or temporary file is left."""
    import threading

    from nnworkshop.grading.seeds import assignment_seed

    path, got, start = tmp_path / "nnworkshop-seed", [], threading.Barrier(8)

    def shard():
        start.wait()
        got.append(assignment_seed(path))

    threads = [threading.Thread(target=shard) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({seed for seed, _ in got}) == 1 and sum(created for _, created in got) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["nnworkshop-seed"]


# ---------------------------------------------------------------- grading that cannot be done right


def test_q6_without_mnist_is_an_error_with_the_fix_and_a_nonzero_exit(tmp_path, monkeypatch, capsys):
    """Before, the q6 checks failed with "the grader has no MNIST" and the notebook got 0/10, status ok, exit 0:
    a learner's grade lost to the grader's set-up, silently. (The conftest may point NNWORKSHOP_DATA at stand-in
    digits: this test takes it away.)"""
    monkeypatch.delenv("NNWORKSHOP_DATA", raising=False)
    honest = variant(tmp_path / "honest_q1.ipynb", "q1")
    q6 = tmp_path / "q6_mnist_model.ipynb"
    shutil.copyfile(ROOT / "solutions" / "q6_mnist_model.ipynb", q6)
    out = tmp_path / "g.csv"
    rc = grade_main(["--out", str(out), "--feedback", str(tmp_path / "fb"), "--results-json", str(tmp_path / "json"),
                     "--", str(q6), str(honest)])
    assert rc == 3
    err = capsys.readouterr().err
    assert "could not be graded because of the grader's set-up" in err and "--data" in err
    with open(out, newline="") as f:
        rows = {Path(r["submission"]).name: r for r in csv.DictReader(f)}
    row = rows["q6_mnist_model.ipynb"]
    assert (row["status"], row["total"], row["max"]) == ("error", "0", "10")
    assert "--data DIR" in row["detail"] and "NNWORKSHOP_DATA" in row["detail"]
    assert (rows["honest_q1.ipynb"]["status"], rows["honest_q1.ipynb"]["total"]) == ("ok", "10")
    text = (tmp_path / "fb" / "q6_mnist_model.md").read_text(encoding="utf-8")
    assert "Status: error" in text and "the grader's problem, not your notebook's" in text and "--data" in text
    assert json.loads((tmp_path / "json" / "q6_mnist_model" / "results.json").read_text(encoding="utf-8"))["extra_data"]["status"] == "error"

    empty = tmp_path / "empty-data"
    empty.mkdir()
    assert grade_main(["--data", str(empty), "--out", str(tmp_path / "g2.csv"), "--", str(q6)]) == 3
    assert "lacks whole training and test files" in capsys.readouterr().err


# ---------------------------------------------------------------- q6: public test digits


@pytest.mark.real_mnist
def test_a_lookup_table_of_the_public_test_digits_scores_near_chance(real_mnist_root, tmp_path):
    """MNIST's test digits and labels are public. Before, the grader sent them as stored, so a table from each
    image's bytes to its label answered all of them (100%, 10/10); the perturbed digits (seeded sub-pixel shifts and
    noise) leave it at chance while the course's honest solution stays above the 90% target."""
    import hashlib

    from nnworkshop.data import mnist_arrays
    from nnworkshop.grading.grader import Options, grade

    x, y = mnist_arrays(train=False, root=real_mnist_root, download=False)
    table = {hashlib.sha1(np.ascontiguousarray(x[i]).tobytes()).hexdigest()[:16]: int(y[i]) for i in range(len(y))}
    source = ("import hashlib\nimport numpy as np\nTABLE = " + json.dumps(table) + "\n"
              "def predict(images):\n    images = np.asarray(images, dtype=np.float32)\n"
              "    return np.array([TABLE.get(hashlib.sha1(np.ascontiguousarray(im).tobytes()).hexdigest()[:16], 0)"
              " for im in images])\n")
    lookup = tmp_path / "lookup_q6.ipynb"
    lookup.write_text(json.dumps({"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
                                             "execution_count": None}],
                                  "metadata": {"nnworkshop": {"exercise": "q6"}}, "nbformat": 4, "nbformat_minor": 5}))
    honest = ROOT / "solutions" / "q6_mnist_model.ipynb"

    def accuracy(r):
        return float(r.notes[-1].split(": ")[1].rstrip("%")) / 100

    (old,) = grade([lookup], Options(data_root=str(real_mnist_root), seed=1, perturb_digits=False))
    assert old.total == 10.0 and accuracy(old) == 1.0
    got = {Path(r.path).name: r for r in grade([lookup, honest], Options(data_root=str(real_mnist_root), seed=1),
                                                workers=2)}
    assert got["lookup_q6.ipynb"].total == 0.0 and accuracy(got["lookup_q6.ipynb"]) < 0.2
    assert got["q6_mnist_model.ipynb"].total == 10.0 and accuracy(got["q6_mnist_model.ipynb"]) >= 0.9
