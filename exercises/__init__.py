"""The exercise notebooks, shipped inside the installed course as ``nnworkshop.course_exercises`` (see
pyproject.toml), so a notebook finds them with ``importlib.resources`` wherever it runs. Not code to import."""
