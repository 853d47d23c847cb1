"""Softmax cross-entropy: the loss for classification, fused with softmax for stability."""

from __future__ import annotations

import numpy as np

from ..validate import check_labels


class SoftmaxCrossEntropy:
    """Mean over the batch of -log softmax(logits)[y], like ``torch.nn.CrossEntropyLoss()``.

    ``value = loss(logits, y)`` returns a Python float; ``loss.backward()`` returns
    d value / d logits = (softmax(logits) - onehot(y)) / batch_size.
    """

    def __call__(self, logits, y) -> float:
        return self.forward(logits, y)

    def forward(self, logits, y) -> float:
        """Cache the probabilities and labels; return the mean cross-entropy."""
        n, n_classes = logits.shape
        y = np.asarray(y)
        if y.shape != (n,):
            raise ValueError(
                f"labels must have shape ({n},), one class index per row of logits {logits.shape}, got {y.shape}."
            )
        if y.dtype.kind not in "iu" or (n and (y.min() < 0 or y.max() >= n_classes)):
            check_labels(y, n_classes)  # raises the explanatory error (the test above is the cheap part)
        # log-sum-exp trick: subtracting the row max changes nothing mathematically
        # but keeps exp() from overflowing.
        shifted = logits - logits.max(axis=1, keepdims=True)
        rows = np.arange(n)
        shifted_y = shifted[rows, y]                 # index the true class, no one-hot matrix
        exp = np.exp(shifted, out=shifted)           # reuse the buffer: shifted is no longer needed
        sum_exp = exp.sum(axis=1)
        loss = np.log(sum_exp) - shifted_y           # -log softmax(z)[y], per sample
        exp /= sum_exp[:, None]                      # now the softmax probabilities
        self.probs, self.y, self.rows = exp, y, rows
        return float(loss.sum()) / n                 # the mean (sum / n is cheaper than .mean())

    def backward(self, grad: float = 1.0):
        """d loss / d logits: (probs - onehot(y)) * grad / batch_size."""
        dlogits = self.probs.copy()
        dlogits[self.rows, self.y] -= 1
        dlogits *= grad / len(self.y)
        return dlogits

    def __repr__(self) -> str:
        return "SoftmaxCrossEntropy()"


def cross_entropy(logits, y) -> float:
    """Mean cross-entropy of ``logits`` (N, K) against class indices ``y`` (N,): the loss on **logits**, like
    ``torch.nn.functional.cross_entropy`` and exercise q2 (``SoftmaxCrossEntropy`` as one function)."""
    return SoftmaxCrossEntropy()(np.asarray(logits, dtype=float), y)


def cross_entropy_grad(logits, y):
    """d cross_entropy / d logits: (softmax(logits) - onehot(y)) / N, shape (N, K)."""
    loss = SoftmaxCrossEntropy()
    loss(np.asarray(logits, dtype=float), y)
    return loss.backward()
