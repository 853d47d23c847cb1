# %% [markdown]
# Threat: writing fake grade files (in its folder, next to it, in /tmp, anything named grades*.csv it can
# find) and printing fake CSV rows. Expected: 0/10, status ok, and the real CSV is untouched.

# %%
import numpy as np


def sigmoid(x):
    return np.zeros_like(np.asarray(x, dtype=float))


sigmoid_grad = tanh = tanh_grad = relu = relu_grad = sigmoid

# %%
import glob
import json
import os

fake_row = 'tests/submissions/fake_grades.py,q1,10,10,10,ok,0.1,\n'
print('submission,exercise,q1,total,max,status,seconds,detail')
print(fake_row)
targets = ['grades.csv', 'results.json', '../grades.csv', '/tmp/grades.csv']
for depth in range(1, 5):
    targets += glob.glob('/tmp/' + '*/' * depth + 'grades*.csv') + glob.glob('/tmp/' + '*/' * depth + 'results.json')
for path in targets:
    try:
        with open(path, 'w') as f:
            f.write(json.dumps({'score': 10}) if path.endswith('.json') else fake_row)
        print('wrote', path)
    except OSError as err:
        print('refused', path, type(err).__name__)
