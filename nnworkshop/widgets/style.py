"""The dashboard's stylesheet: larger text and controls in presenter mode (for a projector).

ipywidgets size their text and rows from CSS variables (``--jp-widgets-font-size`` and friends);
presenter mode raises them inside the dashboard only (class ``nnw-big`` on its root), and keeps the curves and
the run table within a 720p projector's height (``vh``: a share of the window's height).
"""

BASE = """
.nnw-dashboard .nnw-run-table .widget-html-content { line-height: 1.5; }
.nnw-dashboard .nnw-spread, .nnw-dashboard .nnw-parameters { white-space: normal; }
.nnw-dashboard .nnw-widths > .widget-label { text-align: right; padding-right: 8px; }
"""

BIG = """
.nnw-dashboard.nnw-big {
  --jp-widgets-font-size: 20px;
  --jp-widgets-inline-height: 38px;
  --jp-widgets-inline-width: 28em;
  --jp-widgets-slider-handle-size: 22px;
  font-size: 20px;
}
.nnw-dashboard.nnw-big img.nnw-curves { max-height: 40vh; object-fit: contain; object-position: left top; }
.nnw-dashboard.nnw-big .nnw-run-table-box { max-height: 30vh; }
.nnw-dashboard.nnw-big .nnw-progress { flex: 1 1 10em; width: auto; min-width: 12em; max-width: 24em; }
.nnw-dashboard.nnw-big .widget-html-content, .nnw-dashboard.nnw-big .widget-label,
.nnw-dashboard.nnw-big .widget-readout, .nnw-dashboard.nnw-big button, .nnw-dashboard.nnw-big select,
.nnw-dashboard.nnw-big input { font-size: 20px; }
"""


def presenter_css(on: bool) -> str:
    """The ``<style>`` element the dashboard carries: the base rules, plus the large ones when ``on``."""
    return f"<style>{BASE}{BIG if on else ''}</style>"
