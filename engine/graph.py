"""The computation graph as the lecture draws it: a record per value, a small node per operation.

Pure Python: builds DOT text for Graphviz's `dot`, runs `dot` in a subprocess with
a time limit, and edits the SVG it returns, so numbers and highlights change
without laying the graph out again. The Qt view only shows the SVG.

* `Graph` names every node of a `Value` graph and knows each one's kind (input,
  weight, bias, constant, value, output) and local derivatives.
* `sample_graph` / `dataset_graph` build one forward and backward pass of an MLP
  in the lecture's expanded form (``w1*x1 + w2*x2 + b -> tanh``) or with each
  neuron as one node, with tanh as one node or as its exp form.
* `BackwardStepper` replays backward() one node at a time with the engine's own
  rules, so its grads are exactly backward()'s.
* `SvgGraph` holds a laid-out SVG and rewrites its numbers and colours.
"""

from __future__ import annotations

import functools
import gc
import math
import re
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from engine.data import Dataset
from engine.losses import loss_function
from engine.nn import MLP
from engine.value import _BACKWARD, NEURON_OPS, Value, topological_order

KINDS = ("input", "weight", "bias", "constant", "value", "output")
KIND_COLORS = {  # fill colours; "value" nodes stay white
    "input": "#d9f2d9",
    "weight": "#d6e6fa",
    "bias": "#e8dcf5",
    "constant": "#eeeeee",
    "value": "#ffffff",
    "output": "#ffe7a3",
}
NUMBER_WIDTH = 9  # the longest fixed-point text format_number writes; longer numbers go to e-notation
# What a record reserves per number: the widest text `format_number` writes. Layouts are made
# with this and the real numbers are written into the SVG afterwards (`SvgGraph.update`), so it
# must be at least as wide as any of them: a sign, 3 significant digits, "e", the exponent's
# sign ("+" is the wider one) and up to 3 digits (1e-308 ... 1e308). In the fonts we draw with,
# every digit has one width, and this is wider than any fixed-point number ("-888.8888").
NUMBER_PLACEHOLDER = "-8.88e+888"
MAX_NODES = 3000  # beyond this a layout takes too long to be useful in class
MAX_EDGES = 10000  # likewise for arrows: wide layers drawn one node per neuron connect every pair


class GraphError(RuntimeError):
    """Graphviz missing, too slow, or a graph too large to draw; the message says what to do."""


def format_number(x: float) -> str:
    """A number in at most NUMBER_WIDTH characters: 4 decimals where they fit."""
    if x == 0:
        return "0.0000"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    text = f"{x:.4f}"
    return text if len(text) <= NUMBER_WIDTH and abs(x) >= 1e-4 else f"{x:.2e}"


def op_symbol(value: Value) -> str:
    """How the operation that made `value` is written on its small node."""
    op = value._op
    if op in NEURON_OPS:
        act = op.split(":")[1]
        return "w·x+b" if act == "linear" else f"{act}(w·x+b)"
    if op == "**":
        return f"**{value._arg:g}"
    return op


@dataclass(eq=False)  # identity, so nodes can be dict keys
class GraphNode:
    id: str
    value: Value
    kind: str
    name: str  # the label the record shows

    @property
    def op(self) -> str:
        return self.value._op


class Graph:
    """Every node behind `root`, in topological order, with a stable id ("v0", "v1", ...)."""

    def __init__(self, root: Value, kinds: dict[Value, str] | None = None, fold_parameters: bool = False):
        """`fold_parameters`: draw weights and biases inside their neuron (its details list them)."""
        kinds = kinds or {}
        self.root = root
        self.fold_parameters = fold_parameters
        order = topological_order(root)
        drawn = sum(1 for v in order if not (fold_parameters and kinds.get(v) in ("weight", "bias")))
        if drawn > MAX_NODES:
            raise GraphError(f"{drawn:,} nodes is too many to draw (at most {MAX_NODES:,}); collapse neurons")
        self.nodes: list[GraphNode] = []
        self._by_value: dict[Value, GraphNode] = {}
        for i, v in enumerate(order):
            kind = kinds.get(v) or ("output" if v is root else "value" if v._prev else "constant")
            node = GraphNode(f"v{i}", v, kind, v.label)
            self.nodes.append(node)
            self._by_value[v] = node
        self._by_id = {n.id: n for n in self.nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def is_drawn(self, node: GraphNode) -> bool:
        return not (self.fold_parameters and node.kind in ("weight", "bias"))

    def node(self, node_id: str) -> GraphNode:
        return self._by_id[node_id]

    def of(self, value: Value) -> GraphNode:
        return self._by_value[value]

    def operands(self, node: GraphNode) -> list[GraphNode]:
        return [self._by_value[v] for v in node.value._prev]

    def local_derivatives(self, node: GraphNode) -> list[tuple[GraphNode, float]]:
        """d(node)/d(operand) for each operand, with the data as it is now."""
        v, prev = node.value, node.value._prev
        op = v._op
        if not prev:
            return []
        if op == "+":
            d = [1.0, 1.0]
        elif op == "*":
            d = [prev[1].data, prev[0].data]
        elif op == "**":
            d = [v._arg * prev[0].data ** (v._arg - 1)]
        elif op == "tanh":
            d = [1 - v.data**2]
        elif op == "exp":
            d = [v.data]
        elif op == "log":
            d = [1 / prev[0].data]
        elif op == "relu":
            d = [float(v.data > 0)]
        elif op == "sigmoid":
            d = [v.data * (1 - v.data)]
        elif op in NEURON_OPS:
            act = {"tanh": 1 - v.data**2, "relu": float(v.data > 0), "sigmoid": v.data * (1 - v.data)}
            slope = act.get(op.split(":")[1], 1.0)
            n = v._arg
            xs, ws = prev[:n], prev[n + 1 :]
            d = [slope * w.data for w in ws] + [slope] + [slope * x.data for x in xs]
        else:
            raise ValueError(f"no local derivative for {op!r}")
        return [(self._by_value[p], x) for p, x in zip(prev, d)]

    # ---- DOT

    def to_dot(
        self, color_by_grad: bool = False, rankdir: str = "LR", numbers: bool = False, stacked: bool = False
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
        placeholder = NUMBER_PLACEHOLDER
        fills = self.grad_fills() if color_by_grad else {}
        for node in self.nodes:
            if not self.is_drawn(node):
                continue
            fill = fills.get(node.id, KIND_COLORS[node.kind])
            name = _escape_record(node.name) or " "
            data, grad = (
                (format_number(node.value.data), format_number(node.value.grad))
                if numbers
                else (placeholder,) * 2
            )
            fields = f"{name} | data {data} | grad {grad}"
            # in a left-to-right graph a record's top-level fields stack; braces set them side by side
            label = fields if stacked else f"{{ {fields} }}"
            lines.append(
                f'  {node.id} [id="{node.id}", shape=record, style="rounded,filled", '
                f'fillcolor="{fill}", label="{label}"];'
            )
            if node.value._prev:
                lines.append(
                    f'  {node.id}_op [id="{node.id}_op", shape=ellipse, style=filled, fillcolor="#f4f4f4", '
                    f'fontsize=9, margin="0.02,0.01", label="{_escape(op_symbol(node.value))}"];'
                )
                lines.append(f"  {node.id}_op -> {node.id};")
                for operand in dict.fromkeys(self.operands(node)):  # once per operand, even if reused
                    if self.is_drawn(operand):
                        lines.append(f"  {operand.id} -> {node.id}_op;")
        lines.append("}")
        return "\n".join(lines)

    def grad_fills(self) -> dict[str, str]:
        """Fill colours from white (no gradient) to deep orange (the largest |grad|), on a log scale."""
        mags = [abs(n.value.grad) for n in self.nodes if n.value.grad and math.isfinite(n.value.grad)]
        if not mags:
            return {n.id: "#ffffff" for n in self.nodes}
        top, bottom = math.log10(max(mags)), math.log10(min(mags))
        span = max(top - bottom, 1e-12)
        fills = {}
        for n in self.nodes:
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


# ---- the SVG, edited in place

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


DEFAULT_OUTLINE = ("#333333", 1.0)  # a node's outline colour and width, unless highlighted
_SLOT = "\x00"  # marks an editable value in the serialised SVG; never in dot's output (not valid XML)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRANSFORM = re.compile(r"(scale|translate)\(\s*([^)]*)\)")

Box = tuple[float, float, float, float]  # x, y, width, height


@dataclass
class SvgGeometry:
    """Where things are in a laid-out SVG, read from its text: no SVG renderer needed.

    Asking Qt's SVG renderer instead means loading the document, which for the expanded
    moons graph holds the interpreter for a fifth of a second (and finding an element in
    it took tens of milliseconds at every backprop step).
    """

    size: tuple[float, float]  # the SVG's width and height (pt counted as pixels, as Qt does)
    view_box: Box  # the user coordinates that size shows
    boxes: dict[str, Box]  # element id ("v3", "v3_op") -> its outline's box, in view_box units

    @property
    def node_ids(self) -> list[str]:
        """The value ids that have a box (their record, or their operation node)."""
        return list(dict.fromkeys(e[:-3] if e.endswith("_op") else e for e in self.boxes))


def _length(text: str | None) -> float:
    """An SVG width or height as a number ("152pt" -> 152.0); 0 if missing or unreadable."""
    match = _NUMBER.match((text or "").strip())
    return float(match.group()) if match else 0.0


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text or "")]


def _graph_transform(root: ET.Element) -> tuple[float, float, float, float]:
    """(scale x, scale y, translate x, translate y) of dot's top group: a point p is drawn at scale·(p + t)."""
    sx = sy = 1.0
    tx = ty = 0.0
    group = root.find(f"{{{SVG_NS}}}g")
    for kind, args in _TRANSFORM.findall(group.get("transform", "") if group is not None else ""):
        values = _numbers(args) or [0.0]
        if kind == "scale":
            sx, sy = values[0], values[1] if len(values) > 1 else values[0]
        else:
            tx, ty = values[0], values[1] if len(values) > 1 else 0.0
    return sx, sy, tx, ty


def _shape_box(shape: ET.Element, transform: tuple[float, float, float, float]) -> Box | None:
    """The box of a node's outline (polygon, path or ellipse), in the SVG's user coordinates."""
    tag = shape.tag.rsplit("}", 1)[-1]
    if tag == "ellipse":
        cx, cy, rx, ry = (_length(shape.get(a)) for a in ("cx", "cy", "rx", "ry"))
        xs, ys = [cx - rx, cx + rx], [cy - ry, cy + ry]
    else:
        values = _numbers(shape.get("points") if tag == "polygon" else shape.get("d"))
        xs, ys = values[0::2], values[1::2]  # a path's control points: a box at least as large
    if not xs or not ys:
        return None
    sx, sy, tx, ty = transform
    x0, x1 = sorted((sx * (min(xs) + tx), sx * (max(xs) + tx)))
    y0, y1 = sorted((sy * (min(ys) + ty), sy * (max(ys) + ty)))
    return (x0, y0, x1 - x0, y1 - y0)


def _geometry(root: ET.Element, boxes: dict[str, Box]) -> SvgGeometry:
    width, height = _length(root.get("width")), _length(root.get("height"))
    view_box = _numbers(root.get("viewBox"))
    if len(view_box) != 4 or view_box[2] <= 0 or view_box[3] <= 0:
        view_box = [0.0, 0.0, width or 1.0, height or 1.0]
    if width <= 0 or height <= 0:
        width, height = view_box[2], view_box[3]
    return SvgGeometry((width, height), tuple(view_box), boxes)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection meanwhile: the tens of thousands of elements a large SVG parses into
    would set off a full collection, which in a window's process holds the interpreter for ~70 ms
    (a freeze, whichever thread runs it). The tree has no reference cycles: it is freed as it goes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class SvgTemplate:
    """dot's SVG cut at every value that changes without a new layout, for the graph's node ids.

    Parsing and serialising a large SVG takes a third of a second, so it is done once (in the
    layout thread): the result is literal byte chunks between slots, and an SVG with new numbers,
    fills or outlines is a join of chunks and slot values, in milliseconds.
    """

    def __init__(self, svg: bytes, node_ids: Collection[str]):
        with _collector_paused():
            self._build(svg, node_ids)

    def _build(self, svg: bytes, node_ids: Collection[str]) -> None:
        wanted = set(node_ids)
        parser = ET.XMLParser()
        for start in range(0, len(svg), 1 << 14):  # in pieces: other threads get the GIL in between
            parser.feed(svg[start : start + (1 << 14)])
        root = parser.close()
        transform = _graph_transform(root)
        boxes: dict[str, Box] = {}
        slots: list[str] = []  # slot key per slot, in document order
        initial: dict[str, str] = {}
        self.texts: dict[str, tuple[str, str]] = {}  # node id -> slot keys of its data and grad texts
        self.shapes: dict[str, list[str]] = {}  # node id -> outline slot prefixes of its record and op node

        def slot(key: str, value: str) -> str:
            slots.append(key)
            initial[key] = value
            return f"{_SLOT}{len(slots) - 1}{_SLOT}"

        for g in root.iter(f"{{{SVG_NS}}}g"):
            gid = g.get("id", "")
            node_id = gid[:-3] if gid.endswith("_op") else gid
            if node_id not in wanted:
                continue
            shapes = [
                e for e in g if e.tag in (f"{{{SVG_NS}}}path", f"{{{SVG_NS}}}polygon", f"{{{SVG_NS}}}ellipse")
            ]
            if shapes:
                shape, prefix = shapes[0], f"{gid}:"
                box = _shape_box(shape, transform)
                if box is not None:
                    boxes[gid] = box
                self.shapes.setdefault(node_id, []).append(prefix)
                for attribute, default in (("fill", "none"), ("stroke", "#333333"), ("stroke-width", "1")):
                    shape.set(attribute, slot(prefix + attribute, shape.get(attribute, default)))
            if gid == node_id:
                texts = [
                    t for t in g.iter(f"{{{SVG_NS}}}text") if (t.text or "").startswith(("data", "grad"))
                ]
                if len(texts) >= 2:  # the last two: a label may itself start with "data"
                    texts[-2].text = slot(f"{node_id}:data", texts[-2].text or "")
                    texts[-1].text = slot(f"{node_id}:grad", texts[-1].text or "")
                    self.texts[node_id] = (f"{node_id}:data", f"{node_id}:grad")
        pieces = ET.tostring(root, encoding="unicode").split(_SLOT)
        # pieces: literal, slot number, literal, slot number, ..., literal
        self.literals = pieces[0::2]
        order = [int(number) for number in pieces[1::2]]
        self.position = {slots[number]: at for at, number in enumerate(order)}  # slot key -> its place
        self.initial = [initial[slots[number]] for number in order]
        # Where each node's numbers, fill and outline go, worked out here (in the layout thread)
        # rather than by every SvgGraph in the GUI thread: 20 ms for the expanded moons graph.
        at = self.position
        self.text_slots = [(node_id, at[data], at[grad]) for node_id, (data, grad) in self.texts.items()]
        self.fill_slots = {node_id: at[prefixes[0] + "fill"] for node_id, prefixes in self.shapes.items()}
        self.outline_slots = {
            node_id: [(at[p + "stroke"], at[p + "stroke-width"]) for p in prefixes]
            for node_id, prefixes in self.shapes.items()
        }
        color, width = DEFAULT_OUTLINE
        for outlines in self.outline_slots.values():
            for stroke_at, width_at in outlines:
                self.initial[stroke_at], self.initial[width_at] = color, f"{width:g}"
        self.header = "<?xml version='1.0' encoding='utf-8'?>\n"
        self.geometry = _geometry(root, boxes)

    def render(self, values: list[str]) -> bytes:
        """The SVG with these slot values (in `position` order, already XML-escaped)."""
        parts: list[str] = [""] * (2 * len(values) + 1)
        parts[0::2] = self.literals
        parts[1::2] = values
        return (self.header + "".join(parts)).encode("utf-8")


class SvgGraph:
    """A laid-out graph whose numbers, fills and highlights can change without a new layout."""

    DEFAULT_OUTLINE = DEFAULT_OUTLINE

    def __init__(self, svg: bytes | SvgTemplate, graph: Graph):
        self.graph = graph
        self.template = template = svg if isinstance(svg, SvgTemplate) else SvgTemplate(svg, graph._by_id)
        self._values = list(template.initial)  # every outline the default one
        self._text_slots = template.text_slots
        self._fill_slots = template.fill_slots
        self._outline_slots = template.outline_slots
        self._outlined: set[str] = set()  # nodes whose outline differs from the default
        self.update()

    @property
    def node_ids(self) -> list[str]:
        return list(self.template.texts)

    @property
    def geometry(self) -> SvgGeometry:
        """Where each node is drawn (the layout's, the same whatever the numbers)."""
        return self.template.geometry

    def update(self, grads: dict[str, float] | None = None) -> None:
        """Write every node's data and grad (from the engine, or `grads` where given) into the SVG."""
        values, node = self._values, self.graph.node
        for node_id, data_at, grad_at in self._text_slots:
            value = node(node_id).value
            grad = value.grad if grads is None or node_id not in grads else grads[node_id]
            values[data_at] = "data " + format_number(value.data)  # digits, signs, "nan", "inf": no escaping
            values[grad_at] = "grad " + format_number(grad) if grad is not None else "grad"

    def set_fills(self, fills: dict[str, str]) -> None:
        values, slots = self._values, self._fill_slots
        for node_id, color in fills.items():
            at = slots.get(node_id)
            if at is not None:
                values[at] = _xml_text(color)

    def highlight(self, styles: dict[str, tuple[str, float]]) -> None:
        """Outline colour and width per node id; nodes not named get the default thin grey."""
        values, slots = self._values, self._outline_slots
        for node_id in self._outlined | set(styles):
            color, width = styles.get(node_id, self.DEFAULT_OUTLINE)
            for stroke_at, width_at in slots.get(node_id, ()):
                values[stroke_at] = _xml_text(color)
                values[width_at] = f"{width:g}"
        self._outlined = set(styles)

    def to_bytes(self) -> bytes:
        return self.template.render(self._values)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# ---- step-through backprop


@dataclass
class BackwardStep:
    node: GraphNode
    upstream: float  # the node's grad when its rule runs: d(output)/d(node)
    contributions: list[tuple[GraphNode, float, float]]  # (operand, local derivative, grad added)


class BackwardStepper:
    """backward(), one node at a time, output first, each node after every node that uses it.

    Runs the engine's own backward rules on the graph's own Values, so after the
    last step every grad is exactly what backward() gives.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.order = list(reversed(graph.nodes))  # reverse topological: users before operands
        self.position = 0  # steps done
        self.reset()

    def reset(self) -> None:
        for node in self.graph.nodes:
            node.value.grad = 0.0
        self.graph.root.grad = 1.0
        self.position = 0

    @property
    def done(self) -> bool:
        return self.position >= len(self.order)

    def step(self) -> BackwardStep | None:
        if self.done:
            return None
        node = self.order[self.position]
        self.position += 1
        value = node.value
        locals_ = self.graph.local_derivatives(node)
        before = [operand.value.grad for operand, _ in locals_]
        if value._prev:
            _BACKWARD[value._op](value)
        contributions = [
            (operand, local, operand.value.grad - b) for (operand, local), b in zip(locals_, before)
        ]
        return BackwardStep(node, value.grad, contributions)

    def seek(self, position: int) -> BackwardStep | None:
        """Go to `position` steps done (replaying from the start); the last step taken, if any."""
        position = max(0, min(position, len(self.order)))
        self.reset()
        last = None
        while self.position < position:
            last = self.step()
        return last


# ---- graphs of a model


def _neuron_with_exp_tanh(weights: Sequence[Value], xs: Sequence[Value], bias: Value, expanded: bool):
    """A tanh neuron with tanh written as exps; its weighted sum expanded or as one node."""
    if not expanded:
        total = Value.neuron(weights, xs, bias, "linear")
        e = (2 * total).exp()
        return total, (e - 1) / (e + 1)
    return _expanded_neuron(weights, xs, bias, "tanh", tanh_as_exp=True)


def _expanded_neuron(
    weights: Sequence[Value], xs: Sequence[Value], bias: Value, activation: str, tanh_as_exp: bool
):
    total = bias
    for w, x in zip(weights, xs):
        total = total + w * x
    if activation == "linear":
        return total, total
    if activation == "tanh" and tanh_as_exp:
        # tanh(n) = (e^{2n} - 1) / (e^{2n} + 1), the form the lecture derives first
        e = (2 * total).exp()
        return total, (e - 1) / (e + 1)
    return total, getattr(total, activation)()


def model_forward(
    model: MLP, x: Sequence[float], expanded: bool, tanh_as_exp: bool = False, prefix: str = ""
) -> tuple[Value, dict[Value, str], list[Value]]:
    """One forward pass over the model's own parameters, drawn expanded or with neuron nodes.

    Returns the output, the kinds of the nodes it made, and the input nodes.
    """
    kinds: dict[Value, str] = {}
    inputs = [Value(v, label=f"{prefix}x{i + 1}") for i, v in enumerate(x)]
    kinds.update({v: "input" for v in inputs})
    acts: list[Value] = inputs
    for li, layer in enumerate(model.layers, 1):
        last = li == len(model.layers)
        out = []
        for ni, neuron in enumerate(layer.neurons, 1):
            kinds.update({w: "weight" for w in neuron.w})
            kinds[neuron.b] = "bias"
            if tanh_as_exp and layer.activation == "tanh":
                pre, o = _neuron_with_exp_tanh(neuron.w, acts, neuron.b, expanded)
                pre.label = f"{prefix}n{li}.{ni}"
            elif expanded:
                pre, o = _expanded_neuron(neuron.w, acts, neuron.b, layer.activation, False)
                if pre is not o:
                    pre.label = f"{prefix}n{li}.{ni}"
            else:
                o = Value.neuron(neuron.w, acts, neuron.b, layer.activation)
            o.label = f"{prefix}out" if last and len(layer.neurons) == 1 else f"{prefix}h{li}.{ni}"
            out.append(o)
        acts = out
    return acts[0], kinds, inputs


def sample_graph(
    model: MLP,
    x: Sequence[float],
    y: float | None,
    loss: str = "sse",
    expanded: bool = True,
    tanh_as_exp: bool = False,
) -> Graph:
    """The graph of one sample's forward pass (and its loss, if `y` is given), after backward()."""
    out, kinds, _ = model_forward(model, x, expanded, tanh_as_exp)
    root = out
    if y is not None:
        root = loss_function(loss)([out], [y])
        root.label = "loss"
    model.zero_grad()
    root.backward()
    kinds[root] = "output"
    return Graph(root, kinds, fold_parameters=not expanded)


def dataset_graph(
    model: MLP, dataset: Dataset, loss: str = "sse", expanded: bool = True, tanh_as_exp: bool = False
) -> Graph:
    """The graph of the whole loss over a (small) dataset, as in the lecture's training loop."""
    outs, kinds = [], {}
    for s, x in enumerate(dataset.inputs, 1):
        out, k, _ = model_forward(model, x, expanded, tanh_as_exp, prefix=f"s{s}.")
        outs.append(out)
        kinds.update(k)
    root = loss_function(loss)(outs, dataset.targets)
    root.label = "loss"
    model.zero_grad()
    root.backward()
    kinds[root] = "output"
    return Graph(root, kinds, fold_parameters=not expanded)


def graph_size(model: MLP, n_samples: int, expanded: bool, tanh_as_exp: bool = False) -> int:
    """Roughly how many nodes a graph of `n_samples` samples will draw (before building it).

    Expanded graphs draw every weight and bias; collapsed ones fold them into their neuron.
    """
    layers = [(layer.nout, layer.activation) for layer in model.layers]
    return layered_graph_size(model.nin, layers, n_samples, expanded, tanh_as_exp)


def layered_graph_size(
    n_inputs: int,
    layers: Sequence[tuple[int, str]],
    n_samples: int,
    expanded: bool,
    tanh_as_exp: bool = False,
) -> int:
    """`graph_size` from the network's shape alone: (neurons, activation) per layer.

    Lets the view refuse a graph too large to draw without building a single Value
    (the largest model has half a million parameters).
    """
    per_sample, params, nin = n_inputs, 0, n_inputs
    for nout, activation in layers:
        params += nout * (nin + 1)
        exp_tanh = 6 if tanh_as_exp and activation == "tanh" else 0  # 2*n, exp, -1, +1, **-1, *
        per_neuron = (2 * nin + (activation != "linear")) if expanded else 1
        per_sample += nout * (per_neuron + exp_tanh)
        nin = nout
    return (params if expanded else 0) + n_samples * (per_sample + 4)


def layered_edge_count(
    n_inputs: int,
    layers: Sequence[tuple[int, str]],
    n_samples: int,
    expanded: bool,
    tanh_as_exp: bool = False,
) -> int:
    """About how many arrows such a graph draws (an upper bound), from the network's shape alone.

    Collapsed, each neuron node has an arrow from every input it reads: two wide layers
    make width² arrows, which `dot` cannot lay out in time even when the nodes are few.
    """
    per_sample, nin = 0, n_inputs
    for nout, activation in layers:
        exp_tanh = 16 if tanh_as_exp and activation == "tanh" else 0
        per_neuron = (6 * nin + 4) if expanded else (nin + 1)
        per_sample += nout * (per_neuron + exp_tanh)
        nin = nout
    return n_samples * (per_sample + 6)
