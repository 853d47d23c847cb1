"""Import cost: the NumPy half of the course never imports torch, and the package is cheap to import.

Each check runs in a fresh Python process, so what other tests imported cannot hide an import.
The seconds themselves are measured by ``nnworkshop bench`` (a benchmark), not asserted here.
"""

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision"))))
"""


def heavy_modules_after(*names):
    proc = subprocess.run([sys.executable, "-c", PROBE, *names], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("names", [
    ("nnworkshop.scratch",),
    ("nnworkshop",),
    ("nnworkshop", "nnworkshop.config", "nnworkshop.validate", "nnworkshop.history", "nnworkshop.batches"),
])
def test_these_imports_bring_no_torch(names):
    assert heavy_modules_after(*names) == []


def test_the_probe_does_see_torch_when_it_is_imported():
    # guards the test above: an import of torch is detected
    assert "torch" in heavy_modules_after("nnworkshop.models")


def test_bench_measures_the_import_cost_in_fresh_processes():
    from nnworkshop.bench import IMPORT_MODULES, import_cost

    cost = import_cost(repeats=1)
    assert cost["modules"] == list(IMPORT_MODULES) and cost["repeats"] == 1
    assert cost["torch_torchvision_s"] > 0 and cost["nnworkshop_s"] >= 0 and cost["scratch_alone_s"] > 0
    assert cost["scratch_imports_torch"] is False
