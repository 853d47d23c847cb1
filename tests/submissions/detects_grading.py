# %% [markdown]
# Threat: behaves differently when it detects the grader: then it answers the public checks' inputs from
# a table it memorised (and otherwise returns zeros). It must not gain. Expected: 0/10, status ok.

# %%
import os
import sys

import numpy as np

GRADED = 'nnworkshop.grading.child' in sys.modules or os.path.basename(os.getcwd()).startswith('nnw-grade-')
MEMO = {
    (-2.0, 0.0, 2.0): [0.11920292202211755, 0.5, 0.8807970779778823],
    (-1000.0, 1000.0): [0.0, 1.0],
    (-1.0, 0.0, 1.0): [-0.7615941559557649, 0.0, 0.7615941559557649],
}


def _answer(x):
    key = tuple(np.asarray(x, dtype=float).ravel().tolist())
    if GRADED and key in MEMO:
        return np.array(MEMO[key])
    return np.zeros(np.shape(x))


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _answer
print('graded' if GRADED else 'not graded')
