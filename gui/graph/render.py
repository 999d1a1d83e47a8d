"""Drawing a `Graph` as the lecture's `draw_dot` draws it: DOT text, its colours and font, and `dot`.

Qt-free, so it runs in the layout thread. `to_dot` writes Graphviz source whose records
reserve room for their numbers (`gui.graph.svg` writes the numbers into the SVG later),
`layout_svg` runs `dot` in a subprocess with a time limit that another thread may stop
(`DotRun`), and `graph_font` picks an installed font with digits of one width.
"""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from engine.graph import Graph, GraphError
from engine.teaching import format_number, op_symbol

KIND_COLORS = {  # fill colours; "value" nodes stay white
    "input": "#d9f2d9",
    "weight": "#d6e6fa",
    "bias": "#e8dcf5",
    "constant": "#eeeeee",
    "value": "#ffffff",
    "output": "#ffe7a3",
}
# What a record reserves per number: the widest text `format_number` writes. Layouts are made
# with this and the real numbers are written into the SVG afterwards (`SvgGraph.update`), so it
# must be at least as wide as any of them: a sign, 3 significant digits, "e", the exponent's
# sign ("+" is the wider one) and up to 3 digits (1e-308 ... 1e308). In the fonts we draw with,
# every digit has one width, and this is wider than any fixed-point number ("-888.8888").
NUMBER_PLACEHOLDER = "-8.88e+888"


def to_dot(
    graph: Graph,
    color_by_grad: bool = False,
    rankdir: str = "LR",
    numbers: bool = False,
    stacked: bool = False,
) -> str:
    """Graphviz source in the lecture's `draw_dot` style.

    Each record reserves room for its numbers (see `SvgGraph.update`), and
    each node carries its id into the SVG, where the view finds it on click.
    `numbers=True` writes the numbers themselves instead (for exporting DOT).
    `stacked=True` stacks label, data and grad in each record: a narrower graph
    than the lecture's side-by-side records, readable at a larger scale.
    """
    lines = [
        "digraph G {",
        f'  graph [rankdir={rankdir}, bgcolor="transparent", nodesep=0.15, ranksep=0.35];',
        f'  node [fontname="{_escape(graph_font())}", fontsize=10, penwidth=1];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    fills = grad_fills(graph) if color_by_grad else {}
    for node in graph.nodes:
        if graph.is_drawn(node):
            fill = fills.get(node.id, KIND_COLORS[node.kind])
            lines += _node_lines(graph, node, fill, numbers, stacked)
    lines.append("}")
    return "\n".join(lines)


def _node_lines(graph: Graph, node, fill: str, numbers: bool, stacked: bool) -> list[str]:
    """A value's record, and if an operation made it, the operation's node and the arrows into it."""
    name = _escape_record(node.name) or " "
    data, grad = (
        (format_number(node.value.data), format_number(node.value.grad))
        if numbers
        else (NUMBER_PLACEHOLDER,) * 2
    )
    fields = f"{name} | data {data} | grad {grad}"
    # in a left-to-right graph a record's top-level fields stack; braces set them side by side
    label = fields if stacked else f"{{ {fields} }}"
    lines = [
        f'  {node.id} [id="{node.id}", shape=record, style="rounded,filled", '
        f'fillcolor="{fill}", label="{label}"];'
    ]
    if node.value.operands:
        lines.append(
            f'  {node.id}_op [id="{node.id}_op", shape=ellipse, style=filled, fillcolor="#f4f4f4", '
            f'fontsize=9, margin="0.02,0.01", label="{_escape(op_symbol(node.value))}"];'
        )
        lines.append(f"  {node.id}_op -> {node.id};")
        for operand in dict.fromkeys(graph.operands(node)):  # once per operand, even if reused
            if graph.is_drawn(operand):
                lines.append(f"  {operand.id} -> {node.id}_op;")
    return lines


def grad_fills(graph: Graph) -> dict[str, str]:
    """Fill colours from white (no gradient) to deep orange (the largest |grad|), on a log scale."""
    mags = [abs(n.value.grad) for n in graph.nodes if n.value.grad and math.isfinite(n.value.grad)]
    if not mags:
        return {n.id: "#ffffff" for n in graph.nodes}
    top, bottom = math.log10(max(mags)), math.log10(min(mags))
    span = max(top - bottom, 1e-12)
    fills = {}
    for n in graph.nodes:
        g = abs(n.value.grad)
        t = 0.0 if not g or not math.isfinite(g) else 0.15 + 0.85 * (math.log10(g) - bottom) / span
        r, gr, b = 255, round(255 - t * (255 - 140)), round(255 - t * 255)
        fills[n.id] = f"#{r:02x}{gr:02x}{b:02x}"
    return fills


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _escape_record(text: str) -> str:
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


# ---- running Graphviz

# Fonts with digits of one width, found on most systems, best first. DejaVu Sans is the usual
# Linux font (and the lecture's look); Helvetica and Arial come with macOS and Windows.
GRAPH_FONTS = ("DejaVu Sans", "Helvetica", "Arial", "Liberation Sans", "Noto Sans")
PLATFORM_FONTS = {"darwin": "Helvetica", "win32": "Arial"}  # when fontconfig cannot be asked


@functools.cache
def graph_font() -> str:
    """The font the graph's text is set in: one that is installed.

    `dot` sizes each record for its text in this font, and the viewer draws the text in the
    font the SVG names; a font that is missing is replaced by another of a different width,
    and numbers overflow their records. Graphviz finds fonts through fontconfig, so fontconfig
    is asked (once per run); without it, the platform's usual font.
    """
    families = _fontconfig_families()
    if families is None:
        return PLATFORM_FONTS.get(sys.platform, GRAPH_FONTS[0])
    for family in GRAPH_FONTS:
        if family in families:
            return family
    return _fontconfig_output("fc-match", "--format=%{family[0]}", "sans-serif") or GRAPH_FONTS[0]


def _fontconfig_families() -> set[str] | None:
    """The font families fontconfig knows, or None if it cannot be asked."""
    listing = _fontconfig_output("fc-list", ":", "family")
    if listing is None:
        return None
    # a line per font, naming its family in several ways: "DejaVu Sans,DejaVu Sans Light"
    return {name.strip() for line in listing.splitlines() for name in line.split(",")} - {""}


def _fontconfig_output(*command: str) -> str | None:
    if not shutil.which(command[0]):
        return None
    try:
        done = subprocess.run(command, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def dot_available() -> tuple[bool, str]:
    """(True, "") if Graphviz's `dot` can be run, else (False, how to install it)."""
    if shutil.which("dot"):
        return True, ""
    return False, (
        "Graphviz's `dot` program was not found. Install Graphviz to see computation graphs: "
        "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
        "`winget install Graphviz.Graphviz` (Windows); then restart the app."
    )


class LayoutStopped(GraphError):
    """The layout was stopped before it finished (superseded, cancelled, or the window closed)."""


class DotRun:
    """One run of `dot` that another thread may stop at any time, before or while it runs.

    A stopped run never starts its process; a running one has it killed at once,
    so nobody waits for a layout no one wants (up to the time limit, 10 s).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()

    def start(self, args: list[str]) -> subprocess.Popen:
        """Start `args` unless stopped already (then LayoutStopped)."""
        with self._lock:
            if self._stopped:
                raise LayoutStopped("the layout was stopped")
            self._process = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            return self._process


_this_thread = threading.local()


@contextmanager
def dot_run(run: DotRun) -> Iterator[DotRun]:
    """Within this block, `layout_svg` in this thread runs `dot` under `run` (which another thread may stop).

    A context rather than an argument, so that wrappers of `layout_svg` (tests count
    or delay its calls) need not know about it.
    """
    previous = getattr(_this_thread, "run", None)
    _this_thread.run = run
    try:
        yield run
    finally:
        _this_thread.run = previous


def layout_svg(dot_source: str, timeout: float = 10.0, run: DotRun | None = None) -> bytes:
    """Lay out and render `dot_source` to SVG with `dot`, giving up after `timeout` seconds.

    `run.stop()` from another thread kills `dot` at once (LayoutStopped is raised here);
    on the time limit `dot` is killed too, never left running. Without `run`, the one
    set by `dot_run` in this thread, if any.
    """
    ok, why = dot_available()
    if not ok:
        raise GraphError(why)
    run = run or getattr(_this_thread, "run", None) or DotRun()
    process = run.start(["dot", "-Tsvg"])
    try:
        out, err = process.communicate(dot_source.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise GraphError(
            f"Graphviz needed more than {timeout:g} s to lay out this graph; collapse neurons or pick a smaller model"
        ) from None
    except BaseException:
        process.kill()  # whatever stopped us, dot must not run on
        process.communicate()
        raise
    if run.stopped:
        raise LayoutStopped("the layout was stopped")
    if process.returncode != 0:
        raise GraphError(f"Graphviz failed: {err.decode('utf-8', 'replace').strip()[:300]}")
    return out
