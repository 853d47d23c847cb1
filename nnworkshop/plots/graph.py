"""A computation graph, drawn: what ``scratch.autograd`` recorded, inputs at the top, the result at the bottom.

It takes the graph as data, ``trace(loss)``'s nodes and edges, never a tensor or a model, and returns a
``matplotlib.figure.Figure`` built without pyplot, as every plot does.
"""

from __future__ import annotations

from matplotlib.figure import Figure


def computation_graph(nodes, edges, title: str = "computation graph") -> Figure:
    """A computation graph drawn top to bottom (it fits a page's column): inputs at the top, the result below.

    ``nodes``: dicts with ``label``, ``shape`` and ``leaf`` (and optionally ``requires_grad``), listed so
    that every node comes after its inputs (``scratch.autograd.trace(loss)`` gives them); ``edges``:
    ``(i, j)`` pairs, node i is an input of node j. Each node sits one row above its first user;
    leaves that require grad (weights) are orange, other leaves (data, constants) grey, ops blue.
    """
    nodes, edges = list(nodes), [(int(i), int(j)) for i, j in edges]
    if any(not (0 <= i < j < len(nodes)) for i, j in edges):
        raise ValueError("edges must be (i, j) with i < j < len(nodes): list every node after its inputs, "
                         "as scratch.autograd.trace(loss) does.")
    column, users = [0] * len(nodes), {}
    for i, j in sorted(edges, key=lambda e: e[1]):  # each node one column right of its deepest input...
        column[j] = max(column[j], column[i] + 1)
        users.setdefault(i, []).append(j)
    for i in reversed(range(len(nodes))):  # ...then moved right, to just before its first user
        if i in users:
            column[i] = min(column[j] for j in users[i]) - 1
    in_row, xy = {}, {}
    for k, c in enumerate(column):  # a "column" of the order is a row of the picture, from the top
        in_row.setdefault(c, []).append(k)
    for c, members in in_row.items():  # spread each row's nodes, centred on 0
        for r, k in enumerate(members):
            xy[k] = (r - (len(members) - 1) / 2, -c)
    widest, depth = max((len(m) for m in in_row.values()), default=1), max(column, default=0) + 1
    fig = Figure(figsize=(max(4.0, min(7.5, 1.6 * widest)), max(2.5, 0.62 * depth)), layout="constrained")
    ax = fig.add_subplot()
    for i, j in edges:
        ax.annotate("", xy=xy[j], xytext=xy[i], arrowprops=dict(arrowstyle="->", color="gray", shrinkA=13,
                                                                  shrinkB=13))
    for k, node in enumerate(nodes):
        color = ("#fdd9a0" if node.get("requires_grad") else "#e0e0e0") if node.get("leaf") else "#c6dbef"
        shape = "x".join(str(s) for s in node.get("shape", ())) or "scalar"
        ax.text(*xy[k], f"{node['label']}  ({shape})", ha="center", va="center", fontsize="medium",
                bbox=dict(boxstyle="round", fc=color, ec="gray"))
    ax.set(xlim=(-widest / 2 - 0.1, widest / 2 + 0.1), ylim=(-depth + 0.5, 0.5), title=title)
    ax.axis("off")
    return fig


__all__ = ["computation_graph"]
