"""The drawn graph: what its nodes carry, the forms a neuron takes, and step-through backprop."""

import math
import os
import re
import xml.etree.ElementTree as ET

import pytest

from engine import MLP, Value
from engine.data import lecture
from engine.graph import (
    NUMBER_PLACEHOLDER,
    BackwardStepper,
    Graph,
    GraphError,
    SvgGraph,
    dataset_graph,
    format_number,
    graph_font,
    layout_svg,
    sample_graph,
)
from engine.losses import sse

needs_dot = pytest.mark.skipif(
    not __import__("shutil").which("dot"), reason="Graphviz's dot is not installed"
)


def lecture_neuron():
    """The lecture's single neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


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
    svg = SvgGraph(layout_svg(graph.to_dot()), graph)
    shown = svg_numbers(svg.to_bytes())
    assert set(shown) == {n.id for n in graph.nodes}
    for node in graph.nodes:
        assert shown[node.id] == (
            f"data {format_number(node.value.data)}",
            f"grad {format_number(node.value.grad)}",
        )
    assert shown[graph.of(leaves["w1"]).id][1] == "grad 1.0000"


def independent_grads(model: MLP, x, y) -> list[float]:
    """Grads of one sample's squared error, computed the plain way on a copy of the weights."""
    twin = MLP(model.nin, model.sizes, activations=[layer.activation for layer in model.layers])
    for a, b in zip(twin.parameters(), model.parameters()):
        a.data = b.data
    loss = sse([twin(x)], [y])
    loss.backward()
    return [p.grad for p in twin.parameters()]


@pytest.mark.parametrize("expanded", [True, False])
def test_mlp_sample_graph_carries_exactly_the_engines_grads(expanded):
    model, data = MLP(3, [4, 4, 1], seed=0), lecture()
    graph = sample_graph(model, data.inputs[0], data.targets[0], expanded=expanded)
    expected = independent_grads(model, data.inputs[0], data.targets[0])
    assert [p.grad for p in model.parameters()] == expected
    kinds = {graph.of(p).kind for p in model.parameters()}
    assert kinds == {"weight", "bias"}
    assert graph.of(graph.root).value.label == "loss"
    inputs = [n for n in graph.nodes if n.kind == "input"]
    assert [n.name for n in inputs] == ["x1", "x2", "x3"]


def leaf_grads(model: MLP, **form) -> list[float]:
    data = lecture()
    sample_graph(model, data.inputs[2], data.targets[2], **form)
    return [p.grad for p in model.parameters()]


def test_expanded_and_collapsed_neurons_give_identical_grads():
    model = MLP(3, [4, 4, 1], seed=5)
    assert leaf_grads(model, expanded=True) == leaf_grads(model, expanded=False)
    relu = MLP(3, [4, 4, 1], activation="relu", output_activation="linear", seed=5)
    assert leaf_grads(relu, expanded=True) == leaf_grads(relu, expanded=False)


def test_tanh_as_one_node_or_as_exps_gives_the_same_grads():
    model = MLP(3, [4, 4, 1], seed=2)
    one = leaf_grads(model, expanded=True)
    exps = leaf_grads(model, expanded=True, tanh_as_exp=True)
    assert max(abs(a - b) for a, b in zip(one, exps)) <= 1e-12
    assert max(abs(g) for g in one) > 1e-3  # a real comparison, not of zeros
    graph = sample_graph(model, lecture().inputs[0], 1.0, tanh_as_exp=True)
    ops = {n.op for n in graph.nodes}
    assert "exp" in ops and "tanh" not in ops


def test_step_through_visits_every_node_once_users_first_and_ends_at_backwards_grads():
    model, data = MLP(3, [4, 4, 1], seed=0), lecture()
    graph = dataset_graph(model, data)  # the whole lecture loss: nodes reused across samples
    expected = {n.id: n.value.grad for n in graph.nodes}
    stepper = BackwardStepper(graph)
    assert all(n.value.grad == (1.0 if n.value is graph.root else 0.0) for n in graph.nodes)
    visited = []
    while (step := stepper.step()) is not None:
        visited.append(step.node.id)
        # every user of this node was visited before it
        for user in graph.nodes:
            if step.node.value in user.value._prev:
                assert user.id in visited[:-1]
        for operand, local, added in step.contributions:
            if sum(1 for o, _, _ in step.contributions if o is operand) == 1 and math.isfinite(added):
                assert added == pytest.approx(local * step.upstream, rel=1e-9, abs=1e-15)
    assert sorted(visited) == sorted(n.id for n in graph.nodes) and len(visited) == len(set(visited))
    assert {n.id: n.value.grad for n in graph.nodes} == expected  # exactly backward()'s


def test_step_through_seek_replays_to_any_point():
    graph = sample_graph(MLP(3, [4, 4, 1], seed=1), [1.0, -2.0, 0.5], 1.0)
    stepper = BackwardStepper(graph)
    for _ in range(7):
        stepper.step()
    after_seven = [n.value.grad for n in graph.nodes]
    stepper.seek(20)
    stepper.seek(7)
    assert [n.value.grad for n in graph.nodes] == after_seven
    assert stepper.position == 7


def test_local_derivatives_match_finite_differences():
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    root = ((a * b).tanh() + (a**3) / b.exp() + (a + 2).log() + b.sigmoid() + (a - b).relu()).tanh()
    graph = Graph(root)
    ops = {
        "+": lambda a, b: a + b,
        "*": lambda a, b: a * b,
        "tanh": math.tanh,
        "exp": math.exp,
        "log": math.log,
        "relu": lambda a: max(a, 0.0),
        "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
    }
    checked = set()
    for node in graph.nodes:
        v = node.value
        f = (lambda a, n=v._arg: a**n) if v._op == "**" else ops.get(v._op)
        if f is None:
            continue
        datas = [p.data for p in v._prev]
        for i, (_operand, local) in enumerate(graph.local_derivatives(node)):
            h = 1e-6 * max(1.0, abs(datas[i]))
            hi, lo = list(datas), list(datas)
            hi[i] += h
            lo[i] -= h
            assert local == pytest.approx((f(*hi) - f(*lo)) / (2 * h), rel=1e-5, abs=1e-8), v._op
            checked.add(v._op)
    assert checked == {"+", "*", "**", "tanh", "exp", "log", "relu", "sigmoid"}
    neuron = Value.neuron([Value(0.5), Value(-2.0)], [a, b], Value(0.1), "tanh")
    g = Graph(neuron)
    derivs = {op.value: d for op, d in g.local_derivatives(g.of(neuron))}
    h = 1e-7
    a.data += h
    up = Value.neuron(list(neuron._prev[3:]), [a, b], neuron._prev[2], "tanh").data
    a.data -= 2 * h
    down = Value.neuron(list(neuron._prev[3:]), [a, b], neuron._prev[2], "tanh").data
    a.data += h
    assert derivs[a] == pytest.approx((up - down) / (2 * h), rel=1e-6)


@needs_dot
def test_svg_numbers_and_highlights_change_without_a_new_layout():
    o, leaves = lecture_neuron()
    graph = Graph(o)
    svg = SvgGraph(layout_svg(graph.to_dot()), graph)
    before = svg.to_bytes()
    o.backward()  # a second backward without zero_grad: leaf grads double
    svg.update()
    shown = svg_numbers(svg.to_bytes())
    assert shown[graph.of(leaves["x1"]).id][1] == f"grad {format_number(2 * -1.5)}"
    node_id = graph.of(leaves["w1"]).id
    svg.highlight({node_id: ("#d62728", 3.0)})
    assert b'stroke="#d62728"' in svg.to_bytes() and b'stroke="#d62728"' not in before


def test_graph_too_large_and_dot_missing_or_slow_give_clear_errors(monkeypatch):
    x = Value(1.0)
    for _ in range(3001):
        x = x + 1
    with pytest.raises(GraphError, match="too many"):
        Graph(x)
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


def test_numbers_fit_their_reserved_width():
    for x in [0.0, 1.0, -3.8240, 123.45678, -9999.5, 1e-9, -2.5e-7, 1e12, 0.00012]:
        assert len(format_number(x)) <= 9, x


def test_collapsed_graphs_fold_parameters_into_their_neurons():
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    graph = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=False)
    drawn = [n for n in graph.nodes if graph.is_drawn(n)]
    assert len(drawn) < 50 < len(graph)  # 337 parameters live in the graph but are not drawn
    dot = graph.to_dot()
    for p in model.parameters():
        assert f"  {graph.of(p).id} [" not in dot and f"{graph.of(p).id} ->" not in dot
    assert all(f"  {n.id} [" in dot for n in drawn)
    expanded = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=True)
    assert all(expanded.is_drawn(n) for n in expanded.nodes)
    expanded_dot = expanded.to_dot()
    assert all(f"  {expanded.of(p).id} [" in expanded_dot for p in model.parameters())  # drawn unfolded
    assert expanded.root.data == graph.root.data  # folding changes the drawing, not the loss


def test_exported_dot_carries_the_numbers():
    o, leaves = lecture_neuron()
    dot = Graph(o).to_dot(numbers=True)
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
    reserved = dot_node_widths(graph.to_dot(stacked=stacked))
    needed = dot_node_widths(graph.to_dot(stacked=stacked, numbers=True))
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

    monkeypatch.setattr("engine.graph._fontconfig_output", output)


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
    assert f'fontname="{chosen}"' in Graph(o).to_dot()
    assert "DejaVu" not in Graph(o).to_dot() or chosen == "DejaVu Sans"


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
        "engine.graph._fontconfig_output", lambda *command: calls.append(command) or "Arial\n"
    )
    assert graph_font() == graph_font() == "Arial"
    assert len(calls) == 1


def test_this_machines_font_is_one_fontconfig_has(fresh_font_choice):
    from engine.graph import _fontconfig_families

    families = _fontconfig_families()
    if families is None:
        assert graph_font() in {"Helvetica", "Arial", "DejaVu Sans"}
    else:
        assert graph_font() in families
