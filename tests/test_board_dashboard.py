"""A dashboard joining a class board: the button, the automatic option, the environment, resends, refusals."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from nnworkshop.board.server import start_board
from nnworkshop.data import mnist_tensors, write_synthetic_mnist
from nnworkshop.widgets import ExperimentDashboard


@pytest.fixture(scope="module")
def digits_root(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("digits"), n_train=300, n_test=100, seed=0)


@pytest.fixture(scope="module")
def digits(digits_root):
    return (*mnist_tensors(True, root=digits_root), *mnist_tensors(False, root=digits_root))


@pytest.fixture
def board(tmp_path):
    with start_board(tmp_path / "board.sqlite", token="room-42", instructor_token="teacher-only") as b:
        yield b


def on_board(board) -> list[dict]:
    with urllib.request.urlopen(board.url + "/api/runs", timeout=10) as r:
        return json.loads(r.read())["runs"]


def test_send_to_board_button_sends_each_run_once(board, digits):
    db = ExperimentDashboard(data=digits, device="cpu", board=board.url, token="room-42", name="Ada",
                             epochs=2, train_size=200, widths=(64,), hidden_layers=1)
    assert db.board.send_button in db.board.widget.children
    db.train(wait=True)
    db.board.send_button.click()
    db.board.thread.join(10)
    runs = on_board(board)
    assert len(runs) == 1
    sent, mine = runs[0], db.runs[0]
    assert sent["name"] == "Ada" and sent["val_acc"] == mine["test_acc"] and sent["seconds"] == mine["seconds"]
    assert sent["hyperparameters"]["widths"] == [64] and sent["parameters"] == mine["parameters"] == 784 * 64 + 64 + 650
    assert sent["curves"]["val_acc"] == db.history(1).test_acc
    assert db.board_message == "sent 1 run to the board (this board checks no runs: it has no digits to check with)"
    assert "sent" in db.table.grid.children[-2].value  # the table's board column

    db.send_to_board(wait=True)  # nothing new
    assert db.board_message == "every run is on the board already" and len(on_board(board)) == 1
    db.table.runs[0].sent = False  # e.g. the answer was lost on the way back: the resend is a duplicate
    db.send_to_board(wait=True)
    assert len(on_board(board)) == 1


def test_automatic_sending_from_the_environment(board, digits, monkeypatch):
    monkeypatch.setenv("NNWORKSHOP_BOARD", board.url)
    monkeypatch.setenv("NNWORKSHOP_BOARD_TOKEN", "room-42")
    monkeypatch.setenv("NNWORKSHOP_BOARD_NAME", "Grace")
    db = ExperimentDashboard(data=digits, device="cpu", auto_send=True, epochs=1, train_size=200, repeats=2)
    db.train(wait=True)
    deadline = time.monotonic() + 20
    while len(on_board(board)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    runs = on_board(board)
    assert sorted((r["name"], r["hyperparameters"]["seed"]) for r in runs) == [("Grace", 0), ("Grace", 1)]


def test_a_wrong_token_or_no_board_is_a_message(board, digits, monkeypatch):
    db = ExperimentDashboard(data=digits, device="cpu", board=board.url, token="nope", name="Ada", epochs=1, train_size=200)
    db.train(wait=True)
    db.send_to_board(wait=True)
    assert "refused the run (403): wrong token for this board" in db.board_message
    assert on_board(board) == [] and not db.table.runs[0].sent

    monkeypatch.delenv("NNWORKSHOP_BOARD", raising=False)
    alone = ExperimentDashboard(data=digits, device="cpu")
    assert not alone.board.active and alone.board.widget.children == ()
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        ExperimentDashboard(data=digits, device="cpu", board="localhost:8765")


def test_a_dashboard_run_is_checked_by_the_board(tmp_path, digits, digits_root):
    import numpy as np
    import torch

    from nnworkshop.board.check import CheckDigits
    from nnworkshop.models import MLP

    check = CheckDigits.load(digits_root)
    with start_board(tmp_path / "checked.sqlite", token="room-42", instructor_token="teacher-only", check_digits=check) as b:
        db = ExperimentDashboard(data=digits, device="cpu", board=b.url, token="room-42", name="Ada",
                                 epochs=2, train_size=200, widths=(64,), hidden_layers=1)
        db.train(wait=True)
        db.send_to_board(wait=True)
        assert db.board_message == "sent 1 run to the board (1 checked by the board)"
        run = db.table.runs[0]
        assert [w.shape for w in run.weights] == [(64, 784), (64,), (10, 64), (10,)]  # (out_features, in_features)
        model = MLP([784, 64, 10]).eval()  # the weights the dashboard kept, in torch, on the board's digits
        with torch.no_grad():
            for layer, (W, bias) in zip([m for m in model.modules() if isinstance(m, torch.nn.Linear)],
                                        zip(run.weights[::2], run.weights[1::2])):
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(bias))
            pixels, labels = check.check
            predicted = model(torch.from_numpy(CheckDigits.inputs(pixels, True))).argmax(1).numpy()
        expected = 100.0 * float(np.mean(predicted == labels))
        assert run.checked_acc == pytest.approx(expected, abs=100 / len(labels) + 1e-9)  # a near-tie may round apart
        with urllib.request.urlopen(b.url + "/api/runs?since=0", timeout=10) as r:
            assert json.loads(r.read())["runs"][0]["checked_acc"] == run.checked_acc


def test_a_dashboard_over_the_rate_limit_is_told_when_to_try_again(tmp_path, digits):
    from nnworkshop.board.limits import RateLimit

    with start_board(tmp_path / "limited.sqlite", token="room-42", instructor_token="teacher-only",
                     rate_limit=RateLimit(1, 60)) as b:
        db = ExperimentDashboard(data=digits, device="cpu", board=b.url, token="room-42", name="Ada", epochs=1,
                                 train_size=200, repeats=2)
        db.train(wait=True)
        db.send_to_board(wait=True)
        assert "refused the run (429)" in db.board_message and "try again in 60 s" in db.board_message
        assert "Press Send to board again then" in db.board_message
        assert [r.sent for r in db.table.runs] == [True, False] and len(on_board(b)) == 1  # the first went
