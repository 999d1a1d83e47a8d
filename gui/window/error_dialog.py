"""Saying what went wrong: a dialog that shows the whole message and fits on the screen."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox

from gui.widgets.style import STATUS_READ_MS

MAX_ERROR_CHARS = 2000  # longer messages are cut (with "…") so that the dialog fits on the screen


def show_error_dialog(
    window: QMainWindow, title: str, message: str, action: tuple[str, Callable[[], None]] | None = None
) -> str:
    """Show `message` in a window-modal dialog (it does not block the event loop) and return it as shown.

    `action`: a second button beside OK, (its text, what it does), e.g. "Show in graph".

    The status bar keeps a copy while the dialog is up, shortened with "…" where it does not fit.
    """
    if len(message) > MAX_ERROR_CHARS:  # a hostile file must not make a dialog taller than the screen
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    bar = window.statusBar()
    room = max(bar.width() // 2, 200)  # the permanent labels on the right take the rest
    bar.showMessage(bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, room), STATUS_READ_MS)
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, breakable(message), QMessageBox.StandardButton.Ok, window
    )
    box.setTextFormat(Qt.TextFormat.PlainText)  # a file name like "<b>.json" is shown as it is
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WA_DeleteOnClose)
    if action is not None:
        text, run = action
        box.addButton(text, QMessageBox.ButtonRole.ActionRole).clicked.connect(run)
    box.open()
    return message


def breakable(message: str, longest: int = 60) -> str:
    """`message` with a zero-width space every `longest` characters of a word that long.

    A dialog wraps only between words: a long file name without spaces would be cut off.
    """
    words = re.split(r"(\s+)", message)
    return "".join(
        "\u200b".join(word[i : i + longest] for i in range(0, len(word), longest))
        if len(word) > longest
        else word
        for word in words
    )
