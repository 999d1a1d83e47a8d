"""Drawing the graph: DOT text, `dot` run with a time limit, the SVG edited in place, and the font."""

import math
import os
import re
import xml.etree.ElementTree as ET

import pytest

from engine import MLP
from engine.data import lecture
from engine.graph import Graph, GraphError, sample_graph
from engine.teaching import format_number
from gui.graph.render import NUMBER_PLACEHOLDER, graph_font, layout_svg, to_dot
from gui.graph.svg import SvgGraph
from tests.engine.test_graph import lecture_neuron

needs_dot = pytest.mark.skipif(
    not __import__("shutil").which("dot"), reason="Graphviz's dot is not installed"
)


def svg_numbers(svg: bytes) -> dict[str, tuple[str, str]]:
    """node id -> (data text, grad text), read back from the SVG."""
    ns = "{http://www.w3.org/2000/svg}"
    out = {}
    for g in ET.fromstring(svg).iter(f"{ns}g"):
        texts = [t.text for t in g.iter(f"{ns}text") if t.text and t.text.startswith(("data", "grad"))]
        if len(texts) >= 2 and re.fullmatch(r"v\d+", g.get("id", "")):
            out[g.get("id")] = (texts[-2], texts[-1])
    return out


@needs_dot
def test_lecture_neuron_graph_shows_the_engines_numbers():
    o, leaves = lecture_neuron()
    graph = Graph(o)
    assert len(graph) == 10  # 5 leaves, 2 products, 2 sums, tanh
    assert graph.of(o).kind == "output"
    assert leaves["x1"].grad == pytest.approx(-1.5) and leaves["w2"].grad == 0.0
    svg = SvgGraph(layout_svg(to_dot(graph)), graph)
    shown = svg_numbers(svg.to_bytes())
    assert set(shown) == {n.id for n in graph.nodes}
    for node in graph.nodes:
        assert shown[node.id] == (
            f"data {format_number(node.value.data)}",
            f"grad {format_number(node.value.grad)}",
        )
    assert shown[graph.of(leaves["w1"]).id][1] == "grad 1.0000"


@needs_dot
def test_svg_numbers_and_highlights_change_without_a_new_layout():
    o, leaves = lecture_neuron()
    graph = Graph(o)
    svg = SvgGraph(layout_svg(to_dot(graph)), graph)
    before = svg.to_bytes()
    o.backward()  # a second backward without zero_grad: leaf grads double
    svg.update()
    shown = svg_numbers(svg.to_bytes())
    assert shown[graph.of(leaves["x1"]).id][1] == f"grad {format_number(2 * -1.5)}"
    node_id = graph.of(leaves["w1"]).id
    svg.highlight({node_id: ("#d62728", 3.0)})
    assert b'stroke="#d62728"' in svg.to_bytes() and b'stroke="#d62728"' not in before


def test_dot_missing_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(GraphError, match="apt-get install graphviz"):
        layout_svg("digraph { a -> b }")


def test_layout_time_limit_kills_dot(monkeypatch, tmp_path):
    pid_file = tmp_path / "dot.pid"
    fake = tmp_path / "dot"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(GraphError, match="more than 0.5 s"):
        layout_svg("digraph { a -> b }", timeout=0.5)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
        os.kill(pid, 0)


def test_collapsed_graphs_fold_parameters_into_their_neurons():
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    graph = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=False)
    drawn = [n for n in graph.nodes if graph.is_drawn(n)]
    assert len(drawn) < 50 < len(graph)  # 337 parameters live in the graph but are not drawn
    dot = to_dot(graph)
    for p in model.parameters():
        assert f"  {graph.of(p).id} [" not in dot and f"{graph.of(p).id} ->" not in dot
    assert all(f"  {n.id} [" in dot for n in drawn)
    expanded = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=True)
    assert all(expanded.is_drawn(n) for n in expanded.nodes)
    expanded_dot = to_dot(expanded)
    assert all(f"  {expanded.of(p).id} [" in expanded_dot for p in model.parameters())  # drawn unfolded
    assert expanded.root.data == graph.root.data  # folding changes the drawing, not the loss


def test_exported_dot_carries_the_numbers():
    o, leaves = lecture_neuron()
    dot = to_dot(Graph(o), numbers=True)
    assert "grad 1.0000" in dot and "data 0.7071" in dot and NUMBER_PLACEHOLDER not in dot


# ---- room for the numbers, and the font they are measured in


def dot_node_widths(dot_source: str) -> dict[str, float]:
    """Width in points of each record `dot` lays out (the op ellipses left out)."""
    import json
    import subprocess

    done = subprocess.run(["dot", "-Tjson"], input=dot_source.encode(), capture_output=True, check=True)
    objects = json.loads(done.stdout)["objects"]
    return {o["name"]: 72 * float(o["width"]) for o in objects if not o["name"].endswith("_op")}


@needs_dot
@pytest.mark.parametrize("stacked", [False, True])
def test_every_lecture_record_is_as_wide_as_the_numbers_written_into_it(stacked):
    # The view lays out records with placeholders, then writes the numbers into the SVG:
    # `dot` laying out the real numbers must not need a wider record anywhere.
    data = lecture()
    graph = sample_graph(MLP(3, [4, 4, 1], seed=0), data.inputs[0], data.targets[0])
    reserved = dot_node_widths(to_dot(graph, stacked=stacked))
    needed = dot_node_widths(to_dot(graph, stacked=stacked, numbers=True))
    assert len(needed) == len(graph) == 120
    too_narrow = {
        node_id: needed[node_id] - reserved[node_id]
        for node_id in needed
        if needed[node_id] > reserved[node_id]
    }
    assert not too_narrow, f"{len(too_narrow)} records too narrow by up to {max(too_narrow.values()):.1f} pt"


def numbers_format_number_writes() -> list[str]:
    """Texts of every shape: each sign, fixed-point lengths, 1- to 3-digit exponents, specials."""
    magnitudes = [0.0, 1e-4, 0.5, 8.8888, 99.99, 888.8888, 9999.9999, 99999.9, 5e-324, 1.7e308, 2.2e-308]
    magnitudes += [m * 10.0**e for m in (1.0, 4.4444, 8.8888, 9.99999) for e in range(-300, 300, 13)]
    texts = {format_number(sign * m) for m in magnitudes for sign in (1, -1)}
    return sorted(texts | {format_number(x) for x in (math.inf, -math.inf, math.nan)})


@needs_dot
def test_the_reserved_text_is_as_wide_as_any_number_in_the_graphs_font():
    texts = numbers_format_number_writes()
    assert {"-1.00e-300", "-888.8888", "9999.9999", "-inf"} <= set(texts)
    records = [NUMBER_PLACEHOLDER, *texts]
    dot = "\n".join(
        [f'digraph {{ node [shape=record, fontname="{graph_font()}", fontsize=10];']
        + [f'  n{i} [label="{{ data {text} | grad {text} }}"];' for i, text in enumerate(records)]
        + ["}"]
    )
    widths = dot_node_widths(dot)
    reserved = widths.pop("n0")
    widest = max(widths, key=widths.get)
    assert widths[widest] <= reserved, records[int(widest[1:])]


def test_format_number_never_writes_more_than_the_placeholder_holds():
    for text in numbers_format_number_writes():
        assert len(text) <= len(NUMBER_PLACEHOLDER), text


@pytest.fixture
def fresh_font_choice():
    graph_font.cache_clear()
    yield
    graph_font.cache_clear()


def fake_fontconfig(monkeypatch, families: list[str] | None, sans_serif: str = "Cantarell"):
    """fc-list listing `families` (None: fontconfig missing) and fc-match answering `sans_serif`."""

    def output(*command):
        if families is None:
            return None
        return "\n".join(families) + "\n" if command[0] == "fc-list" else sans_serif

    monkeypatch.setattr("gui.graph.render._fontconfig_output", output)


@pytest.mark.parametrize(
    ("families", "chosen"),
    [
        (["DejaVu Sans,DejaVu Sans Condensed", "Helvetica"], "DejaVu Sans"),
        (["Helvetica Neue", "Helvetica,Helvetica Light", "Arial"], "Helvetica"),  # macOS
        (["Arial", "Segoe UI", "Arial,Arial Black"], "Arial"),  # Windows
        (["Cantarell", "Noto Sans"], "Noto Sans"),
        (["Cantarell", "Source Code Pro"], "Cantarell"),  # none we know: fontconfig's sans-serif
    ],
)
def test_the_graph_is_set_in_an_installed_font(monkeypatch, fresh_font_choice, families, chosen):
    fake_fontconfig(monkeypatch, families)
    assert graph_font() == chosen
    o, _ = lecture_neuron()
    assert f'fontname="{chosen}"' in to_dot(Graph(o))
    assert "DejaVu" not in to_dot(Graph(o)) or chosen == "DejaVu Sans"


@pytest.mark.parametrize(
    ("platform", "chosen"), [("darwin", "Helvetica"), ("win32", "Arial"), ("linux", "DejaVu Sans")]
)
def test_without_fontconfig_the_platforms_own_font(monkeypatch, fresh_font_choice, platform, chosen):
    fake_fontconfig(monkeypatch, None)
    monkeypatch.setattr("sys.platform", platform)
    assert graph_font() == chosen


@pytest.mark.parametrize("failure", ["missing", "timeout", "error"])
def test_a_broken_fontconfig_is_not_an_error(monkeypatch, fresh_font_choice, failure):
    import subprocess

    def run(command, **kwargs):
        if failure == "timeout":
            raise subprocess.TimeoutExpired(command, kwargs.get("timeout"))
        return subprocess.CompletedProcess(command, 1, b"", b"Fontconfig error")

    monkeypatch.setattr(subprocess, "run", run)
    if failure == "missing":
        monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("sys.platform", "darwin")
    assert graph_font() == "Helvetica"


def test_the_font_is_asked_for_once(monkeypatch, fresh_font_choice):
    calls = []
    monkeypatch.setattr(
        "gui.graph.render._fontconfig_output", lambda *command: calls.append(command) or "Arial\n"
    )
    assert graph_font() == graph_font() == "Arial"
    assert len(calls) == 1


def test_this_machines_font_is_one_fontconfig_has(fresh_font_choice):
    from gui.graph.render import _fontconfig_families

    families = _fontconfig_families()
    if families is None:
        assert graph_font() in {"Helvetica", "Arial", "DejaVu Sans"}
    else:
        assert graph_font() in families
