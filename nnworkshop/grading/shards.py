"""Grading a batch on several machines: ``nnworkshop grade ... --shard K/N`` and ``nnworkshop grade merge``.

**The share.** The submissions on the command line are ordered by the SHA-256 of their file name (the last path
component; ties by the path as given), and shard K of N (1 <= K <= N) takes the 1st+K-1, the (N+K)th, ... of that
order: every N-th. The order depends only on the file names, so every machine given the same list grades the
same share, shards differ in size by at most one, and each mixes the exercises.

**The manifest.** Beside its CSV, a shard writes ``NAME.shard.json``: which shard it is, the seed, ``--exercise``,
the whole batch's file list and its own share, and where its ``results.json`` files and feedback went. ``merge``
reads it to refuse shards that overlap, are missing or unfinished, or come from another batch, seed or
exercise, and to join the CSVs (rows in the batch's command-line order, as one unsharded run writes them),
the ``results.json`` folders and the feedback folders. It never overwrites anything.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

from .atomic import read_regular, write_atomic
from .outputs import row_key as _row_key
from .report import csv_text, feedback_path, report_names, results_json_path, uncell


class ShardError(ValueError):
    """Bad ``--shard`` or a merge that cannot be done; the message says why and what to do."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with 1 <= K <= N."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ShardError(f"--shard {text!r}: expected K/N, e.g. --shard 2/8 for the second of 8 shards") from None
    if n < 1 or not 1 <= k <= n:
        raise ShardError(f"--shard {text}: K must be between 1 and N (shards are numbered 1..N; a Kubernetes "
                         "JOB_COMPLETION_INDEX starts at 0, so pass $((JOB_COMPLETION_INDEX + 1))/N)")
    return k, n


def row_key(path) -> str:
    """A submission's ``submission`` cell as read back (``report.uncell``)."""
    return uncell(_row_key(str(path)))


def _order_key(path) -> tuple[str, str]:
    return hashlib.sha256(Path(path).name.encode("utf-8", "surrogateescape")).hexdigest(), str(path)


def share(paths, k: int, n: int) -> list:
    """Shard ``k`` of ``n``'s submissions, in the order they were given."""
    ordered = sorted(range(len(paths)), key=lambda i: _order_key(paths[i]))
    mine = {i for rank, i in enumerate(ordered) if rank % n == k - 1}
    return [p for i, p in enumerate(paths) if i in mine]


def manifest_path(out) -> Path:
    out = Path(out)
    return out.with_name(out.name[: -len(out.suffix)] + ".shard.json" if out.suffix else out.name + ".shard.json")


def _relative(path, base: Path) -> str | None:
    if path is None:
        return None
    return os.path.relpath(os.path.abspath(path), base.resolve())


def write_manifest(out, k: int, n: int, paths, mine, seed: int, exercise, results_json, feedback) -> Path:
    """``NAME.shard.json`` beside the shard's CSV (folders relative to it, so the shard's files may be moved together)."""
    target = manifest_path(out)
    base = target.parent
    data = {"shard": k, "of": n, "seed": seed, "exercise": exercise, "batch": [str(p) for p in paths],
            "share": [str(p) for p in mine], "results_json": _relative(results_json, base),
            "feedback": _relative(feedback, base)}
    return write_atomic(target, json.dumps(data, indent=2) + "\n", "--out")


def _read_csv(path: Path) -> list[dict]:
    text = read_regular(path, "merge")
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ShardError(f"{path} is not a readable CSV ({err})") from None
    return [{k: uncell(v or "") for k, v in row.items() if k is not None} for row in rows]


def _load(csv_path: Path) -> dict:
    man = manifest_path(csv_path)
    if not man.is_file():
        raise ShardError(f"{csv_path} has no {man.name} beside it: it was not written by 'nnworkshop grade --shard K/N'. "
                         "Grade the batch with --shard, and keep each shard's CSV and manifest together.")
    try:
        data = json.loads(read_regular(man, "merge"))
    except ValueError as err:
        raise ShardError(f"{man} is not readable JSON ({err}); grade that shard again") from None
    data["csv"], data["rows"], data["base"] = csv_path, _read_csv(csv_path), man.parent
    return data


def _check(shards: list[dict]) -> None:
    first = shards[0]
    for s in shards[1:]:
        for key, what in (("batch", "list of submissions"), ("of", "number of shards"), ("seed", "seed"),
                          ("exercise", "--exercise")):
            if s[key] != first[key]:
                shown = (lambda v: f"{len(v)} files" if isinstance(v, list) else repr(v))  # noqa: E731
                raise ShardError(f"{s['csv']} and {first['csv']} were graded with a different {what} "
                                 f"({shown(s[key])} vs {shown(first[key])}); they are not shards of one batch. "
                                 "Grade every shard with the same submissions, --seed and --exercise.")
    seen: dict = {}
    for s in shards:
        if s["shard"] in seen:
            raise ShardError(f"shard {s['shard']}/{s['of']} is given twice ({seen[s['shard']]['csv']} and {s['csv']}); "
                             "pass each shard's CSV once.")
        seen[s["shard"]] = s
    missing = [k for k in range(1, first["of"] + 1) if k not in seen]
    if missing:
        named = ", ".join(f"{k}/{first['of']}" for k in missing)
        raise ShardError(f"shard(s) {named} missing: grade them with "
                         f"--shard K/{first['of']} and pass every shard's CSV to merge.")
    for s in shards:
        got = {r["submission"] for r in s["rows"]}
        want = {row_key(p) for p in s["share"]}
        if got - want:
            raise ShardError(f"{s['csv']} holds rows that are not in shard {s['shard']}/{s['of']}'s share "
                             f"(e.g. {sorted(got - want)[0]}); it was edited or belongs to another batch.")
        if want - got:
            raise ShardError(f"{s['csv']} lacks {len(want - got)} of shard {s['shard']}/{s['of']}'s submissions "
                             f"(e.g. {sorted(want - got)[0]}): it was interrupted. Finish it with the same command "
                             "and --resume, then merge.")
        seeds = {r["seed"] for r in s["rows"]}
        if seeds - {str(s["seed"])}:
            raise ShardError(f"{s['csv']} holds rows graded with seed(s) {', '.join(sorted(seeds))}, not the "
                             f"shard's {s['seed']}; it was edited. Grade that shard again.")


def _refuse_existing(path, flag: str) -> None:
    if path is not None and (os.path.lexists(path)) and not (os.path.isdir(path) and not os.listdir(path)):
        raise ShardError(f"{flag} {path} already exists; merge never overwrites. Remove it or choose another {flag}.")


def merge(csvs, out, results_json=None, feedback=None) -> dict:
    """Join shard CSVs (and their ``results.json`` and feedback folders) into one batch's; returns counts."""
    if not csvs:
        raise ShardError("merge: no CSV given; pass every shard's CSV (e.g. shard-*.csv)")
    csvs = [Path(c) for c in csvs]
    for c in csvs:
        if not c.is_file():
            raise ShardError(f"merge: no such file: {c}")
    _refuse_existing(out, "--out")
    _refuse_existing(results_json, "--results-json")
    _refuse_existing(feedback, "--feedback")
    shards = sorted((_load(c) for c in csvs), key=lambda s: s["shard"])
    _check(shards)
    batch = shards[0]["batch"]
    by_key = {r["submission"]: r for s in shards for r in s["rows"]}
    rows = [by_key[row_key(p)] for p in batch]
    copies = []
    names = dict(zip(batch, report_names(batch)))  # what one unsharded run would have called each submission
    for s in shards:
        local = dict(zip(s["share"], report_names(s["share"])))
        for flag, dest, where, path_of in (("results_json", results_json, "--results-json", results_json_path),
                                           ("feedback", feedback, "--feedback", feedback_path)):
            if dest is None:
                continue
            if s[flag] is None:
                raise ShardError(f"{s['csv']} was graded without {where}; there is nothing to merge into {dest}.")
            src_dir = s["base"] / s[flag]
            for p in s["share"]:
                src = path_of(src_dir, local[p])
                if not src.is_file():
                    raise ShardError(f"{src} is missing (shard {s['shard']}/{s['of']}): finish that shard with --resume.")
                copies.append((src, path_of(dest, names[p])))
    write_atomic(out, csv_text(rows), "--out")
    for src, dst in copies:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return {"rows": len(rows), "shards": len(shards), "files": len(copies), "seed": shards[0]["seed"]}
