"""The instructor's report (``nnworkshop grade ... --report report.html``): the whole class on one page.

One self-contained HTML file (no script, no stylesheet or font from the internet; the plots are inline SVG from
matplotlib): the batch seed and the isolation layers, the statuses, the score distribution per question, every
hidden check across the class **sorted by pass rate, weakest first, its bar coloured from red to green**, with its
failures split into unfinished work and wrong answers (``insight.unfinished``), the most common failure messages
grouped (numbers in them masked, so "off by 0.31" and "off by 0.27" count together) with how many learners hit
each, the flags counted and shown per submission (``insight.flags_of``), the submissions that are the same code
(``insight.duplicates``), and every submission with its score, status and time. Everything a learner controls
is escaped (``html.escape``).
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

from .atomic import write_atomic
from .grader import STATUS_TEXT, Result
from .insight import FLAG_KINDS, duplicates, flags_of, unfinished

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
STATUS_COLOURS = {"ok": "#2e7d32", "timeout": "#ef6c00", "memory": "#6a1b9a", "exited": "#1565c0",
                  "crashed": "#c62828", "error": "#616161"}
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}.bar{background:#e8e8e8;width:160px;height:12px}
.bar div{background:#2e7d32;height:12px}code{font-size:90%;white-space:pre-wrap}figure{margin:0 0 1.5em}
.status{color:#fff;border-radius:3px;padding:0 5px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
.flag{background:#fff3e0;border:1px solid #ef6c00;border-radius:3px;padding:0 4px;margin-right:3px;font-size:90%}
"""


def rate_colour(rate: float) -> str:
    """A pass rate in [0, 1] as a colour from red (0) through amber (0.5) to green (1)."""
    import colorsys

    r, g, b = colorsys.hls_to_rgb(max(0.0, min(1.0, rate)) ** 2 / 3, 0.42, 0.75)  # hue 0 (red) .. 1/3 (green): low rates redder
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]  # inline: drop the XML prologue and doctype


def score_figure(scores: dict):
    """``{question: ([score, ...], [max, ...])}`` -> a Figure with one histogram per question."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    qs = sorted(scores, key=lambda q: (len(q), q))
    fig, axes = plt.subplots(1, max(len(qs), 1), figsize=(3.2 * max(len(qs), 1), 2.4), squeeze=False)
    for ax, q in zip(axes[0], qs):
        top = max(max(scores[q][1]), 1.0)
        ax.hist(scores[q][0], bins=[b - 0.5 for b in range(int(top) + 2)], color="#1565c0", edgecolor="white")
        ax.set_title(f"{q} ({len(scores[q][0])} learners)")
        ax.set_xlabel(f"points (of {top:g})")
        ax.set_ylabel("learners")
    return fig


def time_figure(seconds: list[float], statuses: list[str]):
    """A Figure: seconds per submission, one bar each, coloured by its status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 2.6))
    ax.bar(range(len(seconds)), seconds, color=[STATUS_COLOURS.get(s, "#999") for s in statuses])
    for status in sorted(set(statuses)):
        ax.bar([0], [0], color=STATUS_COLOURS.get(status, "#999"), label=status)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, ncols=6, frameon=False)  # above: no bar hidden
    ax.set_xlabel("submission (in the order given)")
    ax.set_ylabel("seconds")
    return fig


def check_rates(results: list[Result]) -> list[tuple]:
    """``(question, check id, title, passed, attempted, unfinished)`` for every check any submission ran, the lowest
    pass rate first (the concept the class missed most); ``unfinished``: failures from work not done."""
    seen: dict = {}
    for r in results:
        for c in r.checks:
            key = (c.question, c.id)
            passed, tried, todo, title = seen.get(key, (0, 0, 0, c.title))
            seen[key] = (passed + c.passed, tried + 1, todo + (not c.passed and unfinished(c.message)), title)
    rows = [(q, i, t, p, n, u) for (q, i), (p, n, u, t) in seen.items()]
    return sorted(rows, key=lambda row: (row[3] / row[4], row[0], row[1]))


def common_failures(results: list[Result], top: int = 15) -> list[tuple]:
    """``(learners, question, check id, an example message)`` for the most common failure messages (numbers masked)."""
    who: dict = defaultdict(set)
    example: dict = {}
    for r in results:
        for c in r.checks:
            if not c.passed:
                key = (c.question, c.id, NUMBER.sub("#", c.message))
                who[key].add(r.path)
                example.setdefault(key, c.message)
    ranked = sorted(who, key=lambda k: (-len(who[k]), k))[:top]
    return [(len(who[k]), k[0], k[1], example[k]) for k in ranked]


def render(results: list[Result], seed, title: str = "Grading report") -> str:
    """The report's HTML."""
    statuses = Counter(r.status for r in results)
    scores: dict = {}
    for r in results:
        for q, s in r.scores.items():
            got, top = scores.setdefault(q, ([], []))
            got.append(s)
            top.append(r.max_scores.get(q, 0.0))
    layers = sorted({r.isolation for r in results if r.isolation})
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1><dl>",
             f"<dt>submissions</dt><dd id='count'>{len(results)}</dd>",
             f"<dt>batch seed</dt><dd id='seed'>{_e(seed)}</dd>",
             f"<dt>isolation</dt><dd id='isolation'>{'<br>'.join(map(_e, layers)) or 'none recorded'}</dd></dl>",
             "<h2>Statuses</h2><table id='statuses'><tr><th>status</th><th>learners</th><th>meaning</th></tr>"]
    for status, n in statuses.most_common():
        parts.append(f"<tr><td><span class='status' style='background:{STATUS_COLOURS.get(status, '#999')}'>"
                     f"{_e(status)}</span></td><td class='n'>{n}</td><td>{_e(STATUS_TEXT.get(status, ''))}</td></tr>")
    parts.append("</table><h2>Score distribution</h2>")
    parts.append(f"<figure id='scores'>{_svg(score_figure(scores))}</figure>" if scores
                 else "<p>No question was graded.</p>")
    parts.append("<h2>Checks across the class, weakest first</h2><p>Failures are split into unfinished work (the "
                 "function still raises NotImplementedError, returns ... or is missing) and wrong answers.</p>"
                 "<table id='checks'><tr><th>question</th><th>check</th><th>what</th><th>passed</th><th>rate</th>"
                 "<th>wrong</th><th>unfinished</th></tr>")
    for q, cid, t, p, n, u in check_rates(results):
        colour = rate_colour(p / n)
        parts.append(f"<tr><td>{_e(q)}</td><td>{_e(cid)}</td><td>{_e(t)}</td><td class='n'>{p}/{n}</td>"
                     f"<td><div class='bar'><div style='width:{100 * p / n:.0f}%;background:{colour}'></div></div> "
                     f"{100 * p / n:.0f}%</td><td class='n'>{n - p - u}</td><td class='n'>{u}</td></tr>")
    parts.append("</table><h2>Most common failures</h2><table id='failures'><tr><th>learners</th><th>question</th>"
                 "<th>check</th><th>message (an example; numbers differ between learners)</th></tr>")
    for n, q, cid, msg in common_failures(results):
        parts.append(f"<tr><td class='n'>{n}</td><td>{_e(q)}</td><td>{_e(cid)}</td><td><code>{_e(msg)}</code></td></tr>")
    parts.append("</table>")
    parts += _flags_and_copies(results)
    parts.append("<h2>Time per submission</h2>")
    if results:
        times = time_figure([r.seconds for r in results], [r.status for r in results])
        parts.append(f"<figure id='times'>{_svg(times)}</figure>")
    parts.append("<table id='submissions'><tr><th>submission</th><th>exercise</th><th>score</th><th>status</th>"
                 "<th>seconds</th><th>flags</th><th>detail</th></tr>")
    for r in results:
        flags = "".join(f"<span class='flag'>{_e(f)}</span>" for f in flags_of(r))
        parts.append(f"<tr><td>{_e(Path(r.path).name)}</td><td>{_e(r.exercise or '')}</td>"
                     f"<td class='n'>{r.total:g}/{r.max_total:g}</td><td>{_e(r.status)}</td>"
                     f"<td class='n'>{r.seconds:.1f}</td><td>{flags}</td><td><code>{_e(r.detail[:300])}</code></td></tr>")
    parts.append("</table></body></html>\n")
    return "".join(parts)


def _flags_and_copies(results: list[Result]) -> list[str]:
    """The flags counted (each with the submissions that raised it) and the groups of the same code."""
    raised = {kind: [Path(r.path).name for r in results if kind in flags_of(r)] for kind in FLAG_KINDS}
    parts = ["<h2>Flags</h2><table id='flags'><tr><th>flag</th><th>submissions</th><th>which</th></tr>"]
    for kind, names in raised.items():
        parts.append(f"<tr><td>{_e(kind)}</td><td class='n'>{len(names)}</td><td>{_e(', '.join(names[:20]))}"
                     f"{' ...' if len(names) > 20 else ''}</td></tr>")
    parts.append("</table><h2>The same code</h2>")
    groups = duplicates(results)
    if not groups:
        return parts + ["<p id='copies'>No two submissions are the same code.</p>"]
    by_path = {r.path: r for r in results}
    parts.append("<table id='copies'><tr><th>how</th><th>submissions</th><th>scores</th></tr>")
    for kind, paths in groups:
        rs = [by_path[p] for p in paths]
        blank = all(not c.passed and unfinished(c.message) for r in rs for c in r.checks) and any(r.checks for r in rs)
        scores = ", ".join(sorted({f"{r.total:g}/{r.max_total:g}" for r in rs}))
        parts.append(f"<tr><td>{_e(kind)}</td><td>{len(paths)}: {_e(', '.join(Path(p).name for p in paths))}</td>"
                     f"<td>{_e(scores)}{' (nothing written: the exercise as handed out)' if blank else ''}</td></tr>")
    return parts + ["</table>"]


def write_report(results: list[Result], path, seed) -> Path:
    """Write the report atomically (see ``atomic.write_atomic``)."""
    return write_atomic(path, render(results, seed), "--report")
