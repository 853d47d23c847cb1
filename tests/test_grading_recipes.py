"""The Slurm and Kubernetes recipes in docs/recipes/ run as written.

No scheduler runs here, so each recipe's own commands run as the scheduler would run them: every Slurm array task
(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) at once, then the merge job; every index of the Indexed Job
(JOB_COMPLETION_INDEX) at once with the container's environment, then the merge Job. The shards share one seed
file, the merge gives one row per submission, and a recipe without MNIST stops at set-up, not at grading.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnworkshop.data import write_synthetic_mnist

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "docs" / "recipes"
SUBMITTED = ["q1_activations.ipynb", "q2_softmax.ipynb", "q3_backprop.ipynb"]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("mnist"), n_train=60, n_test=40, seed=0)


def _class_folder(tmp_path: Path) -> Path:
    subs = tmp_path / "submissions"
    subs.mkdir()
    for name in SUBMITTED:
        shutil.copy(ROOT / "solutions" / name, subs / name)
    return tmp_path


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NNWORKSHOP_DATA"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _all_at_once(commands) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for cmd, cwd, env in commands]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=500), p.stdout.read(), "") for p in procs]


def _rows(csv_path: Path) -> list[dict]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_merged(folder: Path):
    rows = _rows(folder / "grades.csv")
    assert sorted(Path(r["submission"]).name for r in rows) == SUBMITTED
    assert all(r["status"] == "ok" and float(r["total"]) == float(r["max"]) for r in rows), rows
    assert len({r["seed"] for r in rows}) == 1, "every shard graded with the one assignment seed"
    assert (folder / "results").is_dir() and len(list((folder / "feedback").glob("*.md"))) == len(SUBMITTED)


def test_the_slurm_array_and_its_merge_job(tmp_path, data):
    folder = _class_folder(tmp_path)
    n = 2
    env = _env(NNWORKSHOP_DATA=data, VENV=Path(sys.executable).parent.parent, SLURM_ARRAY_TASK_COUNT=n,
               SLURM_CPUS_PER_TASK=1)
    tasks = [(["bash", str(RECIPES / "slurm" / "grade.sbatch")], folder, {**env, "SLURM_ARRAY_TASK_ID": str(k)})
             for k in range(1, n + 1)]
    for done in _all_at_once(tasks):
        assert done.returncode == 0, done.stdout
    assert (folder / "shards" / "nnworkshop-seed").is_file()
    merge = subprocess.run(["bash", str(RECIPES / "slurm" / "merge.sbatch")], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=300)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    _check_merged(folder)


def test_the_slurm_recipe_stops_at_set_up_without_mnist(tmp_path):
    folder = _class_folder(tmp_path)
    env = _env(VENV=Path(sys.executable).parent.parent, SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2)
    done = subprocess.run(["bash", str(RECIPES / "slurm" / "grade.sbatch")], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "NNWORKSHOP_DATA must name a folder holding MNIST/raw" in done.stderr
    assert not (folder / "shards").exists(), "nothing graded, nothing written"


def test_the_slurm_submit_script_chains_the_merge_after_the_array():
    text = (RECIPES / "slurm" / "submit.sh").read_text(encoding="utf-8")
    assert "sbatch --parsable" in text and '--dependency="afterok:${array%%;*}"' in text
    assert "#SBATCH --array=1-8" in (RECIPES / "slurm" / "grade.sbatch").read_text(encoding="utf-8")


def test_the_kubernetes_indexed_job_and_its_merge_job(tmp_path, data):
    yaml = pytest.importorskip("yaml")
    folder = _class_folder(tmp_path)
    (folder / "data").symlink_to(data, target_is_directory=True)
    job = yaml.safe_load((RECIPES / "kubernetes" / "grade-job.yaml").read_text(encoding="utf-8"))
    pod = job["spec"]["template"]["spec"]["containers"][0]
    container_env = {e["name"]: e["value"] for e in pod["env"]}
    assert int(container_env["SHARDS_TOTAL"]) == job["spec"]["completions"], "SHARDS_TOTAL must equal completions"
    assert container_env["NNWORKSHOP_DATA"] == container_env["CLASS"] + "/data" and pod["volumeMounts"][0]["mountPath"] == "/class"
    env = _env(**{**container_env, "CLASS": folder, "NNWORKSHOP_DATA": folder / "data"})
    indexes = [([*pod["command"], *pod["args"]], folder, {**env, "JOB_COMPLETION_INDEX": str(i)})
               for i in range(job["spec"]["completions"])]
    for done in _all_at_once(indexes):
        assert done.returncode == 0, done.stdout
    merge_pod = yaml.safe_load((RECIPES / "kubernetes" / "merge-job.yaml").read_text(encoding="utf-8"))[
        "spec"]["template"]["spec"]["containers"][0]
    merge_env = _env(CLASS=folder)
    merge = subprocess.run([*merge_pod["command"], *merge_pod["args"]], cwd=folder, env=merge_env,
                           capture_output=True, text=True, timeout=300)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    _check_merged(folder)


def test_the_kubernetes_job_stops_at_set_up_without_mnist(tmp_path):
    yaml = pytest.importorskip("yaml")
    folder = _class_folder(tmp_path)
    pod = yaml.safe_load((RECIPES / "kubernetes" / "grade-job.yaml").read_text(encoding="utf-8"))[
        "spec"]["template"]["spec"]["containers"][0]
    env = _env(CLASS=folder, NNWORKSHOP_DATA=folder / "data", SHARDS_TOTAL=8, JOB_COMPLETION_INDEX=0)
    done = subprocess.run([*pod["command"], *pod["args"]], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "no MNIST/raw under" in done.stderr
    assert not (folder / "shards").exists()
