"""The test harness's data switch, for everything pytest runs here (tests/ and the notebooks under nbval).

Real MNIST present (``NNWORKSHOP_DATA`` or the cache folder): the notebooks run on it. Absent: they run on
the project's synthetic MNIST-format digits instead (``nnworkshop.standin``), and the run says so at the start
and in the summary. Learners never get synthetic digits: only this file sets the switch.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

_BANNER = "!" * 100


def pytest_configure(config):
    from nnworkshop.standin import use_standin_if_no_mnist

    cache = getattr(config, "cache", None)
    folder = (cache.mkdir("nnworkshop") if cache else Path(tempfile.mkdtemp(prefix="nnworkshop-"))) / "standin-mnist"
    config._nnworkshop_standin = use_standin_if_no_mnist(folder)


def pytest_report_header(config):
    from nnworkshop.data import describe_source
    from nnworkshop.standin import FLAG, NOTICE

    if getattr(config, "_nnworkshop_standin", False):
        return [_BANNER, f"{NOTICE}.", f"({FLAG}=1; NNWORKSHOP_DATA={describe_source()['root']})", _BANNER]
    return [f"MNIST: real digits from {describe_source()['root']}"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from nnworkshop.standin import NOTICE

    if getattr(config, "_nnworkshop_standin", False):
        terminalreporter.write_sep("!", NOTICE, red=True, bold=True)
