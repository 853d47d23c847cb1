"""The autograd engine (``nnworkshop.scratch.autograd``): every op's gradient against finite differences and
against ``torch.autograd`` on the same float64 inputs, the engine's rules (accumulation, no_grad,
requires_grad), its errors, and the course's MLP trained on it matching ``scratch.fit`` number for number."""

import numpy as np
import pytest

from nnworkshop import scratch
from nnworkshop.scratch import autograd_mlp
from nnworkshop.scratch.autograd import (Tensor, cross_entropy, is_grad_enabled, no_grad, topological_order, trace,
                                         unbroadcast)

TOL = 1e-6
rng = np.random.default_rng(0)
A = rng.standard_normal((4, 3))
B = rng.standard_normal((3, 5))
ROW = rng.standard_normal(3)            # broadcast over A's rows
POS = rng.uniform(0.5, 2.0, (4, 3))     # for log, division
LABELS = np.array([0, 2, 1, 2])

# name -> (function of engine Tensors or torch tensors, inputs); the same code runs on both (operator overloading)
OPS = {
    "add (broadcast)": (lambda a, r: a + r, (A, ROW)),
    "mul (broadcast)": (lambda a, r: a * r, (A, ROW)),
    "sub": (lambda a, b: a - b, (A, POS)),
    "neg": (lambda a: -a, (A,)),
    "div": (lambda a, b: a / b, (A, POS)),
    "pow": (lambda a: a ** 3, (A,)),
    "matmul": (lambda a, b: a @ b, (A, B)),
    "transpose": (lambda a: a.T, (A,)),
    "sum(axis=0)": (lambda a: a.sum(0), (A,)),
    "sum(axis=1, keepdims)": (lambda a: a.sum(1, keepdims=True), (A,)),
    "mean": (lambda a: a.mean(), (A,)),
    "relu": (lambda a: a.relu(), (A,)),
    "sigmoid": (lambda a: a.sigmoid(), (A,)),
    "tanh": (lambda a: a.tanh(), (A,)),
    "exp": (lambda a: a.exp(), (A,)),
    "log": (lambda a: a.log(), (POS,)),
    "log_softmax": (lambda a: a.log_softmax(1), (A,)),
    "index (repeats)": (lambda a: a[np.array([0, 2, 0]), np.array([1, 1, 1])], (A,)),
    "reused input": (lambda a: a * a + a.sigmoid() * a, (A,)),
    "radd/rsub/rmul/rdiv": (lambda a: 2.0 * a + 1.0 - (3.0 / (a * a + 1.0)), (A,)),
}


def _engine_grads(fn, arrays, R):
    """Gradients of sum(fn(inputs) * R) with respect to every input, by the engine."""
    ts = [Tensor(x.copy(), requires_grad=True) for x in arrays]
    out = fn(*ts)
    (out * R).sum().backward()
    return [t.grad for t in ts], out.data


def _torch_grads(fn, arrays, R):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in arrays]
    fn = {"index (repeats)": lambda a: a[[0, 2, 0], [1, 1, 1]]}.get(_name_of(fn), fn)
    out = fn(*ts)
    (out * torch.tensor(R)).sum().backward()
    return [t.grad.numpy() for t in ts], out.detach().numpy()


def _name_of(fn):
    return next(name for name, (f, _) in OPS.items() if f is fn)


def _R(fn, arrays):
    with no_grad():
        shape = fn(*[Tensor(x) for x in arrays]).shape
    return np.random.default_rng(1).standard_normal(shape)


@pytest.mark.parametrize("name", OPS)
def test_every_op_gradient_matches_finite_differences(name):
    fn, arrays = OPS[name]
    arrays = [x.copy() for x in arrays]
    R = _R(fn, arrays)
    grads, _ = _engine_grads(fn, arrays, R)
    for x, g in zip(arrays, grads):
        def f():
            with no_grad():
                return float((fn(*[Tensor(a) for a in arrays]).data * R).sum())
        numeric = scratch.numerical_gradient(f, x, eps=1e-6).reshape(x.shape)
        assert g.shape == x.shape
        assert scratch.rel_error(g, numeric) < TOL, f"{name}: engine {g} vs numeric {numeric}"


@pytest.mark.parametrize("name", OPS)
def test_every_op_matches_torch_autograd_in_float64(name):
    fn, arrays = OPS[name]
    R = _R(fn, arrays)
    grads, out = _engine_grads(fn, arrays, R)
    torch_grads, torch_out = _torch_grads(fn, arrays, R)
    np.testing.assert_allclose(out, torch_out, rtol=0, atol=1e-12)
    for g, tg in zip(grads, torch_grads):
        np.testing.assert_allclose(g, tg, rtol=0, atol=TOL)
        assert scratch.rel_error(g, tg) < TOL


def test_mlp_loss_gradients_match_torch_and_the_hand_written_backward():
    """The course's MLP (ReLU hidden layers, cross-entropy) on one batch: engine = torch = scratch layers."""
    torch = pytest.importorskip("torch")
    net = scratch.mlp((20, 16, 8, 5), seed=3, dtype=np.float64)
    X = np.random.default_rng(4).standard_normal((7, 20))
    y = np.array([0, 1, 2, 3, 4, 0, 1])
    engine = autograd_mlp.EngineMLP(net)
    loss = cross_entropy(engine(X), y)
    loss.backward()

    loss_fn = scratch.SoftmaxCrossEntropy()
    scratch_loss = loss_fn(net(X), y)
    net.backward(loss_fn.backward())

    params = [torch.tensor(p.data, requires_grad=True) for p in engine.parameters()]
    h = torch.tensor(X)
    for k in range(0, len(params), 2):
        h = h @ params[k].T + params[k + 1]
        if k < len(params) - 2:
            h = h.relu()
    torch_loss = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    torch_loss.backward()

    assert loss.item() == pytest.approx(scratch_loss, abs=1e-12)
    assert loss.item() == pytest.approx(torch_loss.item(), abs=1e-12)
    for t, p, tp in zip(engine.parameters(), net.parameters(), params):
        np.testing.assert_allclose(t.grad, tp.grad.numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(t.grad, p.grad, rtol=0, atol=TOL)
        assert scratch.rel_error(t.grad, tp.grad.numpy()) < TOL


def test_leaf_gradients_add_up_until_zero_grad_like_torch():
    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)
    (w * w).sum().backward()                     # a second backward adds
    np.testing.assert_allclose(w.grad, 4 * w.data)
    loss = (w * 3.0).sum()
    loss.backward()
    loss.backward()                              # the same graph twice: intermediate results do not double up
    np.testing.assert_allclose(w.grad, 4 * w.data + 6.0)
    w.zero_grad()
    assert w.grad is None


def test_only_requires_grad_leaves_get_gradients_and_no_grad_records_nothing():
    x = Tensor(np.ones((2, 3)))                  # data
    W = Tensor(np.full((4, 3), 0.5), requires_grad=True)
    out = (x @ W.T).sum()
    assert out.requires_grad and not x.requires_grad
    out.backward()
    assert x.grad is None and W.grad.shape == W.shape
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        quiet = (x @ W.T).sum()
    assert is_grad_enabled()
    assert not quiet.requires_grad and quiet._parents == ()
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        quiet.backward()


def test_no_grad_is_restored_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()


def test_bad_input_gets_errors_that_name_the_fix():
    W = Tensor(np.ones((4, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"x @ W.T"):
        Tensor(np.ones((2, 3))) @ W
    with pytest.raises(ValueError, match=r"\.sum\(\) or \.mean\(\)"):
        (W * 2.0).backward()
    with pytest.raises(ValueError, match="must match"):
        (W * 2.0).backward(np.ones(3))
    with pytest.raises(ValueError, match="integer class labels"):
        cross_entropy(W, np.array([0, 1, 5, 0]))
    with pytest.raises(ValueError, match="integer class labels"):
        cross_entropy(W, np.array([0.0, 1.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match="takes a number"):
        W ** W
    with pytest.raises(TypeError, match="holds numbers"):
        Tensor(["a", "b"])


def test_a_float32_weight_gets_a_float32_gradient_even_from_float64_data():
    W = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (Tensor(np.ones((4, 3))) @ W.T).sum().backward()
    (Tensor(np.ones((4, 3))) @ W.T).sum().backward()
    assert W.grad.dtype == np.float32
    np.testing.assert_array_equal(W.grad, np.full((2, 3), 8.0))


def test_a_backward_of_the_wrong_shape_is_named():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    bad = w._result(w.data.sum(), (w,), "my_sum", lambda g: (np.ones(4) * g,))
    with pytest.raises(ValueError, match=r"'my_sum' returned a gradient of shape \(4,\) for an input of shape \(2, 3\)"):
        bad.backward()


def test_unbroadcast_sums_back_to_the_input_shape():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_array_equal(unbroadcast(g, (2, 3, 4)), g)


def test_topological_order_puts_every_node_after_its_inputs_and_survives_long_chains():
    a = Tensor(np.ones(3), requires_grad=True, name="a")
    b = (a * 2.0).relu()
    c = (b + a).sum()
    order = topological_order(c)
    position = {id(t): i for i, t in enumerate(order)}
    assert order[-1] is c and len(position) == len(order)
    for t in order:
        assert all(position[id(p)] < position[id(t)] for p in t._parents)

    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(5000):                         # deeper than Python's recursion limit
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 5000)


def test_trace_gives_the_graph_as_data_and_plots_draw_it():
    from matplotlib.figure import Figure

    from nnworkshop import plots

    W = Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    loss = cross_entropy(Tensor(np.ones((4, 3)), name="x") @ W.T, np.array([0, 1, 1, 0]))
    nodes, edges = trace(loss)
    labels = [n["label"] for n in nodes]
    assert {"W", "x", "T", "@", "log_softmax", "index", "sum", "*", "neg"} <= set(labels)
    assert all(i < j for i, j in edges) and labels[-1] == "neg"
    w = labels.index("W")
    assert nodes[w]["leaf"] and nodes[w]["requires_grad"] and nodes[w]["shape"] == (2, 3)
    fig = plots.computation_graph(nodes, edges)
    assert isinstance(fig, Figure)
    drawn = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # the arrows are empty annotations
    assert len(drawn) == len(nodes) and "W  (2x3)" in drawn
    with pytest.raises(ValueError, match="after its inputs"):
        plots.computation_graph(nodes, [(3, 1)])


def test_engine_trains_xor_exactly_as_scratch_fit_float64():
    X, y = scratch.xor_data(np.float64)
    net = scratch.xor_net(seed=0, dtype=np.float64)
    engine = autograd_mlp.EngineMLP(net)
    h_engine = autograd_mlp.fit(engine, X, y, epochs=300, batch_size=4, lr=2.0, seed=0, progress=False)
    h_scratch = scratch.fit(net, X, y, epochs=300, batch_size=4, lr=2.0, seed=0, progress=False)
    np.testing.assert_allclose(h_engine.train_loss, h_scratch.train_loss, rtol=1e-10, atol=0)
    for t, p in zip(engine.parameters(), net.parameters()):
        np.testing.assert_allclose(t.data, p.data, rtol=1e-9, atol=1e-12)
    assert h_engine.train_loss[-1] < 0.5 * h_engine.train_loss[0]


def test_engine_mlp_matches_scratch_fit_in_float32_with_momentum_on_digits(synthetic_mnist_root):
    from nnworkshop import data

    X, y = data.mnist_arrays(train=True, root=synthetic_mnist_root, limit=600)
    net = scratch.mlp((784, 32, 16, 10), seed=0)
    engine = autograd_mlp.EngineMLP(net)
    kw = dict(epochs=3, batch_size=64, lr=0.05, momentum=0.9, seed=0, progress=False)
    h_engine = autograd_mlp.fit(engine, X, y, **kw)
    h_scratch = scratch.fit(net, X, y, **kw)
    np.testing.assert_allclose(h_engine.train_loss, h_scratch.train_loss, rtol=1e-4)
    assert np.abs(np.array(h_engine.train_acc) - h_scratch.train_acc).max() <= 100 * 3 / len(X)
    assert h_engine.train_loss[-1] < h_engine.train_loss[0]
    assert (autograd_mlp.predict(engine, X) == scratch.predict(net, X)).mean() > 0.99


@pytest.mark.real_mnist
def test_engine_trains_the_course_mlp_above_90_percent_on_real_digits(real_mnist_root):
    from nnworkshop import data

    X, y = data.mnist_arrays(train=True, root=real_mnist_root, limit=6000)
    X_test, y_test = data.mnist_arrays(train=False, root=real_mnist_root, limit=2000)
    engine = autograd_mlp.EngineMLP(scratch.mlp((784, 128, 64, 10), seed=0))
    autograd_mlp.fit(engine, X, y, epochs=3, batch_size=64, lr=0.05, momentum=0.9, seed=0, progress=False)
    accuracy = 100 * (autograd_mlp.predict(engine, X_test) == y_test).mean()
    print(f"engine MLP: {accuracy:.2f} % on {len(X_test)} test digits")
    assert accuracy > 90.0


def test_engine_mlp_refuses_layers_it_cannot_copy():
    with pytest.raises(TypeError, match="dropout=0"):
        autograd_mlp.EngineMLP(scratch.mlp((4, 3, 2), dropout=0.5))
    engine = autograd_mlp.EngineMLP(scratch.mlp((4, 3, 2)))
    with pytest.raises(ValueError, match="Flatten"):
        autograd_mlp.fit(engine, np.ones((5, 3)), np.zeros(5, dtype=int), epochs=1, progress=False)
