"""The Decision boundary tab: data scatter, model output over the plane, and click editing."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet

from engine.data import Dataset, lecture, moons
from engine.nn import MLP
from engine.weights import LayerWeights, ModelWeights
from gui.views.boundary_picture import GRID_SIZE, predict_grid
from gui.views.boundary_view import POSITIVE_COLOR, BoundaryView


@pytest.fixture
def view(qtbot) -> BoundaryView:
    widget = BoundaryView()
    widget.resize(800, 600)
    qtbot.addWidget(widget)
    return widget


def scatters(view: BoundaryView) -> list[PathCollection]:
    return [c for c in view.axes.collections if isinstance(c, PathCollection)]


def contours(view: BoundaryView) -> list[ContourSet]:
    return [c for c in view.axes.collections if isinstance(c, ContourSet)]


def relu_model(seed: int = 1) -> ModelWeights:
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=seed)
    return ModelWeights.from_model(model)


def linear_weights(w1: float, w2: float, b: float, activation: str = "linear") -> ModelWeights:
    """output = act(w1*x1 + w2*x2 + b): its boundary is a known straight line."""
    return ModelWeights(2, [LayerWeights(activation, [[w1, w2]], [b])])


def click(view: BoundaryView, x: float, y: float, button: int = 1, **kwargs) -> None:
    """Send a fake press at data coordinates (x, y) through the canvas's own event handling."""
    view.canvas.draw()  # settle the layout (the equal aspect is applied at draw time)
    px, py = view.axes.transData.transform((x, y))
    event = MouseEvent("button_press_event", view.canvas, px, py, button, **kwargs)
    view.canvas.callbacks.process(event.name, event)


def test_moons_give_two_scatters_with_the_class_counts(view):
    ds = moons(61, noise=0.1, seed=2)
    view.set_dataset(ds)
    positive, negative = scatters(view)
    points, targets = np.array(ds.inputs), np.array(ds.targets)
    assert len(positive.get_offsets()) == 31 and len(negative.get_offsets()) == 30
    np.testing.assert_array_equal(positive.get_offsets(), points[targets > 0])
    np.testing.assert_array_equal(negative.get_offsets(), points[targets < 0])
    assert positive.get_paths()[0] != negative.get_paths()[0]  # distinct markers, not only colours
    legend = [t.get_text() for t in view.axes.get_legend().get_texts()]
    assert legend == ["+1", "−1"]


def test_limits_fit_the_data_and_stay_while_training(view):
    ds = moons(50, noise=0.1, seed=0)
    view.set_dataset(ds)
    x0, x1, y0, y1 = view.limits
    points = np.array(ds.inputs)
    assert x0 < points[:, 0].min() and x1 > points[:, 0].max()
    assert y0 < points[:, 1].min() and y1 > points[:, 1].max()
    for seed in range(3):
        view.set_weights(relu_model(seed))
    view.canvas.draw()
    assert view.axes.get_xlim() == pytest.approx((x0, x1)) and view.axes.get_ylim() == pytest.approx((y0, y1))
    view.set_dataset(Dataset([[10.0, 10.0], [12.0, 11.0]], [1.0, -1.0]))
    assert view.limits[0] > 9 and view.limits[1] > 12
    view.set_dataset(ds, keep_limits=True)
    assert view.limits[0] > 9


def test_three_inputs_show_a_message_instead(view):
    view.set_dataset(lecture())
    messages = [t for t in view.figure.texts if t.get_visible()]
    assert [t.get_text() for t in messages] == ["The decision boundary needs 2-D inputs; this dataset has 3."]
    assert not view.axes.get_visible()
    assert view.hint_label.isHidden()
    view.set_weights(ModelWeights.from_model(MLP(3, [4, 1], seed=0)))
    assert view.grid_values() is None
    view.set_dataset(moons(20))
    assert view.axes.get_visible() and not any(t.get_visible() for t in view.figure.texts)


def test_grid_is_the_model_output_over_the_view(view):
    view.set_dataset(moons(40, seed=1))
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=1)
    view.set_weights(ModelWeights.from_model(model))
    grid = view.grid_values()
    assert grid.shape == (100, 100)
    # Cell centres of a 100 x 100 grid over the view, rows going up in x2, columns along x1
    x0, x1, y0, y1 = view.limits
    xs, ys = view.grid_coordinates()
    np.testing.assert_allclose(xs, [x0 + (i + 0.5) * (x1 - x0) / 100 for i in range(100)], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ys, [y0 + (j + 0.5) * (y1 - y0) / 100 for j in range(100)], rtol=0, atol=1e-12)
    # Each cell is what the scalar engine's own model (Values, no NumPy) says there
    for row, column in [(0, 0), (0, 99), (99, 0), (99, 99), (50, 50), (13, 71), (88, 4)]:
        expected = model([xs[column], ys[row]]).data
        assert grid[row, column] == pytest.approx(expected, rel=1e-12, abs=1e-12), (row, column)
    image = view.axes.images[0]
    np.testing.assert_array_equal(image.get_array(), grid)
    assert tuple(image.get_extent()) == pytest.approx(view.limits)


def test_image_under_each_sample_has_the_sign_of_the_models_prediction(view):
    ds = moons(60, seed=3)
    view.set_dataset(ds)
    weights = relu_model(seed=4)
    view.set_weights(weights)
    view.canvas.draw()
    image = view.axes.images[0]
    checked = 0
    for x, y in ds.inputs:
        predicted = weights.predict([x, y])
        if abs(predicted) < 0.2:  # too near the boundary for a 100x100 grid to agree on the side
            continue
        px, py = view.axes.transData.transform((x, y))
        shown = image.get_cursor_data(MouseEvent("motion_notify_event", view.canvas, px, py))
        assert np.sign(shown) == np.sign(predicted), (x, y)
        checked += 1
    assert checked >= 30


def test_boundary_line_sits_where_the_output_crosses_the_threshold(view):
    # sigmoid(4*(x1 - 0.5)) = 0.5 exactly on the vertical line x1 = 0.5: not on x2 = 0.5 (a transposed grid)
    view.set_dataset(Dataset([[-1.0, -1.0], [2.0, 1.0]], [1.0, -1.0]))
    view.set_weights(linear_weights(4.0, 0.0, -2.0, activation="sigmoid"), threshold=0.5)
    (contour,) = contours(view)
    assert list(contour.levels) == [0.5]
    vertices = np.concatenate([path.vertices for path in contour.get_paths()])
    np.testing.assert_allclose(vertices[:, 0], 0.5, atol=1e-9)
    assert np.ptp(vertices[:, 1]) > 1.5  # it spans the view from bottom to top
    legend = [t.get_text() for t in view.axes.get_legend().get_texts()]
    assert legend[-1] == "boundary (output = 0.5)"


def test_repeated_weights_reuse_the_artists(view):
    view.set_dataset(moons(40))
    for seed in range(5):
        view.set_weights(relu_model(seed))
    assert len(view.axes.images) == 1
    assert len(contours(view)) <= 1
    assert len(scatters(view)) == 2


def test_no_boundary_when_the_output_never_crosses_the_threshold(view):
    view.set_dataset(moons(20))
    view.set_weights(linear_weights(0.0, 0.0, 5.0))  # output 5 everywhere
    assert contours(view) == []
    assert np.all(view.grid_values() == 5.0)
    assert len(view.axes.get_legend().get_texts()) == 2


def test_none_removes_the_output(view):
    view.set_dataset(moons(20))
    view.set_weights(relu_model())
    view.set_weights(None)
    assert view.grid_values() is None
    assert len(view.axes.images) == 0 and contours(view) == []


def test_new_dataset_recomputes_the_grid_over_the_new_limits(view):
    view.set_dataset(moons(20))
    weights = relu_model()
    view.set_weights(weights)
    view.set_dataset(Dataset([[5.0, 5.0], [7.0, 8.0]], [1.0, -1.0]))
    xs, ys = view.grid_coordinates()
    assert xs[0] > 4 and ys[-1] < 9
    assert tuple(view.axes.images[0].get_extent()) == pytest.approx(view.limits)


@pytest.mark.parametrize(
    ("kwargs", "target"),
    [({}, 1.0), ({"key": "shift"}, -1.0), ({"modifiers": ["shift"]}, -1.0)],
)
def test_left_click_adds_a_point(view, qtbot, kwargs, target):
    view.set_dataset(moons(20))
    with qtbot.waitSignal(view.point_added, timeout=1000) as blocker:
        click(view, 0.25, 0.5, **kwargs)
    x, y, label = blocker.args
    assert (x, y) == pytest.approx((0.25, 0.5)) and label == target


def test_right_click_removes_the_nearest_sample(view, qtbot):
    ds = Dataset([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]], [1.0, -1.0, 1.0])
    view.set_dataset(ds)
    with qtbot.waitSignal(view.point_removed, timeout=1000) as blocker:
        click(view, 1.02, 0.97, button=3)
    assert blocker.args == [1]
    with qtbot.waitSignal(view.point_removed, timeout=1000) as blocker:
        click(view, 0.99, 0.02, button=3)
    assert blocker.args == [2]


def test_ctrl_click_picks_the_nearest_sample_without_adding_one(view, qtbot):
    ds = Dataset([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]], [1.0, -1.0, 1.0])
    view.set_dataset(ds)
    with (
        qtbot.assertNotEmitted(view.point_added),
        qtbot.waitSignal(view.point_picked, timeout=1000) as blocker,
    ):
        click(view, 0.98, 0.03, key="control", modifiers=frozenset({"ctrl"}))
    assert blocker.args == [2]


def test_right_click_far_from_every_sample_removes_nothing(view, qtbot):
    view.set_dataset(Dataset([[0.0, 0.0], [1.0, 1.0]], [1.0, -1.0]))
    with qtbot.assertNotEmitted(view.point_removed):
        click(view, 0.5, 0.5, button=3)


def test_clicks_outside_the_axes_or_on_3d_data_do_nothing(view, qtbot):
    view.set_dataset(moons(20))
    view.canvas.draw()
    with qtbot.assertNotEmitted(view.point_added):
        event = MouseEvent("button_press_event", view.canvas, 2, 2, 1)  # the figure's corner
        view.canvas.callbacks.process(event.name, event)
    view.set_dataset(lecture())
    with qtbot.assertNotEmitted(view.point_added), qtbot.assertNotEmitted(view.point_removed):
        click(view, 0.0, 0.0)
        click(view, 0.0, 0.0, button=3)


def test_empty_dataset_can_be_filled_by_clicking(view, qtbot):
    view.set_dataset(Dataset([], []))
    assert view.axes.get_visible()
    with qtbot.waitSignal(view.point_added, timeout=1000):
        click(view, 0.0, 0.0)


def test_each_set_weights_replaces_the_grid_and_the_image(view):
    view.set_dataset(moons(100, seed=0))
    first, second = relu_model(1), relu_model(2)
    point = np.array([[0.3, -0.1]])
    for weights in (first, second, first):
        view.set_weights(weights)
        view.canvas.draw()
        xs, ys = view.grid_coordinates()
        cell = view.grid_values()[37, 62]
        assert cell == pytest.approx(weights.predict([xs[62], ys[37]]), rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(view.axes.images[0].get_array(), view.grid_values())
    assert first.predict_numpy(point)[0] != second.predict_numpy(point)[0]  # the two really differ


def rgba(view: BoundaryView) -> np.ndarray:
    return np.asarray(view.canvas.buffer_rgba()).copy()


def pixel_at(view: BoundaryView, buffer: np.ndarray, x: float, y: float) -> np.ndarray:
    px, py = view.axes.transData.transform((x, y))
    return buffer[int(round(buffer.shape[0] - py)), int(round(px)), :3].astype(int)


def test_refreshes_are_blitted_and_a_full_draw_still_shows_everything(view, qtbot, monkeypatch):
    ds = Dataset([[-1.0, -1.0], [1.0, 1.0]], [1.0, -1.0])
    view.set_dataset(ds)
    view.show()
    view.canvas.draw()
    empty = rgba(view)
    blue = np.array([int(POSITIVE_COLOR[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(pixel_at(view, empty, -1.0, -1.0) - blue).max() <= 3  # the sample's centre
    view.set_weights(linear_weights(1.0, 1.0, 0.0))  # first output: a full draw takes the background
    view.canvas.draw()
    full_draws = []
    monkeypatch.setattr(view.figure, "draw", lambda renderer: full_draws.append(renderer))
    drawn = []
    view.canvas.mpl_connect("draw_event", drawn.append)
    for slope in (1.0, 2.0, -1.0):
        view.set_weights(linear_weights(slope, 1.0, 0.5))
    assert full_draws == [] and len(drawn) == 3  # no full draw, but listeners hear of each refresh
    blitted = rgba(view)
    monkeypatch.undo()
    view.canvas.draw()
    full = rgba(view)
    for buffer in (blitted, full):
        assert np.abs(pixel_at(view, buffer, -1.0, -1.0) - blue).max() <= 3  # samples stay on top
        # the last output is 2.7 at (-1.1, 1.1), inside the view: pale blue, not the empty plane's white
        corner = pixel_at(view, buffer, -1.1, 1.1)
        assert tuple(corner) != tuple(pixel_at(view, empty, -1.1, 1.1)) and corner[2] > corner[0]
    assert np.abs(blitted.astype(int) - full.astype(int)).max() <= 8  # the same picture either way
    assert (np.abs(full.astype(int) - empty.astype(int)).max(axis=2) > 30).sum() > 10_000


def test_a_resize_or_new_data_falls_back_to_a_full_draw(view, qtbot, monkeypatch):
    view.set_dataset(moons(30))
    view.show()
    view.set_weights(relu_model())
    view.canvas.draw()
    assert view._blit()
    view.resize(700, 500)
    qtbot.waitUntil(lambda: view.canvas.get_width_height()[0] < 750)
    assert not view._blit()  # the background is the old size
    view.canvas.draw()
    assert view._blit()
    view.set_dataset(moons(30, seed=5))
    assert not view._blit()
    view.canvas.draw()
    assert view._blit()


def test_savefig_draws_the_output_and_the_samples(view, tmp_path):
    view.set_dataset(moons(30))
    view.set_weights(relu_model())
    view.canvas.draw()
    view.set_weights(relu_model(2))
    path = tmp_path / "boundary.png"
    view.figure.savefig(path, dpi=50)
    assert view.axes.images[0].get_animated() is False
    assert path.stat().st_size > 5000
    assert not view._blit()  # savefig's renderer replaced the background's one: full draw next


# ---------------------------------------------------------------- the picture, and drawing in a thread


def test_the_picture_matches_what_matplotlib_draws_for_the_same_image(view, qtbot):
    """Our picture of the grid (blended, coloured) against matplotlib's own image drawing."""
    view.resize(700, 560)
    view.set_dataset(moons(100, 0.1, 0))
    view.set_weights(relu_model(3))
    view.canvas.draw()
    ours = np.asarray(view.canvas.buffer_rgba()).copy()
    image = view.axes.images[0]
    image.draw = lambda renderer, image=image: (
        type(image).__mro__[1].draw(image, renderer)
    )  # matplotlib's way
    image.set_interpolation("bilinear")
    image.set_interpolation_stage("data")
    view.canvas.draw()
    theirs = np.asarray(view.canvas.buffer_rgba())
    assert ours.shape == theirs.shape
    difference = np.abs(ours.astype(int) - theirs.astype(int))
    assert difference.max() <= 4  # of 255: rounding only
    assert (difference > 0).mean() < 0.5


def test_a_broken_model_draws_blank_where_it_overflowed(view):
    weights = linear_weights(1e308, 1e308, 0.0)
    view.set_weights(weights)
    view.canvas.draw()
    picture = view.axes.images[0].picture[1]
    assert picture[..., 3].min() == 0  # transparent where the output is not finite
    assert picture[..., 3].max() == 255


def test_weights_drawn_in_the_background_arrive_and_equal_the_direct_grid(view, qtbot):
    view.set_dataset(moons(100, 0.1, 0))
    weights = relu_model(5)
    with qtbot.waitSignal(view.output_shown, timeout=10_000):
        view.set_weights(weights, background=True)
    expected, _, _ = predict_grid(weights, view.limits)
    np.testing.assert_array_equal(view.grid_values(), expected)
    assert len(contours(view)) == (1 if expected.min() < 0 < expected.max() else 0)
    view.set_weights(weights)
    np.testing.assert_array_equal(view.grid_values(), expected)


def test_only_the_newest_background_request_is_shown(view, qtbot):
    view.set_dataset(moons(100, 0.1, 0))
    shown = []
    view.output_shown.connect(lambda: shown.append(view.grid_values().copy()))
    models = [relu_model(seed) for seed in range(1, 6)]
    for weights in models:
        view.set_weights(weights, background=True)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    qtbot.wait(200)  # results of older requests, if any were computed, arrive now and must be dropped
    np.testing.assert_array_equal(shown[-1], predict_grid(models[-1], view.limits)[0])
    assert len(shown) <= len(models)


def test_a_large_network_in_the_background_leaves_the_shown_grid_until_ready(view, qtbot):
    """The largest network the app allows: its grid takes long; the call returns at once."""
    view.set_dataset(moons(100, 0.1, 0))
    view.set_weights(relu_model(1))
    before = view.grid_values().copy()
    big = ModelWeights.from_model(MLP(2, [64, 64, 1], activation="relu", output_activation="linear", seed=0))
    with qtbot.waitSignal(view.output_shown, timeout=30_000):
        view.set_weights(big, background=True)
        np.testing.assert_array_equal(view.grid_values(), before)  # nothing computed in this thread yet
    assert view.grid_values().shape == (GRID_SIZE, GRID_SIZE)
    assert not np.array_equal(view.grid_values(), before)


def test_a_neuron_can_be_shown_instead_of_the_output_and_back(view, qtbot):
    view.set_dataset(moons(40, seed=1))
    model = MLP(2, [5, 3, 1], activations=["tanh", "relu", "tanh"], seed=4)
    weights = ModelWeights.from_model(model)
    view.set_weights(weights)
    output = view.grid_values().copy()
    with qtbot.waitSignal(view.output_shown, timeout=5000):
        view.show_neuron(1, 2)
    assert view.shown_neuron == (1, 2)
    grid, xs, ys = view.grid_values(), *view.grid_coordinates()
    for row, column in [(0, 0), (99, 99), (40, 61)]:
        hidden = [n([xs[column], ys[row]]) for n in model.layers[0].neurons]
        expected = model.layers[1].neurons[2](hidden).data
        assert grid[row, column] == pytest.approx(expected, abs=1e-12)
    assert "neuron 2.3" in view.hint_label.text()
    with qtbot.waitSignal(view.output_shown, timeout=5000):
        view.show_output()
    np.testing.assert_array_equal(view.grid_values(), output)
    assert view.shown_neuron is None


def test_a_neuron_the_new_network_lacks_falls_back_to_the_output(view):
    view.set_dataset(moons(40, seed=1))
    view.set_weights(relu_model())
    view.show_neuron(1, 15)
    small = linear_weights(1.0, -1.0, 0.0)
    view.set_weights(small)
    assert view.shown_neuron is None
    assert view.grid_values() is not None and view.grid_values().shape == (GRID_SIZE, GRID_SIZE)


@pytest.mark.parametrize(("preset", "kwargs"), [("arms", {"classes": 3}), ("bump", {})])
def test_test_samples_of_several_classes_and_of_a_regression_are_ringed_in_their_own_colour(
    view, preset, kwargs
):
    from matplotlib.colors import to_rgba

    from engine.data import make_preset
    from gui.views.held_out_points import HOLLOW_FACE

    ds = make_preset(preset, 30, 0.1, 0, **kwargs)
    view.set_dataset(ds)
    coloured = view._coloured
    solid_faces = coloured.get_facecolors().copy()
    assert len(solid_faces) == 30 and not np.allclose(solid_faces, to_rgba(HOLLOW_FACE))
    held = [2, 7, 11]
    view.set_held_out(held)
    faces, edges = coloured.get_facecolors(), coloured.get_edgecolors()
    for i in range(30):
        if i in held:  # hollow, ringed in the sample's own colour (its class, or its target's)
            assert np.allclose(faces[i], to_rgba(HOLLOW_FACE)) and np.allclose(edges[i], solid_faces[i])
        else:
            assert np.allclose(faces[i], solid_faces[i])
    view.set_held_out([])
    assert np.allclose(view._coloured.get_facecolors(), solid_faces)
