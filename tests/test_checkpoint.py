"""nnworkshop.checkpoint and fit(checkpoint=, resume=): exact resume, atomic writes, clear refusals."""

import pytest
import torch

from nnworkshop import checkpoint, data
from nnworkshop.checkpoint import CheckpointError
from nnworkshop.models import MLP
from nnworkshop.training import fit


@pytest.fixture(scope="module")
def synth(synthetic_mnist_root):
    return (data.mnist_tensors(train=True, root=synthetic_mnist_root),
            data.mnist_tensors(train=False, root=synthetic_mnist_root))


def _model(sizes=(784, 32, 16, 10), dropout=0.3):
    torch.manual_seed(0)
    return MLP(sizes, dropout=dropout)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _numbers(h):
    return (h.train_loss, h.train_acc, h.test_loss, h.test_acc)


KW = dict(optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32, progress=False)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_three_plus_two_epochs_equal_five_in_one_go(synth, tmp_path, optimizer):
    train, test = synth
    kw = dict(KW, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 1e-3)
    whole = _model()
    h5 = fit(whole, train, test, epochs=5, seed=7, **kw)
    first = _model()
    h3 = fit(first, train, test, epochs=3, seed=7, checkpoint=tmp_path / "run.pt", **kw)
    assert h3.epochs == 3 and not _same_weights(first, whole)
    resumed = _model()  # a fresh model: everything must come from the file
    h = fit(resumed, train, test, epochs=5, resume=tmp_path / "run.pt", checkpoint=tmp_path / "run.pt", **kw)
    assert _same_weights(resumed, whole)  # dropout masks, momentum buffers and batch order all continued
    assert _numbers(h) == _numbers(h5)
    assert h.epochs == 5 and h.config["epochs"] == 5 and h.config["seed"] == 7
    assert checkpoint.read(tmp_path / "run.pt")["epoch"] == 5


def test_a_run_without_seed_can_still_be_resumed_exactly(synth, tmp_path):
    train, _ = synth
    path = tmp_path / "c.pt"
    h1 = fit(_model(), train, epochs=1, seed=None, checkpoint=path, **KW)
    seed = h1.config["seed"]
    assert isinstance(seed, int)  # drawn once and recorded, so the run can be redrawn
    resumed = _model()
    h2 = fit(resumed, train, epochs=2, resume=path, checkpoint=path, **KW)  # seed=None: the run's own
    whole = _model()
    assert _numbers(h2) == _numbers(fit(whole, train, epochs=2, seed=seed, **KW))
    assert _same_weights(resumed, whole)
    again = _model()
    h = fit(again, train, epochs=2, resume=path, **KW)  # nothing left to train: the run as it was saved
    assert _same_weights(again, whole) and _numbers(h) == _numbers(h2)
    with pytest.raises(CheckpointError, match=r"already trained 2 epochs.*pass epochs >= 2"):
        fit(_model(), train, epochs=1, resume=path, **KW)


def test_checkpoint_holds_what_it_promises(synth, tmp_path):
    train, test = synth
    model = _model()
    h = fit(model, train, test, epochs=2, seed=3, checkpoint=tmp_path / "c.pt", **KW)
    state = checkpoint.read(tmp_path / "c.pt")
    assert state["epoch"] == 2 and state["seed"] == 3 and state["model_class"] == "MLP"
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())
    assert state["history"]["train_loss"] == h.train_loss and state["history"]["test_acc"] == h.test_acc
    assert state["optimizer"]["state"]  # the momentum buffers
    assert state["rng"]["cpu"].dtype == torch.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]  # no temporary files left behind


def test_a_crash_mid_write_leaves_the_previous_checkpoint_intact(synth, tmp_path, monkeypatch):
    train, _ = synth
    path = tmp_path / "c.pt"
    fit(_model(), train, epochs=2, seed=1, checkpoint=path, **KW)
    before = path.read_bytes()

    def crash(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")  # some bytes reach the disk, then the process dies
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", crash)
    with pytest.raises(OSError, match="No space left"):
        fit(_model(), train, epochs=4, seed=1, resume=path, checkpoint=path, **KW)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert checkpoint.read(path)["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_another_architecture_is_a_clear_error(synth, tmp_path):
    train, _ = synth
    fit(_model(), train, epochs=1, seed=1, checkpoint=tmp_path / "c.pt", **KW)
    other = _model(sizes=(784, 64, 10))
    with pytest.raises(CheckpointError, match=r"do not fit this MLP.*same class and layer sizes"):
        fit(other, train, epochs=2, seed=1, resume=tmp_path / "c.pt", **KW)


def test_other_settings_are_a_clear_error(synth, tmp_path):
    train, _ = synth
    fit(_model(), train, epochs=1, seed=1, checkpoint=tmp_path / "c.pt", **KW)
    with pytest.raises(CheckpointError, match=r"other settings \(lr: 0.05 then, 0.1 now\).*same settings"):
        fit(_model(), train, epochs=2, resume=tmp_path / "c.pt", **dict(KW, lr=0.1))


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", None])
def test_a_corrupt_file_is_a_clear_error(synth, tmp_path, content):
    train, _ = synth
    path = tmp_path / "c.pt"
    if content is None:  # a real checkpoint cut short
        fit(_model(), train, epochs=1, seed=1, checkpoint=path, **KW)
        content = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"damaged or not a checkpoint.*earlier copy.*without resume="):
        fit(_model(), train, epochs=2, resume=path, **KW)


def test_a_foreign_torch_file_and_a_missing_file_are_clear_errors(tmp_path):
    torch.save(_model().state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match="not an nnworkshop checkpoint.*load_state_dict"):
        checkpoint.read(tmp_path / "weights.pt")
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*without resume="):
        checkpoint.read(tmp_path / "missing.pt")
