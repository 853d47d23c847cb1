# %% [markdown]
# Threat: a thread bomb (the guard does not refuse threads). Expected: the kernel's task limit stops it
# after a few dozen; the answers still get 10/10, status ok.

# %%
import threading
import time

started = 0
try:
    for _ in range(@@N@@):
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        started += 1
except RuntimeError:
    pass
print(f"threads started: {started}", flush=True)
