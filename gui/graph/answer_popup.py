"""The answer box of backprop by hand: a small bubble on the canvas, pointing at the node it asks about.

It is a child of the canvas's viewport, placed just below (or above) the node's record
with a notch pointing at it, and follows the node as the view zooms and scrolls
(`ExerciseMode` moves it). Typing goes straight to its field: the canvas's own keys
(zoom, arrows) do not see it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QVBoxLayout

from gui.widgets.style import ERROR_COLOR

NOTCH = 10  # the height of the notch pointing at the node
WIDTH = 300
BORDER = "#1f5fbf"  # the colour of the asked node's outline in the graph, too
BACKGROUND = "#f4f8ff"


class AnswerPopup(QFrame):
    """“grad of a·b = [    ] Check · Reveal”, a hint below after a wrong answer; a notch to the node."""

    submitted = Signal(str)  # the text typed, on Return or Check
    reveal_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent):
        super().__init__(parent)
        self.setFixedWidth(WIDTH)
        self.setAutoFillBackground(False)
        # a click on the box is the box's: passed on to the canvas, it would pick the node drawn under it
        self.setAttribute(Qt.WidgetAttribute.WA_NoMousePropagation)
        self.below = True  # placed below its node (the notch on top), else above (notch at the bottom)
        self.notch_x = WIDTH / 2
        self.question_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self.question_label.setStyleSheet("font-weight: bold;")
        self.answer_edit = QLineEdit(placeholderText="its grad")
        self.answer_edit.setToolTip("A number, or arithmetic on numbers: 1 - 0.7**2, -2*3")
        self.answer_edit.returnPressed.connect(self._submit)
        self.check_button = QPushButton("Check", autoDefault=False, clicked=self._submit)
        self.reveal_button = QPushButton(
            "Reveal", autoDefault=False, toolTip="Show this grad (it counts as done, not as scored)"
        )
        self.reveal_button.clicked.connect(self.reveal_requested)
        self.close_button = QToolButton(text="✕", toolTip="Close (Esc)", autoRaise=True)
        self.close_button.clicked.connect(self.close_requested)
        self.hint_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText, visible=False)
        self.hint_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.question_label, 1)
        top.addWidget(self.close_button)
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget in (self.answer_edit, self.check_button, self.reveal_button):
            row.addWidget(widget, 1 if widget is self.answer_edit else 0)
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(4)
        self._layout.addLayout(top)
        self._layout.addLayout(row)
        self._layout.addWidget(self.hint_label)
        self._set_margins()

    # ---- what it asks

    def ask(self, question: str) -> None:
        """Ask for a grad: `question` on top, an empty field with the keyboard focus."""
        self.question_label.setText(question)
        self.answer_edit.clear()
        self.answer_edit.setVisible(True)
        self.check_button.setVisible(True)
        self.reveal_button.setVisible(True)
        self.show_hint("")

    def tell(self, title: str, text: str) -> None:
        """Nothing to answer here (not yet, or done): `title`, and why."""
        self.question_label.setText(title)
        for widget in (self.answer_edit, self.check_button, self.reveal_button):
            widget.setVisible(False)
        self.hint_label.setStyleSheet("color: #444444;")
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))
        self.adjustSize()

    def show_hint(self, text: str) -> None:
        """A wrong answer's hint under the field (the field's text selected, to type over)."""
        self.hint_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))
        self.answer_edit.selectAll()
        self.adjustSize()

    @property
    def asking(self) -> bool:
        return self.isVisible() and self.answer_edit.isVisible()

    def _submit(self) -> None:
        self.submitted.emit(self.answer_edit.text())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_requested.emit()
            return
        super().keyPressEvent(event)

    # ---- where it goes

    def place(self, node: QRect, area: QRect) -> None:
        """Beside the node's record `node` (in the parent's coordinates), inside `area`: below it if
        there is room, else above; the notch points at the record's middle."""
        self.adjustSize()
        height = self.height()
        self.below = node.bottom() + height <= area.bottom() or node.top() - height < area.top()
        self._set_margins()
        self.adjustSize()
        height = self.height()
        x = min(max(node.center().x() - WIDTH // 2, area.left()), max(area.right() - WIDTH, area.left()))
        y = node.bottom() + 1 if self.below else node.top() - height
        y = min(max(y, area.top()), max(area.bottom() - height, area.top()))
        notch_x = min(max(node.center().x() - x, 14), WIDTH - 14)
        if (
            notch_x != self.notch_x
        ):  # only on a change: a repaint here repaints the canvas, which places it again
            self.notch_x = notch_x
            self.update()
        if self.pos().x() != x or self.pos().y() != y:
            self.move(x, y)

    def _set_margins(self) -> None:
        top, bottom = (NOTCH + 8, 8) if self.below else (8, NOTCH + 8)
        self._layout.setContentsMargins(10, top, 10, bottom)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A rounded bubble with a notch towards the node: the field belongs to that node."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width() - 1.0, self.height() - 1.0
        body = (
            QRectF(0.5, NOTCH + 0.5, w - 1, h - NOTCH - 1)
            if self.below
            else QRectF(0.5, 0.5, w - 1, h - NOTCH)
        )
        path = QPainterPath()
        path.addRoundedRect(body, 6, 6)
        notch = QPainterPath()
        x = self.notch_x
        if self.below:
            notch.moveTo(QPointF(x - NOTCH, body.top() + 1))
            notch.lineTo(QPointF(x, 0.5))
            notch.lineTo(QPointF(x + NOTCH, body.top() + 1))
        else:
            notch.moveTo(QPointF(x - NOTCH, body.bottom() - 1))
            notch.lineTo(QPointF(x, h))
            notch.lineTo(QPointF(x + NOTCH, body.bottom() - 1))
        notch.closeSubpath()
        path = path.united(notch)
        painter.setPen(QPen(QColor(BORDER), 2))
        painter.setBrush(QColor(BACKGROUND))
        painter.drawPath(path)
