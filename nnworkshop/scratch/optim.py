"""SGD and Adam with torch.optim's exact update rules, updating ``Parameter.data`` in place."""

from __future__ import annotations

import math

import numpy as np

from ..validate import check_lr, check_momentum, check_weight_decay


class Optimizer:
    """Holds the parameter list and the learning rate; ``zero_grad()`` clears the grads."""

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list; pass model.parameters().")
        self.lr = check_lr(lr)

    def zero_grad(self) -> None:
        """Set every ``.grad`` to ``None`` (torch's default ``set_to_none=True``)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:  # pragma: no cover - subclasses implement it
        """Update every parameter that has a gradient, in place."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (no dampening, no Nesterov):

        g = grad + weight_decay * w
        v = g                      on the first step,  v = momentum * v + g  afterwards
        w = w - lr * v             (v = g when momentum is 0)
    """

    def __init__(self, params, lr, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = check_momentum(momentum)
        self.weight_decay = check_weight_decay(weight_decay)
        self.velocity = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                if self.velocity[i] is None:
                    self.velocity[i] = g.copy()
                else:
                    self.velocity[i] *= self.momentum
                    self.velocity[i] += g
                g = self.velocity[i]
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (L2 ``weight_decay`` added to the gradient, not AdamW):

        g = grad + weight_decay * w
        m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
        w = w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        b1, b2 = betas
        for name, b in (("betas[0]", b1), ("betas[1]", b2)):
            if not (0.0 <= float(b) < 1.0):
                raise ValueError(f"Adam {name} must be in [0, 1), got {b!r}. The usual betas are (0.9, 0.999).")
        if not (float(eps) > 0.0):
            raise ValueError(f"Adam eps must be > 0, got {eps!r}. The usual value is 1e-8.")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.weight_decay = check_weight_decay(weight_decay)
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self.steps[i] += 1
            t = self.steps[i]
            m, v = self.m[i], self.v[i]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= math.sqrt(1 - b2**t)
            denom += self.eps
            update = m / denom
            update *= self.lr / (1 - b1**t)
            p.data -= update
