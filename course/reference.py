"""Reference answers, computed in the grader's own process from the inputs it draws."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    """Stable logistic function."""
    out = np.empty_like(x, dtype=float)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    return 1 - np.tanh(x) ** 2


def relu(x):
    return np.maximum(x, 0.0)


def relu_grad(x):
    return (x > 0).astype(float)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def cross_entropy(z, y):
    return float(-log_softmax(z)[np.arange(len(y)), y].mean())


def cross_entropy_grad(z, y):
    g = softmax(z)
    g[np.arange(len(y)), y] -= 1
    return g / len(y)


def linear_forward(x, w, b):
    """x (N, D), w (out, in) = (M, D), b (M,) -> (N, M)."""
    return x @ w.T + b


def linear_backward(dout, x, w):
    """(dx, dW, db) for dout (N, M), x (N, D), w (M, D)."""
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def two_layer_loss(x, y, params):
    h_pre = linear_forward(x, params["W1"], params["b1"])
    h = np.maximum(h_pre, 0)
    z = linear_forward(h, params["W2"], params["b2"])
    loss = cross_entropy(z, y)
    dz = cross_entropy_grad(z, y)
    dh, dw2, db2 = linear_backward(dz, h, params["W2"])
    dh_pre = dh * (h_pre > 0)
    _, dw1, db1 = linear_backward(dh_pre, x, params["W1"])
    return loss, {"W1": dw1, "b1": db1, "W2": dw2, "b2": db2}


def torch_steps(weights, x, y, lr, momentum, steps):
    """Losses and parameters after ``steps`` SGD steps on one batch (the parent's own torch)."""
    import torch

    w1, b1, w2, b2 = (torch.tensor(w, dtype=torch.float32) for w in weights)
    model = torch.nn.Sequential(torch.nn.Linear(w1.shape[1], w1.shape[0]), torch.nn.ReLU(),
                                torch.nn.Linear(w2.shape[1], w2.shape[0]))
    with torch.no_grad():
        for p, w in zip(model.parameters(), (w1, b1, w2, b2)):
            p.copy_(w)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def torch_evaluate(weights, x, y):
    """Mean loss per sample and accuracy (fraction) of the eval-mode model on all of x."""
    z = np.maximum(x @ weights[0].T + weights[1], 0) @ weights[2].T + weights[3]
    return cross_entropy(z, y), float((z.argmax(axis=1) == y).mean())


def conv_forward(x, w, b, stride=1, padding=0):
    """out (N, F, OH, OW) of x (N, C, H, W) with filters w (F, C, kh, kw) and biases b (F,): torch's own conv2d
    (a cross-correlation, the filter not flipped), in float64 in the grader's process."""
    import torch

    x, w, b = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (x, w, b))  # a flipped view too
    return torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding).numpy()


def conv_backward(dout, x, w, stride=1, padding=0):
    """(dx, dw, db) of shapes x (N, C, H, W), w (F, C, kh, kw), (F,) for dout (N, F, OH, OW): torch's autograd
    through conv2d, in float64."""
    import torch

    xt, wt = (torch.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True) for a in (x, w))
    bt = torch.zeros(wt.shape[0], dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(torch.from_numpy(np.ascontiguousarray(dout, dtype=np.float64)))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
