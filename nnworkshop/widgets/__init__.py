"""The live experiment dashboard: change the network and the training, press Train, compare runs.

In a notebook::

    from nnworkshop.widgets import ExperimentDashboard
    dashboard = ExperimentDashboard()
    dashboard.show()

- ``controls.py``  the sliders and menus, read as one dict of hyperparameters
- ``runs.py``      the finished runs: table rows, curves figure, CSV
- ``dashboard.py`` ``ExperimentDashboard``: wires them to ``nnworkshop.training.fit`` in a background thread

Training itself is ``nnworkshop.training.fit``; the dashboard only reads the controls,
builds an ``nnworkshop.models.MLP`` and draws what ``fit`` reports after every epoch.
"""

from .controls import Controls
from .dashboard import ExperimentDashboard
from .runs import Run, RunTable

__all__ = ["ExperimentDashboard", "Controls", "Run", "RunTable"]
