"""A computation graph, drawn: what ``scratch.autograd`` recorded, inputs on the left, the result on the right.

It takes the graph as data, ``trace(loss)``'s nodes and edges, never a tensor or a model, and returns a
``matplotlib.figure.Figure`` built without pyplot, as every plot does.
"""

from __future__ import annotations

from matplotlib.figure import Figure


def computation_graph(nodes, edges, title: str = "computation graph") -> Figure:
    """A computation graph drawn left to right: inputs on the left, the result on the right.

    ``nodes``: dicts with ``label``, ``shape`` and ``leaf`` (and optionally ``requires_grad``), listed so
    that every node comes after its inputs (``scratch.autograd.trace(loss)`` gives them); ``edges``:
    ``(i, j)`` pairs, node i is an input of node j. Each node sits one column left of its first user;
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
    in_column, xy = {}, {}
    for k, c in enumerate(column):
        in_column.setdefault(c, []).append(k)
    for c, members in in_column.items():  # stack each column's nodes, centred on 0
        for r, k in enumerate(members):
            xy[k] = (c, r - (len(members) - 1) / 2)
    height = max((len(m) for m in in_column.values()), default=1)
    fig = Figure(figsize=(max(4.0, 1.3 * (max(column, default=0) + 1)), max(2.5, 0.8 * height)), layout="constrained")
    ax = fig.add_subplot()
    for i, j in edges:
        ax.annotate("", xy=xy[j], xytext=xy[i], arrowprops=dict(arrowstyle="->", color="gray", shrinkA=22,
                                                                  shrinkB=22))
    for k, node in enumerate(nodes):
        color = ("#fdd9a0" if node.get("requires_grad") else "#e0e0e0") if node.get("leaf") else "#c6dbef"
        shape = "x".join(str(s) for s in node.get("shape", ())) or "scalar"
        ax.text(*xy[k], f"{node['label']}\n{shape}", ha="center", va="center", fontsize="small",
                bbox=dict(boxstyle="round", fc=color, ec="gray"))
    ax.set(xlim=(-0.6, max(column, default=0) + 0.6), ylim=(-height / 2 - 0.1, height / 2 + 0.1), title=title)
    ax.axis("off")
    return fig


__all__ = ["computation_graph"]
