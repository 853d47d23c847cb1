"""The class board at the scale of a lecture hall: a page that asks only for what changed, rate limits,
hiding a learner in one action, hostile bodies answered 4xx, old clients' field names, old board files,
and runs the board has checked itself (weights scored in NumPy on digits the learner never had).

Each test serves a board on 127.0.0.1 (a free port) from a SQLite file in a temporary folder.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time

import numpy as np
import pytest

from nnworkshop.board.check import ACTIVATIONS, CheckDigits, accuracy, decode_weights
from nnworkshop.board.client import BoardError, send_run, send_weights
from nnworkshop.board.limits import RateLimit
from nnworkshop.board.server import start_board
from nnworkshop.board.store import open_store
from nnworkshop.grading.protocol import pack
from test_board import ADMIN, CLASS, a_run, request


@pytest.fixture
def board(tmp_path):
    with start_board(tmp_path / "board.sqlite", token=CLASS, instructor_token=ADMIN) as b:
        yield b


def since(board, cursor=0, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"since": cursor, **params}.items())
    status, answer = request(board.url, f"/api/runs?{query}")
    assert status == 200, answer
    return answer


def test_the_page_gets_only_what_changed_after_its_cursor(board):
    runs = [a_run(f"L{i % 2}", 90 + i) for i in range(5)]
    for run in runs:
        send_run(board.url, CLASS, run)
    first = since(board)
    assert [r["run_id"] for r in first["runs"]] == [r["run_id"] for r in runs] and not first["more"]
    assert "curves" not in first["runs"][0] and first["runs"][0]["val_acc"] == 90.0  # what the page draws, no curves
    assert since(board, first["cursor"])["runs"] == []  # nothing new: nothing sent

    new = a_run("L9", 99.0)
    send_run(board.url, CLASS, new)
    request(board.url, "/api/admin/hide", {"run_ids": [runs[0]["run_id"]], "hidden": True}, ADMIN)
    later = since(board, first["cursor"])
    assert [(r["run_id"], r["hidden"]) for r in later["runs"]] == [(new["run_id"], False), (runs[0]["run_id"], True)]
    assert set(later["runs"][1]) == {"run_id", "seq", "hidden"}  # a hidden run is only its id

    pages, cursor, seen = 0, 0, []  # a page opened late reads a busy board a few runs at a time
    while True:
        answer = since(board, cursor, limit=2)
        seen += [r["run_id"] for r in answer["runs"] if not r["hidden"]]
        cursor, pages = answer["cursor"], pages + 1
        if not answer["more"]:
            break
    assert sorted(seen) == sorted([r["run_id"] for r in runs[1:]] + [new["run_id"]]) and pages == 3


def test_a_learner_hidden_at_once_is_never_split_across_pages(board):
    mallory = [a_run("Mallory", 99.0 - i / 10) for i in range(5)]
    for run in [a_run("Ada"), *mallory]:
        send_run(board.url, CLASS, run)
    cursor = since(board)["cursor"]
    assert request(board.url, "/api/admin/learner", {"run_id": mallory[2]["run_id"], "hidden": True}, ADMIN) == \
        (200, {"changed": 5, "hidden": True})
    answer = since(board, cursor, limit=2)  # one change of 5 runs: all of it, even past the limit
    assert sorted(r["run_id"] for r in answer["runs"]) == sorted(r["run_id"] for r in mallory)
    assert all(r["hidden"] for r in answer["runs"])
    later = a_run("Mallory", 99.9)  # a hidden learner's new runs arrive hidden too
    send_run(board.url, CLASS, later)
    assert [r["name"] for r in request(board.url, "/api/runs")[1]["runs"]] == ["Ada"]
    assert request(board.url, "/api/admin/learner", {"name": "Mallory", "hidden": False}, ADMIN)[1]["changed"] == 6
    assert len(request(board.url, "/api/runs")[1]["runs"]) == 7
    assert request(board.url, "/api/admin/learner", {"name": "Mallory", "hidden": True}, CLASS)[0] == 403


def test_a_held_request_is_answered_when_a_run_arrives(board):
    cursor = since(board)["cursor"]
    got = {}
    poll = threading.Thread(target=lambda: got.update(since(board, cursor, wait=20)))
    poll.start()
    time.sleep(0.3)
    assert poll.is_alive()  # held: nothing changed yet
    run = a_run("Eve")
    send_run(board.url, CLASS, run)
    poll.join(30)
    assert [r["run_id"] for r in got["runs"]] == [run["run_id"]]
    assert request(board.url, "/api/runs?since=0&wait=99")[0] == 400  # a wait past 25 s is refused, not held
    stale = since(board, 10**9, wait=20)  # a page's cursor from another board file: answered at once, from 0
    assert stale["reset"] and [r["run_id"] for r in stale["runs"]] == [run["run_id"]]


def test_rate_limit_refuses_a_flood_with_a_retry_time_and_spares_the_others(tmp_path):
    flood = [a_run("Mallory") for _ in range(12)]
    with start_board(tmp_path / "open.sqlite", token=CLASS, instructor_token=ADMIN) as b:  # no limit: all taken
        assert all(send_run(b.url, CLASS, run)["stored"] for run in flood)
    with start_board(tmp_path / "limited.sqlite", token=CLASS, instructor_token=ADMIN,
                     rate_limit=RateLimit(5, 60)) as b:
        statuses, waits = [], []
        for run in flood:
            try:
                statuses.append(201 if send_run(b.url, CLASS, run)["stored"] else 200)
            except BoardError as err:
                statuses.append(err.status)
                waits.append(err.retry_after)
                assert "try again in" in str(err) and "5 runs per 60 s per learner" in str(err)
        assert statuses == [201] * 5 + [429] * 7
        assert all(w is not None and 1 <= w <= 12 for w in waits)  # one run per 12 s refills the bucket
        assert send_run(b.url, CLASS, a_run("Ada"))["stored"]  # another learner is not held back
        assert request(b.url, "/api/runs", a_run("Mallory"), ADMIN)[0] == 201  # the instructor's own posts are not limited
        assert len(request(b.url, "/api/runs")[1]["runs"]) == 7


def test_rate_limit_bucket_refills_with_time():
    now = [0.0]
    limit = RateLimit(3, 30, clock=lambda: now[0])
    assert [limit.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.take("a") == pytest.approx(10.0)
    now[0] = 10.0
    assert limit.take("a") == 0.0 and limit.take("a") > 0
    assert RateLimit.parse("off") is None and RateLimit.parse("20/60").runs == 20
    names = RateLimit(30, 60, clock=lambda: now[0], new_names=3)  # a made-up name per post meets the board's limit
    assert [names.take(f"n{i}") for i in range(3)] == [0.0, 0.0, 0.0]
    assert names.take("n3") == pytest.approx(200.0)  # 3 new names per 600 s: one more in 200 s
    assert names.take("n0") == 0.0  # a learner already known still posts
    with pytest.raises(ValueError, match="RUNS/SECONDS"):
        RateLimit.parse("fast")


@pytest.mark.parametrize("what,raw", [
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
    ("nested deep inside a field", json.dumps({**a_run(), "seconds": json.loads("[" * 500 + "]" * 500)}).encode()),
    ("nested inside a curve", json.dumps({**a_run(), "curves": {"train_loss": [[[[[[[1]]]]]]]}}).encode()),
])
def test_deep_nesting_is_refused_with_a_4xx_never_a_500(board, what, raw):
    status, answer = request(board.url, "/api/runs", raw=raw, token=CLASS)
    assert status in (400, 422) and ("nests" in answer["error"] or "must be" in answer["error"]), (what, status, answer)


def test_old_clients_test_acc_is_taken_as_val_acc(board):
    run = a_run("Old", 91.0)
    run["test_acc"] = run.pop("val_acc")
    run["curves"]["test_acc"] = run["curves"].pop("val_acc")
    run["curves"]["test_loss"] = run["curves"].pop("val_loss")
    assert send_run(board.url, CLASS, run)["stored"]
    stored = request(board.url, "/api/runs")[1]["runs"][0]
    assert stored["val_acc"] == 91.0 and stored["curves"]["val_acc"] == [88.0, 92.0, 91.0] and "test_acc" not in stored


def test_a_board_file_from_before_opens_with_its_runs(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE board_runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT UNIQUE NOT NULL, "
                 "body TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0, created DOUBLE PRECISION NOT NULL)")
    conn.execute("CREATE TABLE board_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    old = a_run("Ada", 92.0)
    old["test_acc"] = old.pop("val_acc")
    conn.execute("INSERT INTO board_runs (run_id, body, hidden, created) VALUES (?, ?, 0, 0)", (old["run_id"], json.dumps(old)))
    conn.execute("INSERT INTO board_settings VALUES ('version', '1')")
    conn.commit()
    conn.close()
    store = open_store(path)
    try:
        found = store.changes(0, 10)
        assert [(r["name"], r["val_acc"], n) for r, n in found["runs"]] == [("Ada", 92.0, 1)]
    finally:
        store.close()


# ------------------------------------------------------------------ runs the board checked itself


def check_root(folder):
    """Real MNIST when NNWORKSHOP_DATA has it (None: the default place), else the synthetic stand-in in ``folder``
    (the same files, read by the same code)."""
    from nnworkshop.data import write_synthetic_mnist

    if CheckDigits.load() is not None:
        return None
    return write_synthetic_mnist(folder, n_train=1200, n_test=400, seed=0)


def train_mlp(root):
    """A 784-64-10 MLP trained in torch for 2 epochs, and its weights as [W1, b1, W2, b2] NumPy arrays."""
    import torch

    from nnworkshop.data import mnist_tensors
    from nnworkshop.models import MLP
    from nnworkshop.training import fit

    X, y = mnist_tensors(True, root=root)
    torch.manual_seed(0)
    model = MLP([784, 64, 10], activation="relu")
    fit(model, (X, y), epochs=2, optimizer="adam", lr=0.003, batch_size=64, seed=0, progress=False)
    weights = [p.detach().numpy().copy() for m in model.modules() if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    return model.eval(), weights


@pytest.fixture(scope="module")
def digits_root(tmp_path_factory):
    return check_root(tmp_path_factory.mktemp("digits"))


@pytest.fixture(scope="module")
def trained(digits_root):
    return train_mlp(digits_root)


def torch_accuracy(model, pixels, labels) -> float:
    import torch

    with torch.no_grad():
        out = model(torch.from_numpy(CheckDigits.inputs(pixels, True)))
    return 100.0 * float((out.argmax(1).numpy() == labels).mean())


def checked_board(tmp_path, digits_root, **kw):
    digits = CheckDigits.load(digits_root)
    return start_board(tmp_path / "board.sqlite", token=CLASS, instructor_token=ADMIN, check_digits=digits, **kw), digits


def test_a_checked_run_and_a_forged_claim_side_by_side(tmp_path, digits_root, trained):
    model, weights = trained
    b, digits = checked_board(tmp_path, digits_root)
    with b:
        honest, forged, fake_weights = a_run("Ada", 93.0, widths=[64], hidden_layers=1), a_run("Mallory", 99.9, widths=[64], hidden_layers=1), \
            a_run("Trudy", 99.9, widths=[64], hidden_layers=1)
        for run in (honest, forged, fake_weights):
            send_run(b.url, CLASS, run)
        answer = send_weights(b.url, CLASS, honest["run_id"], pack(weights))
        expected = torch_accuracy(model, *digits.check)  # torch on the same digits: the same number
        assert answer["checked_acc"] == pytest.approx(expected, abs=100 / len(digits.check[1]) + 1e-9)
        assert answer["checked_acc"] > 80  # it learned (chance is 10 %)
        rng = np.random.default_rng(1)  # a forger who sends weights gets what they are worth
        noise = [rng.normal(0, 0.05, w.shape).astype(np.float32) for w in weights]
        assert send_weights(b.url, CLASS, fake_weights["run_id"], pack(noise))["checked_acc"] < 30
        assert send_weights(b.url, CLASS, honest["run_id"], pack(noise)) == {"checked_acc": answer["checked_acc"], "duplicate": True}

        shown = {r["name"]: r for r in since(b)["runs"]}
        assert shown["Mallory"]["val_acc"] == 99.9 and shown["Mallory"]["checked_acc"] is None  # unchecked: a claim only
        assert shown["Ada"]["checked_acc"] == answer["checked_acc"] and shown["Ada"]["val_acc"] == 93.0
        assert "private_acc" not in json.dumps(since(b))  # the private digits' scores stay on the server

        status, refused = request(b.url, "/api/private")
        assert status == 403 and "revealed by the instructor" in refused["error"]
        assert request(b.url, "/api/admin/reveal", {"revealed": True}, CLASS)[0] == 403
        assert request(b.url, "/api/admin/reveal", {"revealed": True}, ADMIN)[0] == 200
        ranking = request(b.url, "/api/private")[1]["ranking"]
        assert [r["name"] for r in ranking] == ["Ada", "Trudy"]  # Mallory sent no weights: not ranked
        assert ranking[0]["private_acc"] == pytest.approx(torch_accuracy(model, *digits.private), abs=100 / len(digits.private[1]) + 1e-9)


def post_big(url: str, path: str, body: bytes):
    """POST ``body`` as a client that keeps sending until the server answers or hangs up; (status, JSON)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", path)
    for key, value in (("Content-Type", "application/octet-stream"), ("Authorization", f"Bearer {CLASS}"),
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


def test_weights_that_do_not_fit_the_run_are_refused_by_name(tmp_path, digits_root, trained):
    import pickle

    _, weights = trained
    b, _ = checked_board(tmp_path, digits_root)
    with b:
        run = a_run("Ada", widths=[64], hidden_layers=1)
        send_run(b.url, CLASS, run)
        cases = [
            (pack([w.T.copy() if w.ndim == 2 else w for w in weights]), 422, "(out_features, in_features)"),
            (pack(weights[:2]), 422, "send 4 arrays"),
            (pack([w.astype(np.int32) for w in weights]), 422, "send float16, float32 or float64"),
            (pack([weights[0], weights[1], np.full_like(weights[2], np.nan), weights[3]]), 422, "NaN or infinity"),
            (pickle.dumps(weights), 422, "not one message of the grader's wire format"),
            (pack(["W1", 1.0]), 422, "a list of arrays"),
            (pack({"W": weights[0]}), 422, "the weights were refused"),
        ]
        for body, status, phrase in cases:
            got, answer = request(b.url, f"/api/runs/{run['run_id']}/weights", raw=body, token=CLASS,
                                  headers={"Content-Type": "application/octet-stream"})
            assert got == status and phrase in answer["error"], (phrase, got, answer)
        status, answer = post_big(b.url, f"/api/runs/{run['run_id']}/weights", pack([np.zeros((1024, 1024), np.float32)] * 2))
        assert status == 413 and "larger than 4 MB" in answer["error"]
        assert request(b.url, "/api/runs/nosuchrun123/weights", raw=pack(weights), token=CLASS)[0] == 404
        assert request(b.url, f"/api/runs/{run['run_id']}/weights", raw=pack(weights), token="guess")[0] == 403
        assert since(b)["runs"][0]["checked_acc"] is None  # nothing refused was scored


def test_a_board_with_no_digits_says_so(board, trained):
    run = a_run("Ada", widths=[64], hidden_layers=1)
    send_run(board.url, CLASS, run)
    with pytest.raises(BoardError) as err:
        send_weights(board.url, CLASS, run["run_id"], pack(trained[1]))
    assert err.value.status == 503 and "no digits to check runs with" in str(err.value)
    assert "no digits to check" in since(board)["checking"]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_numpy_forward_pass_agrees_with_torch_for_every_activation(activation, trained):
    import torch

    from nnworkshop.models import MLP

    torch.manual_seed(3)
    model = MLP([784, 32, 16, 10], activation=activation).eval()
    layers = [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    X = np.random.default_rng(0).normal(size=(300, 784)).astype(np.float32)
    with torch.no_grad():
        labels = model(torch.from_numpy(X)).argmax(1).numpy()
    assert accuracy(layers, activation, X, labels) == 100.0  # the same prediction for every input
    assert accuracy(layers, activation, X, (labels + 1) % 10) == 0.0
    arrays = [a for pair in layers for a in pair]
    decoded = decode_weights(pack(arrays), [784, 32, 16, 10])
    assert all(np.array_equal(d, a) for d, a in zip([a for pair in decoded for a in pair], arrays))
