"""The window's menus: File, Train, Lessons and Help, each item wired to a window action.

Menu items hold their window weakly (see `weakly`): Qt keeps a connected lambda
alive, so a window whose menus held `lambda: window...` could never be freed
(nor its training process ended) until the app quit.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMenu

from engine import weights as weights_io
from engine.lessons import LESSONS
from gui.window.file_actions import (
    EXPORT_CSV,
    EXPORT_GRAPH,
    EXPORT_LOSS_CSV,
    EXPORT_LOSS_PNG,
    EXPORT_WEIGHTS,
    IMPORT_CSV,
    IMPORT_WEIGHTS,
    OPEN_SESSION,
    SAVE_SESSION,
    FileDialog,
)


def weakly(method, *args):
    """A slot that calls `method(*args)` without keeping the method's object alive."""
    ref = weakref.WeakMethod(method)

    def slot(*_ignored: object) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)

    return slot


def add_action(window: QMainWindow, menu: QMenu, text: str, slot, shortcut=None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _add_file_action(window, menu: QMenu, text: str, dialog: FileDialog, action: str, *args) -> QAction:
    """An item that asks for a path with `dialog`, then calls the window's method named `action`."""
    return add_action(window, menu, text, weakly(window.run_file_dialog, dialog, action, *args))


def build_menus(window) -> None:
    bar = window.menuBar()
    _build_file_menu(window, bar.addMenu("&File"))

    train_menu = bar.addMenu("&Train")
    add_action(window, train_menu, "Train / Pause\tSpace", window.toggle_training)
    add_action(window, train_menu, "Step", window.step, QKeySequence("Ctrl+Right"))
    add_action(window, train_menu, "Reset", window.reset_by_user, QKeySequence("Ctrl+R"))
    train_menu.addSeparator()
    add_action(window, train_menu, "Compiled program…", window.show_engine_details)
    # Space as a window shortcut: a focused text field still gets its own spaces.
    QShortcut(QKeySequence(Qt.Key_Space), window, window.toggle_training)

    lessons_menu = bar.addMenu("&Lessons")
    for index, lesson in enumerate(LESSONS):
        add_action(window, lessons_menu, lesson.title, weakly(window.play_lesson, index))

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "About micrograd-studio", window.show_about)


def _build_file_menu(window, file_menu: QMenu) -> None:
    add_action(window, file_menu, "&New session", window.new_session, QKeySequence.New)
    _add_file_action(window, file_menu, "&Open session…", OPEN_SESSION, "open_session").setShortcut(
        QKeySequence.Open
    )
    _build_examples_menu(window, file_menu.addMenu("Open &example"))
    _add_file_action(window, file_menu, "&Save session…", SAVE_SESSION, "save_session").setShortcut(
        QKeySequence.Save
    )
    file_menu.addSeparator()
    _add_file_action(window, file_menu, "Import dataset CSV…", IMPORT_CSV, "import_csv")
    _add_file_action(window, file_menu, "Export dataset CSV…", EXPORT_CSV, "export_csv")
    file_menu.addSeparator()
    export_menu = file_menu.addMenu("Export weights")
    _add_file_action(window, export_menu, "JSON (.json)…", EXPORT_WEIGHTS["json"], "export_weights", "json")
    _add_file_action(window, export_menu, "NumPy (.npz)…", EXPORT_WEIGHTS["npz"], "export_weights", "npz")
    torch_export = _add_file_action(
        window, export_menu, "PyTorch state_dict (.pt)…", EXPORT_WEIGHTS["torch"], "export_weights", "torch"
    )
    available, why = weights_io.torch_available()
    if not available:
        torch_export.setEnabled(False)
        torch_export.setText(f"PyTorch state_dict (.pt): off, {why}")
    window.torch_export_action = torch_export
    _add_file_action(window, file_menu, "Import weights…", IMPORT_WEIGHTS, "import_weights")
    file_menu.addSeparator()
    _add_file_action(window, file_menu, "Export loss history CSV…", EXPORT_LOSS_CSV, "export_loss_csv")
    _add_file_action(window, file_menu, "Export loss plot PNG…", EXPORT_LOSS_PNG, "export_loss_png")
    _add_file_action(window, file_menu, "Export computation graph SVG…", EXPORT_GRAPH, "export_graph")
    file_menu.addSeparator()
    add_action(window, file_menu, "&Quit", window.close, QKeySequence.Quit)


def _build_examples_menu(window, menu: QMenu) -> None:
    """The shipped example sessions by title, in sections (lessons, worked examples); hover says more."""
    menu.setToolTipsVisible(True)
    group = None
    for example in window.examples:
        if example.group != group:
            group = example.group
            menu.addSection(group)
        action = add_action(window, menu, example.title, weakly(window.open_example, example.file_name))
        action.setToolTip(example.description)
        action.setStatusTip(example.description)
    if menu.isEmpty():
        menu.addAction("No examples found in this installation").setEnabled(False)
