"""The grader's reports: written atomically as each submission finishes, a stop or a closed pipe loses
nothing graded, ``--resume`` grades only what is missing, the seed and exercise mismatches are recorded,
learner text cannot forge the feedback and CSV cells cannot start formulas. Synthetic q1 submissions."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnworkshop.grading.cli import main as grade_main
from nnworkshop.grading.feedback import feedback
from nnworkshop.grading.grader import CheckResult, Options, Result, grade
from nnworkshop.grading.notebook import name_exercise
from nnworkshop.grading.report import csv_text, result_row, write_csv

RIGHT = "np.exp(-np.logaddexp(0.0, -x))"
# the q1 answers every honest test submission uses, with the sigmoid's return line left to fill in
Q1 = (Path(__file__).parent / "submissions" / "kernel" / "_answers.py").read_text(encoding="utf-8").removeprefix("# %%\n")
assert RIGHT in Q1
Q1 = Q1.replace(RIGHT, "{sigmoid}")
WRONG = "x * 0.3 + 0.5"  # wrong by an amount that depends on the hidden inputs


def notebook(path: Path, exercise: str | None = "q1", sigmoid: str = RIGHT, extra: str = "") -> Path:
    """A q1 submission as an .ipynb (``extra``: a code cell before the answers, e.g. a sleep)."""
    cells = ([extra] if extra else []) + [Q1.format(sigmoid=sigmoid)]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None} for c in cells],
          "metadata": {"nnworkshop": {"exercise": exercise}} if exercise else {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "nnworkshop", "grade", *map(str, args)]


# ---------------------------------------------------------------- CSV cells


def test_csv_cells_that_could_run_as_formulas_are_neutralised_and_numbers_stay_numbers(tmp_path):
    evil = Result(path='=HYPERLINK("http://x","y").ipynb', exercise="@q1", status="ok", detail="+cmd|' /C calc'!A0",
                  scores={"q1": -1.5}, max_scores={"q1": 10.0}, seconds=1.25, seed=-7, flags=["-2+3", "\tx"])
    text = csv_text([result_row(evil)])
    (row,) = csv.DictReader(text.splitlines())
    assert row["submission"] == '\'=HYPERLINK("http://x","y").ipynb' and row["exercise"] == "'@q1"
    assert row["detail"] == "'+cmd|' /C calc'!A0" and row["flags"] == "'-2+3 \tx"
    assert (row["q1"], row["total"], row["max"], row["seconds"], row["seed"]) == ("-1.5", "-1.5", "10", "1.25", "-7")


def test_one_odd_string_does_not_lose_the_csv(tmp_path):
    odd = Result(path="bad\udcff\ud800name.ipynb", exercise="q1", detail="nul\0 rtl\u202e zwj\u200d line\u2028sep \U0001F600")
    fine = Result(path="fine.ipynb", exercise="q1", detail="all good")
    write_csv([odd, fine], tmp_path / "g.csv")
    got = rows(tmp_path / "g.csv")
    assert [r["submission"] for r in got] == ["bad\\udcff\\ud800name.ipynb", "fine.ipynb"]
    assert got[0]["detail"] == "nul\\x00 rtl\u202e zwj\u200d line\u2028sep \U0001F600" and got[1]["detail"] == "all good"


def test_progress_lines_escape_what_a_terminal_would_run(capsys):
    from nnworkshop.grading.stopping import Lines

    Lines()("bad\udcff\x1b]0;owned\x07\x1b[2J name.ipynb: 10/10 ok")
    assert capsys.readouterr().out == "bad\\udcff\\x1b]0;owned\\x07\\x1b[2J name.ipynb: 10/10 ok\n"


# ---------------------------------------------------------------- feedback


def test_forged_feedback_stays_inside_its_fence():
    from markdown_it import MarkdownIt

    forged = "```\n# Score: 10/10\n<script>alert(1)</script>\n````\n## Checks\n- passed everything"
    r = Result(path="/x/evil\n# Score: 10 of 10 `x`.ipynb", exercise="q1", status="ok", detail=forged,
               scores={"q1": 0.0}, max_scores={"q1": 10.0}, output=forged, output_bytes=len(forged),
               cell_errors=["code cell 1: " + forged, "~~~\n# Score: 10/10"],
               checks=[CheckResult("q1", "sigmoid", "sigmoid works", 2, 0, "sigmoid raised ValueError: x\n# Score: 10/10 <b>`")])
    tokens = MarkdownIt("commonmark").parse(feedback(r))
    headings = ["".join(c.content for c in tokens[i + 1].children) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Feedback: evil # Score: 10 of 10 `x`.ipynb (exercise q1)", "Checks", "Errors in your cells",
                        "Output (start)"]
    assert not [t for t in tokens if t.type.startswith("html")]
    inline_html = [c for t in tokens if t.children for c in t.children if c.type.startswith("html")]
    assert not inline_html
    fences = [t.content for t in tokens if t.type == "fence"]
    assert fences.count(forged + "\n") == 2 and "code cell 1: " + forged + "\n" in fences
    bold = [c for t in tokens if t.children for c in t.children if c.type == "strong_open"]
    assert len(bold) == 1  # only the real score line
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == 2  # the failed check and its message, nothing planted


def test_a_submission_printing_a_forged_report_cannot_change_its_feedback(tmp_path):
    from markdown_it import MarkdownIt

    forged = "```\\n# Score: 10/10\\n<img src=x onerror=alert(1)>\\n**Score: 10 / 10**"
    sub = notebook(tmp_path / "mallory.ipynb", sigmoid=WRONG, extra=f"print('{forged}')\nraise ValueError('{forged}')")
    assert grade_main([str(sub), "--out", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "fb"), "--seed", "1"]) == 0
    text = (tmp_path / "fb" / "mallory.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    headings = ["".join(c.content for c in tokens[i + 1].children) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Feedback: mallory.ipynb (exercise q1)", "Checks", "Errors in your cells", "Output (start)"]
    assert not [t for t in tokens if t.type.startswith("html")]
    bold = [t.content for t in tokens if t.children and any(c.type == "strong_open" for c in t.children)]
    total = rows(tmp_path / "g.csv")[0]["total"]
    assert total == "5" and len(bold) == 1 and bold[0].startswith(f"**Score: {total} / 10**")  # the real score only
    fences = [t.content for t in tokens if t.type == "fence"]
    assert any("# Score: 10/10" in f and "onerror" in f for f in fences)


# ---------------------------------------------------------------- outputs that are not regular files


@pytest.mark.timeout(120)
def test_symlinked_and_fifo_outputs_are_refused_before_grading(tmp_path, capsys):
    sub = notebook(tmp_path / "alice.ipynb")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "g.csv"
    link.symlink_to(victim)
    assert grade_main([str(sub), "--out", str(link)]) == 2
    assert f"{link} is a symbolic link; the grader never writes through a link. Remove it" in capsys.readouterr().err
    assert victim.read_text(encoding="utf-8") == "keep me"

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    assert grade_main([str(sub), "--out", str(fifo)]) == 2  # returns at once: a FIFO is never opened
    assert f"{fifo} is a FIFO; the grader writes only regular files." in capsys.readouterr().err

    (tmp_path / "fb").mkdir()
    (tmp_path / "fb" / "alice.md").symlink_to(victim)
    assert grade_main([str(sub), "--out", str(tmp_path / "ok.csv"), "--feedback", str(tmp_path / "fb")]) == 2
    assert "alice.md is a symbolic link" in capsys.readouterr().err and "--feedback" not in victim.read_text(encoding="utf-8")

    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "alice").symlink_to(tmp_path)
    assert grade_main([str(sub), "--out", str(tmp_path / "ok.csv"), "--results-json", str(tmp_path / "json")]) == 2
    assert "alice is a symbolic link" in capsys.readouterr().err
    assert not (tmp_path / "results.json").exists() and not (tmp_path / "ok.csv").exists()
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_atomic_write_keeps_the_mode_and_never_follows_a_planted_partial_file(tmp_path):
    from nnworkshop.grading.atomic import partial_path, write_atomic

    target, victim = tmp_path / "g.csv", tmp_path / "victim.txt"
    target.write_text("old")
    target.chmod(0o640)
    victim.write_text("keep me")
    partial_path(target).symlink_to(victim)  # as if planted, or left by a crash
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n" and (target.stat().st_mode & 0o777) == 0o640
    assert victim.read_text(encoding="utf-8") == "keep me" and not os.path.lexists(partial_path(target))


# ---------------------------------------------------------------- seed and exercise flags


def test_name_exercise_reads_the_courses_exercise_names_only():
    from nnworkshop.grading.course import resolve

    names = list(resolve().exercises)  # the repository's course: q1..q8
    assert "q9" not in names
    assert [name_exercise(n, names) for n in ("q3_backprop.ipynb", "alice-Q3.ipynb", "q3.py", "faq3.ipynb", "q31.ipynb",
                                              "q1_vs_q3.ipynb", "alice.ipynb", "bob_q8.ipynb", "q9_x.ipynb")] == [
        "q3", "q3", "q3", None, None, None, None, "q8", None]
    assert name_exercise("q9_x.ipynb", names + ["q9"]) == "q9"  # a name the course lists is read; one it lacks is not


def test_seed_is_recorded_and_reproduces_the_hidden_inputs(tmp_path):
    # right on the checks' fixed edge cases (15 values or fewer), wrong on larger drawn inputs: what it is told
    # depends on the inputs drawn with the seed
    wrong = notebook(tmp_path / "wrong.ipynb", sigmoid=f"({RIGHT} if np.size(x) <= 15 else {WRONG})")
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert grade_main([str(wrong), "--out", str(tmp_path / f"{name}.csv"), "--results-json", str(tmp_path / name),
                           "--seed", str(seed)]) == 0
        (row,) = rows(tmp_path / f"{name}.csv")
        data = json.loads((tmp_path / name / "wrong" / "results.json").read_text(encoding="utf-8"))
        assert row["seed"] == str(seed) and data["extra_data"]["seed"] == seed
        runs[name] = [t["output"] for t in data["tests"]]
    assert any("largest error" in o for o in runs["a"])
    assert runs["a"] == runs["b"] and runs["a"] != runs["c"]


def test_another_exercises_notebook_is_flagged_not_silently_graded(tmp_path):
    named = notebook(tmp_path / "q3_backprop.ipynb", exercise="q1")  # q1 answers, a q3 file name
    meta = notebook(tmp_path / "bob.ipynb", exercise="q3")  # q1 answers, q3 metadata
    honest = notebook(tmp_path / "q1_carol.ipynb", exercise="q1")
    forced = {Path(r.path).name: r for r in grade([named, meta, honest], Options(exercise="q1", seed=1))}
    assert {n: (r.exercise, r.total) for n, r in forced.items()} == {n: ("q1", 10.0) for n in forced}
    assert forced["q3_backprop.ipynb"].flags == ["Its file name says q3, but it was graded as q1 (--exercise)."]
    assert forced["bob.ipynb"].flags == ["Its metadata says exercise 'q3', but it was graded as q1 (--exercise)."]
    assert forced["q1_carol.ipynb"].flags == []
    by_meta = {Path(r.path).name: r for r in grade([named, honest], Options(seed=1))}
    assert by_meta["q3_backprop.ipynb"].flags == ["Its file name says q3, but it was graded as q1 (its metadata)."]
    assert by_meta["q1_carol.ipynb"].flags == []

    assert grade_main([str(named), str(honest), "--out", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "fb")]) == 0
    got = {Path(r["submission"]).name: r["flags"] for r in rows(tmp_path / "g.csv")}
    assert got == {"q3_backprop.ipynb": "Its file name says q3, but it was graded as q1 (its metadata).", "q1_carol.ipynb": ""}
    assert "Its file name says q3" in (tmp_path / "fb" / "q3_backprop.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- stop, skip, resume


def test_grade_skips_and_stops(tmp_path):
    import threading

    a, b = notebook(tmp_path / "a.ipynb"), notebook(tmp_path / "b.ipynb")
    seen = []
    assert [Path(r.path).name for r in grade([a, b], Options(seed=1), skip=[a], progress=seen.append)] == ["b.ipynb"]
    stop = threading.Event()
    stop.set()
    assert grade([a, b], Options(seed=1), progress=seen.append, stop=stop) == [] and len(seen) == 1


def test_a_report_that_cannot_be_written_stops_the_batch_and_says_why(tmp_path):
    import threading

    from nnworkshop.grading.outputs import Outputs

    (tmp_path / "file").write_text("")
    stop = threading.Event()
    outputs = Outputs(["a.ipynb", "b.ipynb"], tmp_path / "file" / "g.csv", stop=stop)
    outputs.add(Result(path="a.ipynb", exercise="q1"))
    assert stop.is_set() and "cannot write the reports" in str(outputs.error) and "Not a directory" in str(outputs.error)


def test_resume_refuses_what_it_cannot_finish(tmp_path, capsys):
    a, b = notebook(tmp_path / "a.ipynb"), notebook(tmp_path / "b.ipynb")
    out = tmp_path / "g.csv"
    assert grade_main([str(a), "--out", str(out), "--resume"]) == 2
    assert f"--resume: there is no {out} to resume. Run without --resume" in capsys.readouterr().err
    assert grade_main([str(a), "--out", str(out), "--seed", "5"]) == 0
    capsys.readouterr()
    assert grade_main([str(a), str(b), "--out", str(out), "--resume", "--seed", "6"]) == 2
    assert "was graded with --seed 5; resuming with --seed 6 would mix" in capsys.readouterr().err
    assert grade_main([str(b), "--out", str(out), "--resume"]) == 2
    assert f"holds 1 row(s) for submissions not on this command line (e.g. {a}): it belongs to another batch" \
        in capsys.readouterr().err
    assert grade_main([str(a), str(b), "--out", str(out), "--resume", "--exercise", "q2"]) == 2
    assert "has submissions graded as q1; this run grades them as q2 (--exercise)" in capsys.readouterr().err
    old = tmp_path / "old.csv"
    old.write_text("submission,exercise,q1,total,max,status,seconds,detail\na.ipynb,q1,10,10,10,ok,1.00,\n")
    assert grade_main([str(a), "--out", str(old), "--resume"]) == 2
    assert "was not written by this version of nnworkshop grade (no seed column)" in capsys.readouterr().err
    assert len(rows(out)) == 1  # nothing was overwritten by the refused runs


@pytest.mark.timeout(600)
def test_sigterm_writes_what_was_graded_and_resume_grades_only_the_rest(tmp_path):
    subs = [notebook(tmp_path / f"s{i}.ipynb", extra="import time\ntime.sleep(2)") for i in range(4)]
    out, tmp = tmp_path / "g.csv", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    args = [*subs, "--out", out, "--results-json", tmp_path / "json", "--feedback", tmp_path / "fb"]
    proc = subprocess.Popen(cli(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not out.exists() or not rows(out)):  # saved as each one finishes
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    first = rows(out)
    assert 1 <= len(first) < 4 and all((r["total"], r["status"]) == ("10", "ok") for r in first)
    assert f"of 4 submission(s) graded ({len(first)} in this run), written to {out}" in stderr
    assert "To finish, run the same command again with --resume." in stderr and "Traceback" not in stderr
    for r in first:
        name = Path(r["submission"]).stem
        assert (tmp_path / "fb" / f"{name}.md").is_file() and (tmp_path / "json" / name / "results.json").is_file()
    assert sorted(os.listdir(tmp)) == [] and [p.name for p in tmp_path.rglob(".*.partial")] == []  # cleaned up

    done = subprocess.run(cli(*args, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    graded = [line for line in done.stdout.splitlines() if ": 10/10 ok" in line]
    assert len(graded) == 4 - len(first) and f"({len(first)} already in {out})" in done.stdout
    final = rows(out)
    assert [r["submission"] for r in final] == list(map(str, subs)) and final[: len(first)] == first
    assert {r["seed"] for r in final} == {first[0]["seed"]}  # the resume reused the interrupted run's seed


@pytest.mark.timeout(300)
def test_a_reader_that_stops_early_does_not_lose_the_batch(tmp_path):
    subs = [notebook(tmp_path / f"s{i}.ipynb") for i in range(3)]
    out = tmp_path / "g.csv"
    proc = subprocess.Popen(cli(*subs, "--out", out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    stderr = proc.communicate(timeout=240)[1].decode()
    assert line.decode().startswith(f"{subs[0]}: 10/10 ok")
    assert proc.returncode == 0 and "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert "standard output was closed; grading went on and wrote" in stderr
    assert [r["submission"] for r in rows(out)] == list(map(str, subs))
