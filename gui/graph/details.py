"""The details panel of a clicked node, as HTML: its numbers, and how the chain rule passes through it.

Shared by both graph tabs (the Computation graph tab says more: which nodes use this one,
and what backward() again did to a leaf). Qt-free.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from engine.backprop import BackpropSession
from engine.graph import Graph, GraphNode
from engine.teaching import KIND_HELP, format_number, local_rule, node_name, op_symbol
from gui.graph.render import KIND_COLORS
from gui.widgets.style import ERROR_COLOR

PARAGRAPH = "<p style='margin:8px 0 2px 0'>"
HISTORY_SCHEME = "history"  # a link "history:w1.2.1" in the details: that parameter's history


def html_table(header: Sequence[str], rows: Sequence[tuple[str, float, float]]) -> str:
    """A name column and two number columns."""
    e = html.escape
    head = "".join(f"<th align={'left' if i == 0 else 'right'}>{e(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        f"<tr><td>{e(name)}</td><td align=right>{format_number(a)}</td><td align=right>{format_number(b)}</td></tr>"
        for name, a, b in rows
    )
    return f"<table cellspacing=0 cellpadding=2 width='100%'><tr>{head}</tr>{body}</table>"


def heading(graph: Graph, node: GraphNode, depth: int = 2) -> list[str]:
    """The node's name, large, and its kind on the kind's colour."""
    e = html.escape
    return [
        f"<p style='margin:0; font-size:large'><b>{e(node_name(graph, node, depth=depth))}</b></p>",
        f"<p style='margin:2px 0'><span style='background:{KIND_COLORS[node.kind]}'>&nbsp;{node.kind}"
        f"&nbsp;</span> {e(KIND_HELP[node.kind])}</p>",
    ]


def local_rows(graph: Graph, node: GraphNode) -> str:
    """What each operand of `node` gets: local derivative × this node's grad."""
    grad = node.value.grad
    rows = [(node_name(graph, o), d, d * grad) for o, d in graph.local_derivatives(node)]
    return html_table(("input", "local", "adds"), rows)


def model_details_html(session: BackpropSession, node: GraphNode) -> str:
    """The Computation graph tab's details: numbers, the rule backward() runs here, and the users."""
    graph = session.graph
    v, e, fmt = node.value, html.escape, format_number
    parts = heading(graph, node)
    parts += [
        "<table cellspacing=0 cellpadding=1>",
        f"<tr><td>data</td><td align=right><b>{fmt(v.data)}</b></td></tr>",
        f"<tr><td>grad</td><td align=right><b>{fmt(v.grad)}</b></td></tr>",
    ]
    if v.operands:
        parts.append(f"<tr><td>op&nbsp;</td><td align=right>{e(op_symbol(v))}</td></tr>")
    parts.append("</table>")
    if not session.reached(node):
        parts.append("<p style='color:#a05a00'>Not reached by backprop yet: its grad is still partial.</p>")
    if v.operands:
        parts.append(
            f"{PARAGRAPH}<b>Backward through {e(op_symbol(v))}</b>: each input gets "
            f"<i>local × upstream</i>, where local = ∂out/∂input ({e(local_rule(v))}) "
            f"and upstream = this grad = {fmt(v.grad)}</p>"
        )
        parts.append(local_rows(graph, node))
    parts.append(_users_html(session, node))
    parts.append(_history_links(graph, node))
    return "".join(parts)


def _history_links(graph: Graph, node: GraphNode) -> str:
    """Links to the Diagnostics tab's history of this parameter (or of a drawn neuron's parameters)."""
    if node.kind in ("weight", "bias"):
        names = [node.name]
    else:  # a neuron drawn as one node holds its weights and bias inside
        names = [
            o.name for o in graph.operands(node) if o.kind in ("weight", "bias") and not graph.is_drawn(o)
        ]
    names = [name for name in names if name]
    if not names:
        return ""
    e = html.escape
    note = "<span style='color:#666666'>{} over the training steps, in the Diagnostics tab</span>"
    if len(names) == 1:
        link = f"<a href='{HISTORY_SCHEME}:{e(names[0])}'>History ▸</a>"
        return f"{PARAGRAPH}{link} of {e(names[0])}<br>{note.format('its data and grad')}</p>"
    links = " · ".join(f"<a href='{HISTORY_SCHEME}:{e(n)}'>{e(n)}</a>" for n in names)
    return f"{PARAGRAPH}History ▸ {links}<br>{note.format('their data and grads')}</p>"


def _users_html(session: BackpropSession, node: GraphNode) -> str:
    """How a node's grad is the sum of what its users pass back (and backward() again's multiple)."""
    graph, users = session.graph, session.users_of(node)
    if not users:
        return "<p>backward() starts here: ∂out/∂out = 1.</p>" if node is graph.of(graph.root) else ""
    rows = []
    for user in users:
        local = sum(d for operand, d in graph.local_derivatives(user) if operand is node)
        rows.append((node_name(graph, user), local, local * user.value.grad))
    total = math.fsum(r[2] for r in rows)
    parts = [
        f"{PARAGRAPH}<b>Its grad</b> sums what the nodes that use it pass back: ∂user/∂this × the user's grad</p>",
        html_table(("used by", "local", "passes back"), rows),
        f"<p style='margin:2px 0'>Σ = {format_number(total)}</p>",
    ]
    calls = session.backward_calls
    if calls > 1 and not node.value.operands:
        parts.append(
            f"<p style='color:{ERROR_COLOR}'>backward() ran {calls}× without zero_grad(): "
            f"this leaf's grad is {calls}× the sum.</p>"
        )
    return "".join(parts)


def expression_details_html(graph: Graph, node: GraphNode) -> str:
    """The Expression tab's details: full-precision numbers and the local derivatives."""
    v, e = node.value, html.escape
    parts = heading(graph, node, depth=3)
    parts.append(
        f"<table cellspacing=0 cellpadding=1><tr><td>data&nbsp;</td><td><b>{v.data!r}</b></td></tr>"
        f"<tr><td>grad&nbsp;</td><td><b>{v.grad!r}</b></td></tr>"
    )
    if v.operands:
        parts.append(f"<tr><td>op&nbsp;</td><td>{e(op_symbol(v))}</td></tr></table>")
        parts.append(
            f"{PARAGRAPH}Each input gets <i>local × upstream</i>: local = ∂out/∂input "
            f"({e(local_rule(v))}), upstream = this grad</p>"
        )
        parts.append(local_rows(graph, node))
    else:
        parts.append("</table><p>A leaf: its grad is the sum of what every use of it passes back.</p>")
    return "".join(parts)


def breakdown_html(sentence: str, unmade: str, found: bool) -> str:
    """Where training broke, above the details of the node it broke at (`found`: one is selected)."""
    e = html.escape
    parts = [
        f"<p style='margin:0 0 6px 0; color:{ERROR_COLOR}'><b>Training broke here.</b> {e(sentence)}</p>"
    ]
    if unmade:
        parts.append(f"<p style='margin:0 0 6px 0'>{e(unmade)}</p>")
    if not found:
        parts.append(
            "<p style='margin:0 0 6px 0'>Every number of this graph is finite: the step broke "
            "elsewhere (the whole batch's loss, or the update of the weights).</p>"
        )
    return "".join(parts) + "<hr>"


def comparison_html(ours: list[tuple[str, float]], theirs: list[float], torch_loss: float) -> str:
    """Our grads and PyTorch's, parameter by parameter, with the difference."""
    worst = max(abs(a - b) for (_label, a), b in zip(ours, theirs))
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(label)}</td><td align=right>{a:.12g}</td><td align=right>{b:.12g}</td>"
        f"<td align=right>{abs(a - b):.1e}</td></tr>"
        for (label, a), b in zip(ours, theirs)
    )
    return (
        f"<p><b>PyTorch float64 vs micrograd-studio</b><br>{len(ours)} parameters, "
        f"largest |difference| <b>{worst:.1e}</b>; loss {torch_loss:.12g} in PyTorch.</p>"
        f"<table cellspacing=0 cellpadding=2><tr><th align=left>param</th><th>ours</th>"
        f"<th>PyTorch</th><th>|Δ|</th></tr>{rows}</table>"
    )
