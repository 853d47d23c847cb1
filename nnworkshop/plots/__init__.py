"""Pictures of training: learning curves, digit grids, predictions, a confusion matrix, conv filters and feature maps, a
computation graph.

Each function returns a ``matplotlib.figure.Figure`` built without pyplot, so it
works headless (no display needed, nothing left open) and in Jupyter shows once
when it is the cell's last expression (or via ``display(fig)``); ``fig.savefig``
writes it to a file. Plots take numbers (arrays, tensors, histories, probabilities) and never run a model:
the notebook computes probabilities where the learner sees it. torch is imported only when a torch
dataset is passed (through ``convert``).

Grouped by what they draw: ``curves`` (learning curves), ``digits`` (digit grids and probability bars), ``results``
(accuracy per run, decision boundary, confusion matrix), ``layers`` (conv filters and feature maps), ``graph``
(the autograd engine's computation graph); every name is also here, ``plots.curves(...)``.
"""

from ._common import MAX_INLINE_LEGEND, OTHER, RIGHT, TEST_STYLE, TRAIN_STYLE, WRONG
from .curves import curves, draw_history
from .digits import compare_probabilities, predictions, samples, telling_examples
from .graph import computation_graph
from .layers import feature_maps, filters
from .results import confusion, confusion_matrix, decision_boundary, final_accuracy

__all__ = ["curves", "draw_history", "samples", "predictions", "telling_examples", "compare_probabilities", "final_accuracy",
           "decision_boundary", "confusion", "confusion_matrix", "filters", "feature_maps", "computation_graph", "RIGHT", "WRONG", "OTHER",
           "TRAIN_STYLE", "TEST_STYLE", "MAX_INLINE_LEGEND"]
