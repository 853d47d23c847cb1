"""The live experiment dashboard: change the network and the training, press Train, compare runs.

In a notebook::

    from nnworkshop.widgets import ExperimentDashboard
    dashboard = ExperimentDashboard()
    dashboard.show()

- ``controls.py``    the sliders and menus (one width per hidden layer), read as one dict of hyperparameters
- ``runs.py``        the finished runs: table rows, the scrollable table, CSV
- ``curves.py``      the loss and accuracy figure (mean ± sd of a setting repeated over seeds)
- ``style.py``       presenter mode's large text, for a projector
- ``digits.py``      the digits on the device in use, normalised or raw
- ``sharing.py``     sending runs to a class board (``nnworkshop.board``)
- ``run_actions.py`` show, hide, clear, save and send finished runs
- ``dashboard.py``   ``ExperimentDashboard``: wires them to ``nnworkshop.training.fit`` in a background thread

Training itself is ``nnworkshop.training.fit``; the dashboard only reads the controls,
builds an ``nnworkshop.models.MLP`` and draws what ``fit`` reports after every epoch.
"""

from .controls import Controls
from .dashboard import ExperimentDashboard
from .runs import Run, RunTable

__all__ = ["ExperimentDashboard", "Controls", "Run", "RunTable"]
