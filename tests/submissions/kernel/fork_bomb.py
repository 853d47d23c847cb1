# %% [markdown]
# Threat: a fork bomb (graded with the guard off, which would refuse os.fork). Expected: the kernel's task
# limit stops it; the answers still get 10/10, status ok; nothing is left running afterwards.

# %%
import os
import time

started = 0
try:
    for _ in range(@@N@@):
        if os.fork() == 0:
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            time.sleep(600)
            os._exit(0)
        started += 1
except OSError:
    pass
print(f"processes started: {started}", flush=True)
