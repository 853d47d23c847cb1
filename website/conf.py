"""Sphinx configuration of the course site (``make site``; staged and run by ``website/build.py``).

Why Sphinx + myst-nb + sphinx-book-theme: all three install from PyPI and build with no network at all,
which this course's CI and offline classrooms need; Jupyter Book 2 / mystmd fetch their web theme when
they build. myst-nb executes each notebook (the learner's code, on this machine) and renders its outputs,
plots and MyST/LaTeX math; the math is typeset by the MathJax copy that ``sphinx-mathjax-offline`` ships,
served from the site itself instead of a CDN.
"""

project = "nnworkshop"
author = "the nnworkshop course"
extensions = ["myst_nb", "sphinx-mathjax-offline"]
mathjax_path = "mathjax/tex-chtml.js"  # copied into _static/ by sphinx-mathjax-offline: no CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]

# Execute every notebook on this machine; the exercises are shown as learners get them (not executed:
# their answers are left for the learner, so they would stop at the first NotImplementedError).
nb_execution_mode = "force"
nb_execution_excludepatterns = ["exercises/*"]
nb_execution_timeout = 1800
nb_execution_raise_on_error = True  # a failing notebook fails the build, never a page with a traceback
nb_execution_show_tb = True
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = "nnworkshop: neural networks from NumPy to PyTorch"
html_theme_options = {"show_toc_level": 2, "use_download_button": True}
html_show_sourcelink = False
# No widget manager from a CDN (require.js, @jupyter-widgets/html-manager): the site must work offline.
# Widget outputs (progress bars, the dashboard) show their text form; the dashboard needs a live kernel anyway.
nb_ipywidgets_js = {}
# A widget on a static page is a script tag that draws nothing, and the widget *state* the kernel left (the
# dashboard's was 780 KB of notebook 05's page) would be shipped with it: show each output's text form instead
# (a progress bar's last line), and publish no widget state. The dashboard itself is shown as a picture
# (website/build.py puts it on 05's page).
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

html_static_path = ["_static"]
html_css_files = ["course.css"]


def _no_widget_state(app, pagename, *args):
    """Drop the widget state myst-nb would embed in this page (it registers it as a script, see above)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    if app.env is not None and hasattr(app.env, "nb_metadata"):
        NbMetadataCollector.get_js_files(app.env, pagename).pop("ipywidgets_state", None)


def setup(app):
    """Runs before myst-nb adds a page's scripts (priority 400 < its 500)."""
    app.connect("html-page-context", _no_widget_state, priority=400)
