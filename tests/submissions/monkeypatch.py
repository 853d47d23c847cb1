# %% [markdown]
# Threat: wrong answers, then monkeypatching check, numpy and the grading modules so everything 'passes'.
# Expected: 0/10, status ok.

# %%
import numpy as np


def sigmoid(x):
    return np.zeros_like(np.asarray(x, dtype=float))


sigmoid_grad = tanh = tanh_grad = relu = relu_grad = sigmoid

# %%
import numpy.testing
import nnworkshop.grading as grading
import nnworkshop.grading.child as child
import nnworkshop.grading.protocol as protocol

grading.check = lambda *a, **k: print('q1: 6/6 public checks passed')
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
child.to_plain = lambda value: 'PASS'
_real_pack = protocol.pack
protocol.pack = lambda obj: _real_pack({'ok': True, 'value': 1.0, 'score': 10, 'passed': True})
try:
    import nnworkshop.grading.course as course  # loads the course's point table in the grader, never here
    course.load(course.DEFAULT).exercises['q1'].checks[0].points = 1000
except Exception as err:
    print('grader not importable:', type(err).__name__)

# %%
grading.check('q1')
