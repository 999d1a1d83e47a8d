"""Number fields that never change what was typed behind the user's back, and file errors in words.

Qt's spin boxes drop keystrokes they cannot use (the "-" of "-0.5" in a field that starts
above 0), bring a number outside their range to its nearest end, and round to their
decimals: the field then shows, and the program uses, a number nobody typed. The spin
boxes here take any text while it is typed and say what is wrong with it (`problem`);
on Enter or leaving the field, text they cannot use gives way to the last good value
and they say so (`notice`). What such a field shows is always what is used.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from gui.widgets.style import ERROR_BACKGROUND, ERROR_COLOR, smaller_font

_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")
_DECIMAL = re.compile(r"[+-]?([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][+-]?[0-9]{1,4})?")


def parse_whole(text: str) -> int | None:
    """A whole number typed in ASCII digits ("12", "+3"), or None."""
    text = text.strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def parse_decimal(text: str) -> float | None:
    """A finite number typed with "." or "," as the decimal point ("0.05", "0,05", "1e-3"), or None."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def plain_decimal(value: float) -> str:
    """The shortest digits that give back `value`, without an exponent: 1e-05 is "0.00001"."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Checked:
    """What both spin boxes share: a name for messages, the live problem and the last notice.

    Mixed into a QSpinBox or QDoubleSpinBox, which supply `minimum()`, `lineEdit()` and the rest;
    the concrete classes declare the `checked` signal.
    """

    checked: Signal  # the problem or the notice changed
    KIND: str  # what the field takes, for messages: "a whole number"

    def _init_checks(self, name: str, low: float, high: float) -> None:
        self.setRange(low, high)
        self.field_name = name
        self.problem = ""  # what is wrong with the text being typed; "" when it can be used
        self.notice = ""  # what happened to the last text that could not be used
        # Qt sets the text of its line edit with signals blocked (on a new value, on Enter): so
        # watch the typing, the value, and each commit, and look at the text again after each.
        self.lineEdit().textChanged.connect(lambda _text: self.refresh_check())
        self.valueChanged.connect(lambda _value: self.refresh_check())

    # ---- what subclasses say about numbers

    @staticmethod
    def _parse(text: str) -> float | int | None:
        raise NotImplementedError

    def _show(self, value: float) -> str:
        return self.textFromValue(value)

    def _fits(self, value: float) -> bool:
        """Whether the field can hold `value` (in range) exactly."""
        return self.minimum() <= value <= self.maximum()

    def _too_precise(self) -> str:
        return self.allowed()

    # ---- checks

    def allowed(self) -> str:
        """The rule, as a sentence: "Steps must be a whole number from 1 to 100000"."""
        low = self._show(self.minimum())
        if self.specialValueText():
            low += f" ({self.specialValueText()})"
        return f"{self.field_name} must be {self.KIND} from {low} to {self._show(self.maximum())}"

    def problem_with_text(self, text: str) -> str:
        """Why `text` cannot be used, or "" if it can."""
        if self.specialValueText() and text.strip() == self.specialValueText():
            return ""
        value = self._parse(text)
        if value is None or not self.minimum() <= value <= self.maximum():
            return self.allowed()
        return "" if self._fits(value) else self._too_precise()

    def problem_with_value(self, value: object) -> str:
        """Why `value` (from a file, say) cannot be shown exactly, or "" if it can."""
        ok_type = isinstance(value, int) if isinstance(self, QSpinBox) else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or (isinstance(value, float) and not math.isfinite(value)):
            return f"{self.allowed()}, not {_written(value)}"
        if not self.minimum() <= value <= self.maximum():
            return f"{self.allowed()}, not {_written(value)}"
        return "" if self._fits(value) else f"{self._too_precise()}, not {_written(value)}"

    def refresh_check(self, notice: str = "") -> None:
        """Look at the text again (call after setting a value with signals blocked); `notice` replaces the last."""
        problem = self.problem_with_text(self.lineEdit().text())
        if (problem, notice) == (self.problem, self.notice):
            return
        self.problem, self.notice = problem, notice
        self.lineEdit().setStyleSheet(f"background: {ERROR_BACKGROUND};" if problem else "")
        self.checked.emit()

    def commit(self) -> None:
        """Use the typed text now (as Enter does), so that a click on Train trains with it."""
        self._committing(self.interpretText)

    # ---- Qt overrides

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        # never Invalid: a refused keystroke silently changes what the user typed
        state = QValidator.State.Intermediate if self.problem_with_text(text) else QValidator.State.Acceptable
        return state, text, pos

    def fixup(self, text: str) -> str:
        return text  # no clamping or rounding: text that cannot be used is refused, visibly

    def valueFromText(self, text: str) -> float:
        if self.specialValueText() and text.strip() == self.specialValueText():
            return self.minimum()
        value = self._parse(text)
        return self.value() if value is None else value

    def stepBy(self, steps: int) -> None:
        super().stepBy(steps)
        self.refresh_check()  # an arrow replaces text that could not be used, maybe by the same value

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._committing(lambda: super(_Checked, self).keyPressEvent(event))
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._committing(lambda: super(_Checked, self).focusOutEvent(event))

    # ---- helpers

    def _committing(self, commit) -> None:
        """Run Qt's commit (which puts the last good value back if the text is no good) and say so."""
        typed = self.lineEdit().text()
        problem = self.problem_with_text(typed)
        commit()
        typed = typed.strip() if len(typed.strip()) <= 24 else f"{typed.strip()[:20]}…"  # a paste can be long
        # the problem starts with the field's name as its label shows it ("Adam ε must be…"): kept as it is
        notice = f"Kept {self.text()}: {problem}, not “{typed}”." if problem else ""
        self.refresh_check(notice or self.notice)


class WholeSpinBox(_Checked, QSpinBox):
    """A QSpinBox for whole numbers that marks text it cannot use instead of altering it."""

    checked = Signal()
    KIND = "a whole number"
    _parse = staticmethod(parse_whole)

    def __init__(self, name: str, low: int, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_checks(name, low, high)


class DecimalSpinBox(_Checked, QDoubleSpinBox):
    """A QDoubleSpinBox that shows 0.05 (not 0.05000), accepts "1e-3" or "0,05", and never rounds.

    A number with more decimals than the field keeps is refused, not rounded.
    """

    checked = Signal()
    KIND = "a number"
    _parse = staticmethod(parse_decimal)

    def __init__(
        self, name: str, low: float, high: float, decimals: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setDecimals(decimals)  # before the range, which Qt rounds to the decimals
        self._init_checks(name, low, high)

    def _fits(self, value: float) -> bool:
        kept = float(f"{value:.{self.decimals()}f}")  # what QDoubleSpinBox would store
        return super()._fits(value) and kept == value

    def _too_precise(self) -> str:
        return f"{self.field_name} keeps at most {self.decimals()} decimals"

    def textFromValue(self, value: float) -> str:
        return plain_decimal(value)


def _written(value: object) -> str:
    """A value from a file, as a message quotes it (a 5000-digit number is not quoted whole)."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and abs(value).bit_length() > 64:
        return "a number that large"
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}…"


def message_label() -> QLabel:
    """A small red label for what is wrong with a field, hidden while nothing is."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.setFont(smaller_font(label))
    label.hide()
    return label


def show_field_message(label: QLabel, fields: list[_Checked]) -> None:
    """Show in `label` the first live problem of `fields`, else their first notice, else nothing."""
    text = next((f.problem for f in fields if f.problem), "") or next(
        (f.notice for f in fields if f.notice), ""
    )
    label.setText(text)
    label.setVisible(bool(text))


def with_message(field: _Checked) -> tuple[QWidget, QLabel]:
    """`field` with its message label under it, as one widget for a form row."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    label = message_label()
    column.addWidget(field)
    column.addWidget(label)
    field.checked.connect(lambda: show_field_message(label, [field]))
    return box, label


def describe_file_error(exc: BaseException) -> str:
    """Why a file could not be read or written, in words about the file, not about Python."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or "the system refused"
        return reason[:1].lower() + reason[1:]
    if isinstance(exc, UnicodeError):
        return "it is not text in UTF-8"
    if isinstance(exc, MemoryError):
        return "it is too large to load"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, OverflowError):
        return "it holds a number too large to use"
    if type(exc).__module__.startswith(("engine", "gui")) and str(exc):
        return str(exc)  # our own errors are written for the user
    return "its contents are not what this app can read"
