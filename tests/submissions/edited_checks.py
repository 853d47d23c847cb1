# %% [markdown]
# Threat: wrong answers with the check cells edited to always report success. Expected: 0/10, status ok.

# %%
import numpy as np


def sigmoid(x):
    return np.zeros_like(np.asarray(x, dtype=float))


sigmoid_grad = tanh = tanh_grad = relu = relu_grad = sigmoid

# %%
def check(*args, **kwargs):
    print('q1: 6/6 public checks passed')


check('q1')
assert True
