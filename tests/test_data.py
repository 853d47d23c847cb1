"""nnworkshop.data: MNIST loading, root resolution, errors that name the fix, synthetic stand-in digits."""

import gzip
import http.client
import shutil
import socket
import struct
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision

from nnworkshop import data, mnist_files
from nnworkshop.data import (
    FILES,
    MEAN,
    STD,
    MNISTCorruptError,
    MNISTNotFoundError,
    describe_source,
    mnist,
    mnist_arrays,
    mnist_tensors,
    resolve_root,
    write_synthetic_mnist,
)


def header_count(path) -> int:
    """Number of items an IDX file declares, read here independently of the code under test."""
    with open(path, "rb") as f:
        return struct.unpack(">I", f.read(8)[4:8])[0]


def nearest_centroid_accuracy(x_train, y_train, x_test, y_test) -> float:
    centroids = np.stack([x_train[y_train == k].mean(0) for k in range(10)])
    d = (x_test**2).sum(1)[:, None] - 2 * x_test @ centroids.T + (centroids**2).sum(1)[None]
    return float((d.argmin(1) == y_test).mean())


@pytest.fixture
def fresh_root(tmp_path):
    """A private synthetic root that a test may damage."""
    return write_synthetic_mnist(tmp_path / "data", n_train=60, n_test=30, seed=1)


@pytest.fixture
def no_download(monkeypatch):
    """Fail the test if anything tries to download."""

    def refuse(self):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", refuse)


# ---------------------------------------------------------------- synthetic data


def test_synthetic_files_are_read_by_torchvision(synthetic_mnist_root):
    raw = synthetic_mnist_root / "MNIST" / "raw"
    for name in FILES:
        assert gzip.decompress((raw / f"{name}.gz").read_bytes()) == (raw / name).read_bytes()
    train = torchvision.datasets.MNIST(synthetic_mnist_root, train=True, download=False)
    test = torchvision.datasets.MNIST(synthetic_mnist_root, train=False, download=False)
    assert len(train) == 600 and len(test) == 200
    assert train.data.dtype == torch.uint8 and train.data.shape == (600, 28, 28)
    assert train.data.max() > 200 and train.data.min() == 0
    assert torch.bincount(train.targets, minlength=10).tolist() == [60] * 10
    assert sorted(set(test.targets.tolist())) == list(range(10))


def test_synthetic_digits_are_learnable(synthetic_mnist_root):
    x, y = mnist_arrays(root=synthetic_mnist_root)
    xt, yt = mnist_arrays(train=False, root=synthetic_mnist_root)
    accuracy = nearest_centroid_accuracy(x, y, xt, yt)
    assert accuracy > 0.80, f"nearest centroid reaches only {accuracy:.1%} on the synthetic test split"


def test_synthetic_same_seed_same_bytes(tmp_path):
    a = write_synthetic_mnist(tmp_path / "a", n_train=30, n_test=10, seed=3) / "MNIST" / "raw"
    b = write_synthetic_mnist(tmp_path / "b", n_train=30, n_test=10, seed=3) / "MNIST" / "raw"
    c = write_synthetic_mnist(tmp_path / "c", n_train=30, n_test=10, seed=4) / "MNIST" / "raw"
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert (a / f"{name}.gz").read_bytes() == (b / f"{name}.gz").read_bytes()
    assert (a / FILES[0]).read_bytes() != (c / FILES[0]).read_bytes()


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_synthetic_rejects_bad_sizes(tmp_path, bad):
    with pytest.raises(ValueError, match="n_train must be a whole number >= 1"):
        write_synthetic_mnist(tmp_path, n_train=bad)


# ---------------------------------------------------------------- tensors and arrays


def test_tensor_shapes_dtypes_and_counts(synthetic_mnist_root):
    raw = synthetic_mnist_root / "MNIST" / "raw"
    for train, prefix in ((True, "train"), (False, "t10k")):
        n = header_count(raw / f"{prefix}-images-idx3-ubyte")
        x, y = mnist_tensors(train=train, root=synthetic_mnist_root)
        assert x.shape == (n, 784) and x.dtype == torch.float32
        assert y.shape == (n,) and y.dtype == torch.int64
        x4, y4 = mnist_tensors(train=train, root=synthetic_mnist_root, flatten=False)
        assert x4.shape == (n, 1, 28, 28) and torch.equal(x4.reshape(n, 784), x) and torch.equal(y4, y)


def test_normalisation_is_the_workshops_transform(synthetic_mnist_root):
    ds = mnist(root=synthetic_mnist_root, download=False)
    x, y = mnist_tensors(root=synthetic_mnist_root, flatten=False)
    for i in (0, 1, 123, len(ds) - 1):
        image, label = ds[i]
        assert image.shape == (1, 28, 28)
        torch.testing.assert_close(x[i], image, rtol=0, atol=1e-6)
        assert y[i].item() == label
    raw = torchvision.datasets.MNIST(synthetic_mnist_root, download=False).data
    assert (MEAN, STD) == (0.1307, 0.3081)  # the original workshop's Normalize((0.1307,), (0.3081,))
    torch.testing.assert_close(x[:, 0], (raw.float() / 255 - 0.1307) / 0.3081, rtol=0, atol=1e-5)


def test_custom_transform_replaces_the_default(synthetic_mnist_root):
    ds = mnist(root=synthetic_mnist_root, transform=torchvision.transforms.ToTensor())
    image, _ = ds[0]
    assert image.min() >= 0 and image.max() <= 1


def test_arrays_match_tensors(synthetic_mnist_root):
    x, y = mnist_arrays(train=False, root=synthetic_mnist_root, limit=17)
    xt, yt = mnist_tensors(train=False, root=synthetic_mnist_root, limit=17)
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.shape == (17, 784)
    assert y.dtype == np.int64 and y.shape == (17,)
    np.testing.assert_array_equal(x, xt.numpy())
    np.testing.assert_array_equal(y, yt.numpy())


def test_limit_takes_exactly_the_first_samples(synthetic_mnist_root):
    x, y = mnist_tensors(root=synthetic_mnist_root)
    x50, y50 = mnist_tensors(root=synthetic_mnist_root, limit=50)
    assert len(x50) == 50 and len(y50) == 50
    assert torch.equal(x50, x[:50]) and torch.equal(y50, y[:50])
    assert len(mnist_tensors(root=synthetic_mnist_root, limit=np.int64(600))[0]) == 600


def test_limit_larger_than_the_set_names_its_size(synthetic_mnist_root):
    with pytest.raises(ValueError, match=r"limit=601 is larger than the MNIST training set, which has 600 samples"):
        mnist_tensors(root=synthetic_mnist_root, limit=601)
    with pytest.raises(ValueError, match=r"test set, which has 200 samples\. Use limit <= 200"):
        mnist_arrays(train=False, root=synthetic_mnist_root, limit=10_000)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_limit_must_be_a_positive_whole_number(synthetic_mnist_root, bad):
    with pytest.raises(ValueError, match="limit must be a whole number of samples >= 1"):
        mnist_tensors(root=synthetic_mnist_root, limit=bad)


def test_decoded_once_per_process(tmp_path, monkeypatch):
    root = write_synthetic_mnist(tmp_path, n_train=40, n_test=20, seed=2)
    calls = []
    real = torchvision.datasets.MNIST

    def counting(*args, **kwargs):
        calls.append(kwargs.get("train", args[1] if len(args) > 1 else True))
        return real(*args, **kwargs)

    monkeypatch.setattr(torchvision.datasets, "MNIST", counting)
    x1, y1 = mnist_tensors(root=root)
    y1[:] = 7  # editing what we got back must not change the next call
    x2, y2 = mnist_tensors(root=root, limit=10)
    assert calls == [True]
    assert torch.equal(x2, x1[:10]) and (y2 != 7).any()
    write_synthetic_mnist(tmp_path, n_train=50, n_test=20, seed=2)  # new files: read again
    assert len(mnist_tensors(root=root)[0]) == 50 and calls == [True, True]


def test_device_argument(synthetic_mnist_root):
    x, y = mnist_tensors(root=synthetic_mnist_root, limit=5, device="cpu")
    assert x.device.type == "cpu" and y.device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_device_cuda_gives_the_same_numbers(synthetic_mnist_root):
    x, y = mnist_tensors(root=synthetic_mnist_root, device="cuda")
    assert x.is_cuda and y.is_cuda
    xc, yc = mnist_tensors(root=synthetic_mnist_root)
    torch.testing.assert_close(x.cpu(), xc, rtol=0, atol=1e-6)
    assert torch.equal(y.cpu(), yc)


# ---------------------------------------------------------------- where the data is read from


def test_root_order_argument_then_variable_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNWORKSHOP_DATA", str(tmp_path / "from_env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_root(tmp_path / "arg") == tmp_path / "arg"
    assert describe_source(tmp_path / "arg")["source"] == "argument"
    assert resolve_root() == tmp_path / "from_env"
    assert describe_source()["source"] == "NNWORKSHOP_DATA"
    monkeypatch.delenv("NNWORKSHOP_DATA")
    assert resolve_root() == tmp_path / "xdg" / "nnworkshop" / "data"
    assert describe_source()["source"] == "cache"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_root() == tmp_path / "home" / ".cache" / "nnworkshop" / "data"


def test_cache_dir_on_windows(tmp_path, monkeypatch):
    monkeypatch.delenv("NNWORKSHOP_DATA", raising=False)
    monkeypatch.setattr(mnist_files.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert data.default_cache_dir() == tmp_path / "Local" / "nnworkshop" / "data"


def test_pointing_at_the_mnist_or_raw_folder_is_forgiven(synthetic_mnist_root):
    assert resolve_root(synthetic_mnist_root / "MNIST") == synthetic_mnist_root
    assert resolve_root(synthetic_mnist_root / "MNIST" / "raw") == synthetic_mnist_root
    x, _ = mnist_tensors(root=synthetic_mnist_root / "MNIST" / "raw", limit=3)
    assert torch.equal(x, mnist_tensors(root=synthetic_mnist_root, limit=3)[0])


def test_describe_source(synthetic_mnist_root, tmp_path):
    info = describe_source(synthetic_mnist_root)
    assert info["root"] == str(synthetic_mnist_root) and info["source"] == "argument"
    assert info["raw_folder"] == str(synthetic_mnist_root / "MNIST" / "raw")
    assert (info["train_present"], info["train_count"]) == (True, 600)
    assert (info["test_present"], info["test_count"]) == (True, 200)
    assert info["problem"] is None
    empty = describe_source(tmp_path / "nothing")
    assert empty["train_present"] is False and empty["test_count"] is None and empty["problem"] is None
    assert not (tmp_path / "nothing").exists(), "describe_source must not create or download anything"


# ---------------------------------------------------------------- errors that name the fix


def test_missing_files_without_download(tmp_path):
    with pytest.raises(MNISTNotFoundError) as info:
        mnist_tensors(root=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "(from the root argument)" in message
    assert all(name in message for name in FILES)
    assert "NNWORKSHOP_DATA" in message and "download=True" in message
    with pytest.raises(MNISTNotFoundError, match="MNIST not found"):
        mnist(root=tmp_path, download=False)


def test_download_failure_offline_says_where_the_files_go(tmp_path, monkeypatch):
    def offline(url, *args, **kwargs):
        raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    # torchvision's own mirror loop runs and wraps this in RuntimeError("Error downloading ...")
    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", offline)
    with pytest.raises(MNISTNotFoundError) as info:
        mnist_tensors(root=tmp_path)
    message = str(info.value)
    assert "downloading it failed: RuntimeError: Error downloading train-images-idx3-ubyte.gz" in message
    assert "Temporary failure in name resolution" in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert all(name in message for name in FILES)
    assert "NNWORKSHOP_DATA=" in message and "HTTPS_PROXY" in message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert not any((tmp_path / "MNIST" / "raw").glob("*-ubyte")), "no stand-in data may appear"


@pytest.mark.parametrize(
    "error",
    [TimeoutError("The read operation timed out"), ConnectionResetError(104, "Connection reset by peer"),
     http.client.IncompleteRead(b"partial"), URLError("Tunnel connection failed: 407 Proxy Authentication Required")],
    ids=["timeout", "reset", "incomplete", "proxy"],
)
def test_download_failure_kinds_are_all_explained(tmp_path, monkeypatch, error):
    def fail(self):
        raise error

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", fail)
    with pytest.raises(MNISTNotFoundError) as info:
        mnist(root=tmp_path)
    message = str(info.value)
    assert f"{type(error).__name__}: " in message and "HTTPS_PROXY" in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert info.value.__cause__ is error


def test_successful_download_is_used(tmp_path, monkeypatch):
    def fake_download(self):  # stands in for the network: writes the files where torchvision would
        write_synthetic_mnist(self.root, n_train=20, n_test=10, seed=5)

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", fake_download)
    x, y = mnist_tensors(root=tmp_path)
    assert x.shape == (20, 784) and len(y) == 20


def test_truncated_file_is_named(fresh_root, no_download):
    images = fresh_root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    with pytest.raises(MNISTCorruptError) as info:
        mnist_tensors(root=fresh_root)
    message = str(info.value)
    assert str(images) in message and "corrupt or truncated" in message and "truncated: 5000 bytes" in message
    assert "Delete it and load again" in message
    with pytest.raises(MNISTCorruptError, match="truncated"):
        mnist(root=fresh_root)
    described = describe_source(fresh_root)
    assert described["train_count"] is None and str(images) in described["problem"]
    assert described["test_count"] == 30


def test_bad_magic_number_is_named(fresh_root, no_download):
    labels = fresh_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    labels.write_bytes(gzip.compress(labels.read_bytes()))  # a .gz saved under the plain name
    with pytest.raises(MNISTCorruptError, match=r"t10k-labels-idx1-ubyte is corrupt or truncated: bad magic number 0x1f8b"):
        mnist_tensors(train=False, root=fresh_root)


def test_labels_and_images_must_agree(fresh_root, no_download):
    raw = fresh_root / "MNIST" / "raw"
    labels = raw / "train-labels-idx1-ubyte"
    labels.write_bytes(struct.pack(">II", 2049, 59) + labels.read_bytes()[8:-1])
    with pytest.raises(MNISTCorruptError, match="it has 59 labels but train-images-idx3-ubyte has 60 images"):
        mnist_tensors(root=fresh_root)
    labels.write_bytes(struct.pack(">II", 2049, 60) + bytes([12]) * 60)
    with pytest.raises(MNISTCorruptError, match="contains the label 12; digit labels are 0-9"):
        mnist_tensors(root=fresh_root)


def test_gz_copies_alone_are_enough(fresh_root, no_download):
    raw = fresh_root / "MNIST" / "raw"
    expected = mnist_tensors(root=fresh_root)
    for name in FILES:
        (raw / name).unlink()
    x, y = mnist_tensors(root=fresh_root)
    assert torch.equal(x, expected[0]) and torch.equal(y, expected[1])
    assert all((raw / name).is_file() for name in FILES)


def test_corrupt_gz_is_named(fresh_root, no_download):
    raw = fresh_root / "MNIST" / "raw"
    packed = raw / "train-images-idx3-ubyte.gz"
    (raw / "train-images-idx3-ubyte").unlink()
    packed.write_bytes(packed.read_bytes()[:300])
    with pytest.raises(MNISTCorruptError) as info:
        mnist_tensors(root=fresh_root)
    message = str(info.value)
    assert str(packed) in message and "cannot be decompressed" in message and "downloaded again" in message
    assert not (raw / "train-images-idx3-ubyte").exists()


def test_files_outside_mnist_raw_are_pointed_out(fresh_root, tmp_path, no_download):
    flat = tmp_path / "flat"
    shutil.copytree(fresh_root / "MNIST" / "raw", flat)
    with pytest.raises(MNISTNotFoundError, match=r"found MNIST files directly in .*flat, but torchvision reads them from .*flat/MNIST/raw"):
        mnist_tensors(root=flat)


# ---------------------------------------------------------------- real MNIST


@pytest.mark.real_mnist
@pytest.mark.parametrize("train,prefix", [(True, "train"), (False, "t10k")])
def test_real_counts_shapes_dtypes(real_mnist_root, train, prefix):
    raw = real_mnist_root / "MNIST" / "raw"
    n = header_count(raw / f"{prefix}-images-idx3-ubyte")
    assert n == header_count(raw / f"{prefix}-labels-idx1-ubyte")
    x, y = mnist_tensors(train=train, root=real_mnist_root)
    assert x.shape == (n, 784) and x.dtype == torch.float32
    assert y.shape == (n,) and y.dtype == torch.int64
    assert sorted(torch.unique(y).tolist()) == list(range(10))
    assert describe_source(real_mnist_root)[f"{'train' if train else 'test'}_count"] == n
    xa, ya = mnist_arrays(train=train, root=real_mnist_root)
    assert xa.shape == (n, 784) and xa.dtype == np.float32 and ya.dtype == np.int64


@pytest.mark.real_mnist
def test_real_training_set_is_normalised(real_mnist_root):
    x, _ = mnist_tensors(root=real_mnist_root)
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


@pytest.mark.real_mnist
def test_real_dataset_matches_tensors(real_mnist_root):
    ds = mnist(root=real_mnist_root, download=False)
    x, y = mnist_tensors(root=real_mnist_root, flatten=False)
    assert len(ds) == len(x)
    for i in (0, 1, len(ds) // 2, len(ds) - 1):
        image, label = ds[i]
        torch.testing.assert_close(x[i], image, rtol=0, atol=1e-6)
        assert y[i].item() == label


@pytest.mark.real_mnist
def test_real_limit_semantics(real_mnist_root):
    n = header_count(real_mnist_root / "MNIST" / "raw" / "train-images-idx3-ubyte")
    x, y = mnist_tensors(root=real_mnist_root)
    x5, y5 = mnist_tensors(root=real_mnist_root, limit=5000)
    assert len(x5) == 5000 and len(y5) == 5000
    assert torch.equal(x5, x[:5000]) and torch.equal(y5, y[:5000])
    with pytest.raises(ValueError, match=f"limit={n + 1} is larger than the MNIST training set, which has {n} samples"):
        mnist_tensors(root=real_mnist_root, limit=n + 1)


@pytest.mark.real_mnist
def test_real_images_and_labels_line_up(real_mnist_root):
    x, y = mnist_arrays(root=real_mnist_root)
    xt, yt = mnist_arrays(train=False, root=real_mnist_root)
    accuracy = nearest_centroid_accuracy(x, y, xt, yt)
    assert accuracy > 0.75, f"nearest centroid on real MNIST: {accuracy:.1%} (about 80% expected)"
