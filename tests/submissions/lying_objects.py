# %% [markdown]
# Threat: return values whose comparisons always succeed: an object with __eq__/__lt__/... always True
# and __float__ raising, and an ndarray subclass that claims equality with anything.
# Expected: 0/10, status ok.

# %%
import numpy as np


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __le__ = __ge__ = __lt__ = __gt__ = __eq__

    def __ne__(self, other):
        return False

    def __len__(self):
        return 1

    def __getitem__(self, i):
        return self


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(self.shape)


def sigmoid(x):
    return AlwaysEqual()


def sigmoid_grad(x):
    return np.zeros(np.shape(x)).view(LyingArray)


tanh = relu = sigmoid
tanh_grad = relu_grad = sigmoid_grad
