"""A batch graded in 3 shards by 3 separate processes and merged equals the same batch graded in one run."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

from nnworkshop.grading.cli import main as grade_main  # noqa: E402
from nnworkshop.grading.shards import ShardError, manifest_path, parse_shard, share  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED = "4242"


def _batch(tmp: Path) -> list[Path]:
    """Seven submissions: honest and unanswered q1 and q2, two learners both named alice, one that is no notebook."""
    subs = tmp / "subs"
    for folder in ("a", "b"):
        (subs / folder).mkdir(parents=True)
    pairs = [("solutions/q1_activations", "a/alice_q1"), ("solutions/q1_activations", "b/alice_q1"),
             ("exercises/q1_activations", "a/bob_q1"), ("solutions/q2_softmax", "a/carol_q2"),
             ("exercises/q2_softmax", "b/dan_q2"), ("solutions/q1_activations", "b/erin_q1")]
    paths = []
    for src, dst in pairs:
        shutil.copyfile(ROOT / f"{src}.ipynb", subs / f"{dst}.ipynb")
        paths.append(subs / f"{dst}.ipynb")
    (subs / "a" / "frank_q1.ipynb").write_text("not a notebook {")
    return paths + [subs / "a" / "frank_q1.ipynb"]


def _grade_args(paths, out: Path, extra=()) -> list[str]:
    return [*map(str, paths), "--out", str(out), "--results-json", str(out.with_suffix("")) + "-json",
            "--feedback", str(out.with_suffix("")) + "-fb", "--seed", SEED, "--memory", "400", *extra]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    paths = _batch(tmp)
    procs = [subprocess.Popen([sys.executable, "-m", "nnworkshop.grading.cli",
                               *_grade_args(paths, tmp / f"shard-{k}.csv", ["--shard", f"{k}/3"])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for k in (1, 2, 3)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert grade_main(_grade_args(paths, tmp / "whole.csv")) == 0
    return tmp, paths


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        assert float(row.pop("seconds")) >= 0  # the only column that differs between two runs
    return rows


def _merge(tmp: Path, csvs, out_name: str = "merged", extra=()) -> int:
    return grade_main(["merge", *map(str, csvs), "--out", str(tmp / f"{out_name}.csv"), *extra])


def test_three_shards_merged_equal_one_unsharded_run(graded):
    tmp, paths = graded
    shares = [json.loads(manifest_path(tmp / f"shard-{k}.csv").read_text(encoding="utf-8"))["share"] for k in (1, 2, 3)]
    assert sorted(sum(shares, [])) == sorted(map(str, paths)) and all(2 <= len(s) <= 3 for s in shares)
    csvs = [tmp / f"shard-{k}.csv" for k in (3, 1, 2)]  # any order
    assert _merge(tmp, csvs, extra=["--results-json", str(tmp / "merged-json"), "--feedback", str(tmp / "merged-fb")]) == 0
    merged, whole = _rows(tmp / "merged.csv"), _rows(tmp / "whole.csv")
    assert merged == whole
    assert {r["status"] for r in whole} == {"ok", "error"} and {r["total"] for r in whole} >= {"0", "10"}
    for kind in ("json", "fb"):
        got = sorted(p.relative_to(tmp / f"merged-{kind}") for p in (tmp / f"merged-{kind}").rglob("*") if p.is_file())
        want = sorted(p.relative_to(tmp / f"whole-{kind}") for p in (tmp / f"whole-{kind}").rglob("*") if p.is_file())
        assert got == want and len(got) == len(paths)
    for name in ("alice_q1", "alice_q1-2", "bob_q1"):  # the two alices keep the names one run gives them
        a = json.loads((tmp / "merged-json" / name / "results.json").read_text(encoding="utf-8"))
        b = json.loads((tmp / "whole-json" / name / "results.json").read_text(encoding="utf-8"))
        a.pop("execution_time"), b.pop("execution_time")
        assert a == b


def test_the_share_is_every_nth_by_file_name_and_the_same_for_any_folder():
    names = [f"learner{i:02d}.ipynb" for i in range(10)]
    here = [f"/home/x/{n}" for n in names]
    there = [f"subs/{n}" for n in reversed(names)]
    for k in (1, 2, 3):
        assert sorted(Path(p).name for p in share(here, k, 3)) == sorted(Path(p).name for p in share(there, k, 3))
    assert sorted(sum((share(here, k, 3) for k in (1, 2, 3)), [])) == sorted(here)
    assert [len(share(here, k, 3)) for k in (1, 2, 3)] == [4, 3, 3]


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_numbers_are_refused(text):
    with pytest.raises(ShardError, match="K/N|between 1 and N"):
        parse_shard(text)


def _copy_shard(tmp: Path, k: int, name: str, **changes) -> Path:
    dst = tmp / f"{name}.csv"
    shutil.copyfile(tmp / f"shard-{k}.csv", dst)
    data = json.loads(manifest_path(tmp / f"shard-{k}.csv").read_text(encoding="utf-8"))
    data.update(changes)
    manifest_path(dst).write_text(json.dumps(data))
    return dst


def test_merge_refuses_overlap_missing_shards_other_seeds_and_never_overwrites(graded, capsys):
    tmp, _ = graded
    s1, s2, s3 = (tmp / f"shard-{k}.csv" for k in (1, 2, 3))
    cases = [
        ([s1, s2], "shard(s) 3/3 missing"),
        ([s1, s2, s3, _copy_shard(tmp, 2, "again")], "given twice"),
        ([s1, s2, _copy_shard(tmp, 3, "seeded", seed=1)], "different seed"),
        ([s1, s2, _copy_shard(tmp, 3, "asq1", exercise="q1")], "different --exercise"),
        ([s1, s2, _copy_shard(tmp, 3, "fewer", batch=["x.ipynb"])], "different list of submissions"),
        ([s1, s2, tmp / "whole.csv"], "no whole.shard.json"),
        ([], "no CSV given"),
    ]
    for csvs, message in cases:
        assert _merge(tmp, csvs, "refused") == 2
        assert message in capsys.readouterr().err
        assert not (tmp / "refused.csv").exists()
    before = (tmp / "whole.csv").read_bytes()
    assert _merge(tmp, [s1, s2, s3], "whole") == 2
    assert "already exists" in capsys.readouterr().err and (tmp / "whole.csv").read_bytes() == before


def test_an_unfinished_shard_is_refused(graded, capsys):
    tmp, _ = graded
    cut = tmp / "cut.csv"
    lines = (tmp / "shard-3.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cut.write_text("".join(lines[:-1]))
    manifest_path(cut).write_text(manifest_path(tmp / "shard-3.csv").read_text(encoding="utf-8"))
    assert _merge(tmp, [tmp / "shard-1.csv", tmp / "shard-2.csv", cut], "refused") == 2
    assert "--resume" in capsys.readouterr().err


def test_a_folder_without_notebooks_is_refused_before_anything_is_written(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert grade_main([str(tmp_path / "empty"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "no notebook" in capsys.readouterr().err and not (tmp_path / "g.csv").exists()
