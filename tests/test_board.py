"""The class board's service: tokens, validation, deduplication, 30 learners at once, a restart.

Each test serves a board on 127.0.0.1 (a free port) from a SQLite file in a temporary folder.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from nnworkshop.board.client import BoardError, send_run
from nnworkshop.board.schema import MAX_BODY, clean_run, parameter_count
from nnworkshop.board.server import free_port, start_board

CLASS, ADMIN = "class-token-1", "instructor-token-1"


def a_run(name="Ada", val_acc=93.5, **hp) -> dict:
    hyper = {"hidden_layers": 2, "widths": [128, 64], "activation": "relu", "optimizer": "adam", "lr": 0.001,
             "momentum": 0.0, "batch_size": 64, "epochs": 3, "dropout": 0.0, "weight_decay": 0.0,
             "train_size": 6000, "normalize": True, "seed": 0, **hp}
    return {"run_id": uuid.uuid4().hex, "name": name, "hyperparameters": hyper,
            "curves": {"train_loss": [0.5, 0.3, 0.2], "train_acc": [85, 91, 94], "val_loss": [0.4, 0.3, 0.25],
                       "val_acc": [88, 92, val_acc]},
            "val_acc": val_acc, "train_acc": 94.0, "seconds": 3.2, "device": "cpu", "status": "done"}


def request(url, path, body=None, token=None, method=None, raw: bytes | None = None, headers=None):
    """(status, JSON answer) for one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url + path, data=data, method=method or ("POST" if data is not None else "GET"), headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        text = err.read()
        try:
            return err.code, json.loads(text)
        except ValueError:
            return err.code, {"error": text.decode()}


def runs_on(board) -> list[dict]:
    return request(board.url, "/api/runs")[1]["runs"]


@pytest.fixture
def board(tmp_path):
    with start_board(tmp_path / "board.sqlite", token=CLASS, instructor_token=ADMIN) as b:
        yield b


def test_a_run_is_stored_once_and_read_back_without_tokens(board):
    run = a_run()
    assert request(board.url, "/api/runs", run, CLASS) == (201, {"stored": True, "duplicate": False, "run_id": run["run_id"]})
    assert request(board.url, "/api/runs", run, CLASS)[0:2] == (200, {"stored": False, "duplicate": True, "run_id": run["run_id"]})
    status, answer = request(board.url, "/api/runs")
    assert status == 200 and len(answer["runs"]) == 1
    stored = answer["runs"][0]
    assert stored["name"] == "Ada" and stored["val_acc"] == 93.5 and stored["hyperparameters"]["widths"] == [128, 64]
    assert stored["parameters"] == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10 == 109_386
    assert stored["curves"]["val_acc"] == [88.0, 92.0, 93.5]
    assert request(board.url, f"/api/runs?version={answer['version']}")[1] == {"version": answer["version"], "unchanged": True}
    assert len(request(board.url, f"/api/runs?version={answer['version'] - 1}")[1]["runs"]) == 1
    page = urllib.request.urlopen(board.url + "/").read().decode()
    everything = json.dumps(answer) + page
    assert CLASS not in everything and ADMIN not in everything  # reading exposes neither token


def test_posting_needs_the_class_token(board):
    assert request(board.url, "/api/runs", a_run())[0] == 401
    status, answer = request(board.url, "/api/runs", a_run(), "guess")
    assert status == 403 and "ask the instructor for the class token" in answer["error"]
    with pytest.raises(BoardError, match="refused the run \\(403\\)"):
        send_run(board.url, "guess", a_run())
    assert runs_on(board) == []


def test_instructor_actions_need_the_instructor_token(board):
    run = a_run()
    request(board.url, "/api/runs", run, CLASS)
    for path, body in (("/api/admin/hide", {"run_ids": [run["run_id"]], "hidden": True}),
                       ("/api/admin/names", {"hidden": True}), ("/api/admin/clear", {})):
        assert request(board.url, path, body, CLASS)[0] == 403, path  # the class token is not enough
        assert request(board.url, path, body)[0] == 401, path
    assert [r["name"] for r in runs_on(board)] == ["Ada"]

    assert request(board.url, "/api/admin/names", {"hidden": True}, ADMIN)[0] == 200
    assert [r["name"] for r in runs_on(board)] == ["learner 1"]
    assert request(board.url, "/api/admin/hide", {"run_ids": [run["run_id"]], "hidden": True}, ADMIN) == (200, {"changed": 1})
    assert runs_on(board) == []
    request(board.url, "/api/runs", a_run("Bo"), CLASS)
    assert request(board.url, "/api/admin/clear", {}, ADMIN) == (200, {"removed": 2})
    assert runs_on(board) == []


def test_a_learner_cannot_change_a_stored_run(board):
    run = a_run()
    request(board.url, "/api/runs", run, CLASS)
    changed = {**run, "val_acc": 99.9, "name": "Mallory"}
    status, answer = request(board.url, "/api/runs", changed, CLASS)
    assert status == 409 and "cannot be changed" in answer["error"]
    assert request(board.url, "/api/runs", method="DELETE", token=CLASS)[0] == 405
    assert [(r["name"], r["val_acc"]) for r in runs_on(board)] == [("Ada", 93.5)]


def bad_runs():
    """(what is wrong, the run, a phrase the refusal must contain)."""
    def edit(f):
        run = a_run()
        f(run)
        return run
    return [
        ("NaN accuracy", edit(lambda r: r.update(val_acc=math.nan)), "val_acc must be a finite number"),
        ("infinite loss", edit(lambda r: r["curves"]["train_loss"].__setitem__(1, math.inf)), "curves.train_loss[1] must be a finite number"),
        ("accuracy over 100", edit(lambda r: r.update(val_acc=101.0)), "val_acc=101.0 is outside [0, 100]"),
        ("negative learning rate", edit(lambda r: r["hyperparameters"].update(lr=-0.1)), "hyperparameters.lr=-0.1 is outside"),
        ("text for a number", edit(lambda r: r["hyperparameters"].update(batch_size="64")), "hyperparameters.batch_size must be a number"),
        ("fractional batch", edit(lambda r: r["hyperparameters"].update(batch_size=6.5)), "must be a whole number"),
        ("bool for a number", edit(lambda r: r.update(seconds=True)), "seconds must be a number"),
        ("widths disagree", edit(lambda r: r["hyperparameters"].update(widths=[128])), "a list of 2 layer widths"),
        ("unknown optimizer", edit(lambda r: r["hyperparameters"].update(optimizer="lbfgs")), "must be one of sgd, sgd_momentum, adam"),
        ("unknown activation", edit(lambda r: r["hyperparameters"].update(activation="swish")),
         "hyperparameters.activation must be one of relu, tanh, sigmoid, gelu, leaky_relu"),
        ("unknown field", edit(lambda r: r.update(admin=True)), "unknown field(s) 'admin'"),
        ("missing field", edit(lambda r: r.pop("val_acc")), "missing 'val_acc'"),
        ("empty name", edit(lambda r: r.update(name="   ")), "name must be 1 to 40 printable characters"),
        ("long name", edit(lambda r: r.update(name="x" * 41)), "name must be 1 to 40"),
        ("bad run id", edit(lambda r: r.update(run_id="../../x")), "run_id must be 8 to 64"),
        ("more epochs than asked", edit(lambda r: r["hyperparameters"].update(epochs=2)), "curves have 3 epochs but the run asked for 2"),
        ("a list, not an object", [1, 2, 3], "the run must be a JSON object"),
    ]


@pytest.mark.parametrize("what,run,phrase", bad_runs(), ids=[b[0] for b in bad_runs()])
def test_bad_runs_are_refused_with_the_reason_and_nothing_is_stored(board, what, run, phrase):
    raw = json.dumps(run).encode()  # json.dumps writes NaN / Infinity, as a careless client would
    status, answer = request(board.url, "/api/runs", raw=raw, token=CLASS)
    assert 400 <= status < 500 and phrase in answer["error"], (what, status, answer)
    assert runs_on(board) == []


def post_big(url: str, body: bytes):
    """POST ``body`` as a client that keeps sending until the server answers or hangs up; (status, JSON)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/runs")
    for key, value in (("Content-Type", "application/json"), ("Authorization", f"Bearer {CLASS}"),
                       ("Content-Length", str(len(body)))):
        conn.putheader(key, value)
    conn.endheaders()
    try:
        for i in range(0, len(body), 65536):
            conn.send(body[i:i + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server refused before reading it all, as it should
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_too_large_and_broken_bodies_are_refused(board):
    big = json.dumps({**a_run(), "name": "x" * (10 * 1024 * 1024)}).encode()  # a 10 MB post
    status, answer = post_big(board.url, big)
    assert status == 413 and f"larger than {MAX_BODY // 1024} kB" in answer["error"]
    host, port = board.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)  # no Content-Length: the size is counted as read
    chunks = (b'{"name": "' + b"x" * 65536 for _ in range(64))
    try:
        conn.request("POST", "/api/runs", body=chunks, encode_chunked=True,
                     headers={"Authorization": f"Bearer {CLASS}", "Content-Type": "application/json"})
    except (BrokenPipeError, ConnectionResetError):
        pass
    response = conn.getresponse()
    assert response.status == 413 and "larger than" in json.loads(response.read())["error"]
    status, answer = request(board.url, "/api/runs", raw=b"{not json", token=CLASS)
    assert status == 400 and "not valid JSON" in answer["error"]
    assert runs_on(board) == []


def test_thirty_learners_posting_at_once_are_all_stored_exactly_once(board):
    runs = [a_run(f"learner{i:02d}", val_acc=80 + i / 2, lr=10 ** -(1 + i % 4)) for i in range(30)]
    answers, errors = [None] * 30, []
    start = threading.Barrier(30)

    def learner(i):
        try:
            start.wait()
            first = send_run(board.url, CLASS, runs[i])
            again = send_run(board.url, CLASS, runs[i])  # a resend (a double click, a retry)
            answers[i] = (first["stored"], again["duplicate"])
        except Exception as err:  # noqa: BLE001 - collected and shown below
            errors.append(err)

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and answers == [(True, True)] * 30
    stored = runs_on(board)
    assert sorted(r["run_id"] for r in stored) == sorted(r["run_id"] for r in runs)
    assert {r["name"]: r["val_acc"] for r in stored} == {r["name"]: r["val_acc"] for r in runs}


def test_clean_run_computes_parameters_and_ignores_a_claimed_count():
    run = a_run(hidden_layers=0, widths=[])
    assert clean_run(run)["parameters"] == parameter_count(784, []) == 7850
    with pytest.raises(ValueError, match="unknown field"):
        clean_run({**run, "parameters": 5})


def serve_cli(store, port):
    return subprocess.Popen(
        [sys.executable, "-m", "nnworkshop", "board", "serve", "--store", str(store), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def read_banner(proc) -> dict:
    lines = {}
    deadline = time.monotonic() + 60
    while len(lines) < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        key, _, value = line.partition(": ")
        lines[key.split(" (")[0]] = value.strip()
    return lines


def wait_answering(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return request(url, "/api/runs")[1]
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def test_the_command_prints_address_and_token_and_a_restart_loses_nothing(tmp_path):
    store, port = tmp_path / "class.sqlite", free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve_cli(store, port)
    try:
        banner = read_banner(proc)
        assert banner["Class board"] == url
        token = banner["Class token"]
        admin = banner["Instructor page"].split("#instructor=")[1]
        assert token and admin and token != admin
        wait_answering(url)
        sent = [a_run(f"L{i}") for i in range(5)]
        for run in sent:
            assert send_run(url, token, run)["stored"]
        request(url, "/api/admin/names", {"hidden": True}, admin)
    finally:
        proc.terminate()
        proc.wait(30)
    proc = serve_cli(store, port)
    try:
        again = read_banner(proc)
        assert again["Class token"] == token and again["Instructor page"] == banner["Instructor page"]  # the room's token still works
        answer = wait_answering(url)
        assert [r["run_id"] for r in answer["runs"]] == [r["run_id"] for r in sent]
        assert answer["names_hidden"] is True
        assert send_run(url, token, sent[0])["duplicate"]  # a resend after the restart is still a duplicate
    finally:
        proc.terminate()
        proc.wait(30)


def test_postgres_store_keeps_runs_like_sqlite():
    """Runs only where a PostgreSQL database is given: NNWORKSHOP_TEST_POSTGRES=postgresql://user:pw@host/db."""
    import os

    url = os.environ.get("NNWORKSHOP_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL here: set NNWORKSHOP_TEST_POSTGRES=postgresql://user:password@host/db to test that store")
    from nnworkshop.board.store import open_store

    store = open_store(url)
    store.clear()
    store.close()
    with start_board(url, token=CLASS, instructor_token=ADMIN) as b:
        runs = [a_run(f"P{i}") for i in range(3)]
        for run in runs:
            assert send_run(b.url, CLASS, run)["stored"]
        assert send_run(b.url, CLASS, runs[0])["duplicate"]
        assert request(b.url, "/api/runs", {**runs[1], "val_acc": 1.0}, CLASS)[0] == 409
    with start_board(url) as b:  # a restart: tokens and runs are still there
        assert b.class_token == CLASS
        assert [r["run_id"] for r in runs_on(b)] == [r["run_id"] for r in runs]
        assert request(b.url, "/api/admin/clear", {}, ADMIN) == (200, {"removed": 3})


def test_measure_command_reports_a_room_flat_out_and_a_sigkill_loses_nothing():
    """The load test with smaller numbers (the real one: nnworkshop board measure, 100 learners, 20,000 runs)."""
    result = subprocess.run([sys.executable, "-m", "nnworkshop", "board", "measure", "--runs", "300", "--learners", "10",
                             "--probes", "2", "--kill-after", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"stored: 3\d\d runs from 10 learners posting flat out in [\d.]+ s: \d+ posts/s \(0 posts failed\)", out), out
    assert re.search(r"new run on the open page (at 3\d\d runs \(2 probes\): median \d+\.\d\d s|: not measured: )", out), out
    assert re.search(r"server memory: \d+ MB resident, peak \d+ MB", out), out
    found = re.search(r"SIGKILL during a burst, then a restart: 0 of (\d+) acknowledged runs lost \((\d+) acknowledged in the burst\)", out)
    assert found and int(found[2]) > 0 and int(found[1]) >= 300 + int(found[2]), out  # it was killed mid-load


def test_the_board_never_imports_torch():
    probe = ("import sys, nnworkshop.board.app, nnworkshop.board.cli, nnworkshop.board.server, nnworkshop.board.measure; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
