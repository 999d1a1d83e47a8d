"""dot's SVG of a graph, edited in place: new numbers, fills and outlines without a new layout.

Qt-free. `SvgTemplate` cuts the SVG once (in the layout thread) at every value that
changes, `SvgGraph` writes a graph's numbers and highlights into it, and `SvgGeometry`
says where each node is drawn, read from the SVG's text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass

from engine.collector import collector_paused
from engine.graph import Graph
from engine.teaching import format_number

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


class SvgTemplate:
    """dot's SVG cut at every value that changes without a new layout, for the graph's node ids.

    Parsing and serialising a large SVG takes a third of a second, so it is done once (in the
    layout thread): the result is literal byte chunks between slots, and an SVG with new numbers,
    fills or outlines is a join of chunks and slot values, in milliseconds.
    """

    def __init__(self, svg: bytes, node_ids: Collection[str]):
        with collector_paused():
            self._build(svg, node_ids)

    def _build(self, svg: bytes, node_ids: Collection[str]) -> None:
        wanted = set(node_ids)
        parser = ET.XMLParser()
        for start in range(0, len(svg), 1 << 14):  # in pieces: other threads get the GIL in between
            parser.feed(svg[start : start + (1 << 14)])
        root = parser.close()
        transform = _graph_transform(root)
        boxes: dict[str, Box] = {}
        self._slots: list[str] = []  # slot key per slot, in document order
        self._initial: dict[str, str] = {}
        self.texts: dict[str, tuple[str, str]] = {}  # node id -> slot keys of its data and grad texts
        self.shapes: dict[str, list[str]] = {}  # node id -> outline slot prefixes of its record and op node
        for g in root.iter(f"{{{SVG_NS}}}g"):
            gid = g.get("id", "")
            node_id = gid[:-3] if gid.endswith("_op") else gid
            if node_id in wanted:
                self._cut_shape(g, gid, node_id, transform, boxes)
                if gid == node_id:
                    self._cut_numbers(g, node_id)
        self._join(root, boxes)

    def _slot(self, key: str, value: str) -> str:
        """A marker for an editable value in the serialised SVG; `value` is what it holds at first."""
        self._slots.append(key)
        self._initial[key] = value
        return f"{_SLOT}{len(self._slots) - 1}{_SLOT}"

    def _cut_shape(self, g: ET.Element, gid: str, node_id: str, transform, boxes: dict[str, Box]) -> None:
        """Slots for the fill and outline of a record's (or operation node's) shape; its box."""
        kinds = (f"{{{SVG_NS}}}path", f"{{{SVG_NS}}}polygon", f"{{{SVG_NS}}}ellipse")
        shape = next((e for e in g if e.tag in kinds), None)
        if shape is None:
            return
        prefix = f"{gid}:"
        box = _shape_box(shape, transform)
        if box is not None:
            boxes[gid] = box
        self.shapes.setdefault(node_id, []).append(prefix)
        for attribute, default in (("fill", "none"), ("stroke", "#333333"), ("stroke-width", "1")):
            shape.set(attribute, self._slot(prefix + attribute, shape.get(attribute, default)))

    def _cut_numbers(self, g: ET.Element, node_id: str) -> None:
        """Slots for a record's data and grad texts."""
        texts = [t for t in g.iter(f"{{{SVG_NS}}}text") if (t.text or "").startswith(("data", "grad"))]
        if len(texts) >= 2:  # the last two: a label may itself start with "data"
            texts[-2].text = self._slot(f"{node_id}:data", texts[-2].text or "")
            texts[-1].text = self._slot(f"{node_id}:grad", texts[-1].text or "")
            self.texts[node_id] = (f"{node_id}:data", f"{node_id}:grad")

    def _join(self, root: ET.Element, boxes: dict[str, Box]) -> None:
        """The SVG as literal chunks between slots, and where each node's slots are."""
        slots, initial = self._slots, self._initial
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
        del self._slots, self._initial  # only needed while cutting

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
        self.template = template = svg if isinstance(svg, SvgTemplate) else SvgTemplate(svg, graph.node_ids)
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
        """Write every node's data and grad (from the engine, or `grads` where given: None is "grad ?",
        a grad the learner has still to find) into the SVG."""
        values, node = self._values, self.graph.node
        for node_id, data_at, grad_at in self._text_slots:
            value = node(node_id).value
            grad = value.grad if grads is None or node_id not in grads else grads[node_id]
            values[data_at] = "data " + format_number(value.data)  # digits, signs, "nan", "inf": no escaping
            values[grad_at] = "grad " + format_number(grad) if grad is not None else "grad ?"

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
