"""nnworkshop: a neural-networks course from NumPy by hand to PyTorch.

One module per idea:

- ``nnworkshop.scratch``   the network written by hand in NumPy (no torch)
- ``nnworkshop.models``    the same networks as ``torch.nn`` modules
- ``nnworkshop.training``  device-aware ``fit`` / ``evaluate`` loops
- ``nnworkshop.data``      MNIST through torchvision, as tensors or arrays
- ``nnworkshop.plots``     curves, digit grids, predictions, confusion matrix
- ``nnworkshop.widgets``   the live experiment dashboard
- ``nnworkshop.board``     the class board: the room's runs on one page (a small web service, no torch)
- ``nnworkshop.grading``   exercise checks and the batch grader
- ``nnworkshop.bench``     where the training time goes, measured

Importing the package is cheap: submodules are imported when used, and
``import nnworkshop.scratch`` never imports torch. CONTRIBUTING.md maps every module, layer by layer:
imports flow one way (``tests/test_layout.py`` enforces it).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
