"""nnworkshop.tensorboard_log: what fit logs is what TensorBoard reads back."""

import pytest
import torch

pytest.importorskip("tensorboard", reason="TensorBoard logging needs: pip install tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from nnworkshop import data  # noqa: E402
from nnworkshop.models import MLP  # noqa: E402
from nnworkshop.tensorboard_log import TensorBoardLogger, write_history  # noqa: E402
from nnworkshop.training import fit  # noqa: E402


@pytest.fixture(scope="module")
def synth(synthetic_mnist_root):
    return (data.mnist_tensors(train=True, root=synthetic_mnist_root),
            data.mnist_tensors(train=False, root=synthetic_mnist_root))


def _read(log_dir):
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    events = acc.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def _hparams(acc) -> dict:
    content = acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in info.hparams.items()}


def test_fit_callback_logs_curves_learning_rate_and_hparams(synth, tmp_path):
    train, test = synth
    torch.manual_seed(0)
    model = MLP((784, 32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    logger = TensorBoardLogger(tmp_path / "run", hparams={"sizes": model.sizes}, optimizer=opt)
    h = fit(model, train, test, epochs=3, optimizer=opt, batch_size=32, seed=0, progress=False,
            callbacks=[lambda hist, m: sched.step(), logger])  # the scheduler steps before the logger reads lr
    acc = _read(tmp_path / "run")
    for tag, values in [("loss/train", h.train_loss), ("loss/test", h.test_loss),
                        ("accuracy/train", h.train_acc), ("accuracy/test", h.test_acc),
                        ("seconds_per_epoch", h.seconds)]:
        steps, logged = _scalars(acc, tag)
        assert steps == [1, 2, 3]
        assert logged == pytest.approx(values, rel=1e-6), tag  # event files store float32
    assert _scalars(acc, "learning_rate")[1] == pytest.approx([0.1, 0.05, 0.025])
    assert _scalars(acc, "hparam/test_acc") == ([3], [pytest.approx(h.test_acc[-1], rel=1e-6)])
    hp = _hparams(acc)
    assert hp["batch_size"] == 32 and hp["optimizer"] == "SGD" and hp["seed"] == 0
    assert hp["lr"] == pytest.approx(0.2) and hp["sizes"] == "(784, 32, 10)"
    assert logger._closed


def test_write_history_exports_a_finished_run(synth, tmp_path):
    train, _ = synth
    torch.manual_seed(0)
    h = fit(MLP((784, 16, 10)), train, epochs=2, lr=0.1, seed=1, progress=False)
    write_history(h, tmp_path / "exported")
    acc = _read(tmp_path / "exported")
    assert _scalars(acc, "loss/train") == ([1, 2], pytest.approx(h.train_loss, rel=1e-6))
    assert _scalars(acc, "learning_rate")[1] == pytest.approx([0.1, 0.1])
    assert "loss/test" not in acc.Tags()["scalars"]  # no test set, no made-up test curve
    assert _hparams(acc)["optimizer"] == "sgd"


def test_a_validation_run_is_logged_under_validation_not_test(synth, tmp_path):
    train, held = synth
    torch.manual_seed(0)
    h = fit(MLP((784, 16, 10)), train, val=held, epochs=2, lr=0.1, seed=1, progress=False,
            callbacks=[TensorBoardLogger(tmp_path / "val")])
    tags = _read(tmp_path / "val").Tags()["scalars"]
    assert {"accuracy/validation", "loss/validation", "hparam/val_acc"} <= set(tags)
    assert not [t for t in tags if "test" in t]  # a TensorBoard reader never sees validation digits called test
    assert _scalars(_read(tmp_path / "val"), "accuracy/validation")[1] == pytest.approx(h.val_acc, rel=1e-6)
