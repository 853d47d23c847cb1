# %% [markdown]
# Threat: trying to kill the grader (the parent process) so the batch stops. A correct answer otherwise.
# Expected: 10/10, status ok (and the other submissions are still graded).

# %%
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)

# %%
def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def tanh_grad(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_grad(x):
    return (np.asarray(x) > 0).astype(float)

# %%
import os
import signal

for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
                lambda: signal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGKILL)):
    try:
        attempt()
        print('signalled the grader')
    except Exception as err:
        print('refused:', type(err).__name__, err)
