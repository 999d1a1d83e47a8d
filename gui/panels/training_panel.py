"""The Training panel: gradient descent's settings, and Train / Pause / Step / Reset.

It edits a `TrainSettings` and asks for actions by signal; the main window owns
the worker and tells the panel which state training is in (`set_state`).

The panel is in two parts. `controls` holds what a learner reaches for while a run
goes on: the learning rate (with its finder), the zero_grad switch and its warning,
the buttons and the progress bar; a window pins it where it is always in sight. The
panel itself keeps the other settings (steps, batch, loss, L2, optimizer, decay, compiled),
which may scroll.
"""

from __future__ import annotations

import math
from contextlib import ExitStack

from PySide6.QtCore import QSignalBlocker, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from engine.losses import ALL_LOSSES
from engine.settings import (
    BATCH_SIZE_RANGE,
    L2_RANGE,
    LEARNING_RATE_RANGE,
    STEPS_RANGE,
    TRAIN_SEED_RANGE,
    TrainSettings,
)
from engine.tasks import LOSSES_FOR_TASK
from gui.panels.input_checks import DecimalSpinBox, WholeSpinBox, with_message
from gui.panels.loss_guess import LossGuess
from gui.panels.optimizer_fields import OptimizerFields
from gui.panels.training_tips import (
    BATCH_TIP,
    COMPILED_TIP,
    DECAY_TIP,
    L2_TIP,
    LEARNING_RATE_TIP,
    LOSS_NAMES,
    LOSS_TIP,
    STEPS_TIP,
    ZERO_GRAD_TIP,
    summed_loss_warning,
)
from gui.processes.train_worker import STATES
from gui.widgets.run_status import saved_run_line
from gui.widgets.style import HINT_COLOR, WARNING_COLOR, smaller_font

# 10 steps per decade, ×~1.26 each: the Renard R10 series, rounded to read well.
_LOG_GRID = (1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0)
# The fields show exactly the ranges the engine accepts (a session outside them is refused on load).
MIN_LEARNING_RATE, MAX_LEARNING_RATE = LEARNING_RATE_RANGE
LEARNING_RATE_DECIMALS = 10
MAX_STEPS = STEPS_RANGE[1]
MAX_BATCH = BATCH_SIZE_RANGE[1]
MAX_L2, L2_DECIMALS = L2_RANGE[1], 10


class LogSpinBox(DecimalSpinBox):
    """The learning rate: arrows and the wheel step ×~1.26 (10 steps per decade) through round values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Learning rate", MIN_LEARNING_RATE, MAX_LEARNING_RATE, LEARNING_RATE_DECIMALS, parent
        )

    def stepBy(self, steps: int) -> None:
        value = self.value()
        index = _grid_index_at_or_below(value)
        if steps < 0 and not math.isclose(_grid_value(index), value, rel_tol=1e-6):
            index += 1  # between two grid values, one step down lands on the lower one
        direction = 1 if steps > 0 else -1
        bound = self.maximum() if steps > 0 else self.minimum()
        index += steps
        # Should rounding to the field's decimals merge two grid values, go on to one that differs.
        while True:
            target = min(max(round(_grid_value(index), self.decimals()), self.minimum()), self.maximum())
            if target != value or target == bound:
                break
            index += direction
        self.setValue(target)
        self.refresh_check()  # at an end of the range the value, and so no signal, may not change


class TrainingPanel(QWidget):
    """Edits `TrainSettings` and holds the Train / Pause / Step / Reset buttons."""

    settings_changed = Signal(object)  # TrainSettings
    train_requested = Signal()
    pause_requested = Signal()
    step_requested = Signal()
    reset_requested = Signal()
    rate_search_requested = Signal()  # the learning-rate finder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TrainSettings()
        self._seed = defaults.seed  # mini-batch seed: no widget, kept through set_settings
        self._state = "idle"
        self._saved_run = False  # idle with an opened session's run to go on with
        self._progress = (0, defaults.steps)  # the step shown and the steps of the run
        self._train_allowed = True
        self._train_blocked_reason = ""

        self.learning_rate_spin = LogSpinBox()
        self.learning_rate_spin.setToolTip(LEARNING_RATE_TIP)
        self.find_rate_button = QPushButton("Find…")
        self.find_rate_button.setToolTip(
            "Learning-rate finder: train a copy of the model for a few dozen steps with the rate rising, "
            "plot loss against rate and suggest one (your model is not changed)"
        )
        self.decay_check = QCheckBox("Decay the learning rate linearly to 10%")
        self.decay_check.setToolTip(DECAY_TIP)
        self.steps_spin = WholeSpinBox("Steps", STEPS_RANGE[0], MAX_STEPS)
        self.steps_spin.setToolTip(STEPS_TIP)
        self.batch_spin = WholeSpinBox("Batch size", 0, MAX_BATCH)
        self.batch_spin.setSpecialValueText("full batch")
        self.batch_spin.setToolTip(BATCH_TIP)
        self.loss_combo = QComboBox()
        self._task = ""  # the kind of problem whose losses the combo offers
        self._fill_losses("binary")
        self.loss_combo.setToolTip(LOSS_TIP)
        self.l2_spin = DecimalSpinBox("L2 strength", L2_RANGE[0], MAX_L2, L2_DECIMALS)
        self.l2_spin.setSingleStep(1e-4)
        self.l2_spin.setSpecialValueText("off")
        self.l2_spin.setToolTip(L2_TIP)
        self.zero_grad_check = QCheckBox("zero_grad before backward")
        self.zero_grad_check.setToolTip(ZERO_GRAD_TIP)
        self.zero_grad_warning = QLabel("⚠ Gradients will accumulate across steps")
        self.zero_grad_warning.setStyleSheet(f"color: {WARNING_COLOR};")
        self.zero_grad_warning.setFont(smaller_font(self.zero_grad_warning))
        self.zero_grad_warning.setToolTip(ZERO_GRAD_TIP)
        self.zero_grad_warning.setWordWrap(True)
        # the lecture's summed squared error grows with the samples: its 0.05 overshoots on moons
        self._samples = 4
        self.rate_warning = QLabel()
        self.rate_warning.setStyleSheet(f"color: {WARNING_COLOR};")
        self.rate_warning.setFont(smaller_font(self.rate_warning))
        self.rate_warning.setWordWrap(True)
        self.rate_warning.hide()
        self.compiled_check = QCheckBox("Compiled (vectorised with NumPy)")
        self.compiled_check.setToolTip(COMPILED_TIP)
        self.optimizer_fields = OptimizerFields()  # the optimizer and its hyper-parameters
        own_fields = (self.learning_rate_spin, self.steps_spin, self.batch_spin, self.l2_spin)
        self.number_fields = (*own_fields, *self.optimizer_fields.spins.values())
        for spin in self.number_fields:
            # typing "1000" must not train with 1, 10 and 100 steps on the way
            spin.setKeyboardTracking(False)
            spin.checked.connect(self._refresh_buttons)  # text that cannot be used blocks Train
        fields = {spin: with_message(spin) for spin in own_fields}
        self.field_messages = {spin: label for spin, (_box, label) in fields.items()}
        self.field_messages.update(self.optimizer_fields.field_messages)

        style = self.style()
        self.train_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.pause_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.step_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward), "Step")
        self.reset_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "Reset")
        self.pause_button.setToolTip("Pause after the current step (Space)")
        self.reset_button.setToolTip(
            "Start over: fresh weights from the model's seed, empty loss curve (Ctrl+R)"
        )
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet(f"color: {HINT_COLOR};")
        self.hint_label.setFont(smaller_font(self.hint_label))
        self.hint_label.hide()

        self._lay_out(fields)

        self.set_settings(defaults)
        self.set_progress(0, defaults.steps)
        self.set_state("idle")

        self.learning_rate_spin.valueChanged.connect(self._on_user_change)
        self.find_rate_button.clicked.connect(self.rate_search_requested)
        self.decay_check.toggled.connect(self._on_user_change)
        self.steps_spin.valueChanged.connect(self._on_user_change)
        self.batch_spin.valueChanged.connect(self._on_user_change)
        self.loss_combo.currentIndexChanged.connect(self._on_user_change)
        self.l2_spin.valueChanged.connect(self._on_user_change)
        self.zero_grad_check.toggled.connect(self._on_user_change)
        self.compiled_check.toggled.connect(self._on_user_change)
        self.optimizer_fields.changed.connect(self._on_user_change)
        self.train_button.clicked.connect(lambda: self._request_with_typed_values(self.train_requested))
        self.pause_button.clicked.connect(self.pause_requested)
        self.step_button.clicked.connect(lambda: self._request_with_typed_values(self.step_requested))
        self.reset_button.clicked.connect(self.reset_requested)

    def _lay_out(self, fields: dict) -> None:
        """`controls`: the key fields, buttons and progress (pinned by the window); the panel: the rest."""
        key_fields = _form()
        rate_row = QHBoxLayout()
        rate_row.setContentsMargins(0, 0, 0, 0)
        rate_row.addWidget(fields[self.learning_rate_spin][0], 1)
        rate_row.addWidget(self.find_rate_button, 0, Qt.AlignmentFlag.AlignTop)
        key_fields.addRow(_label("Learning rate", LEARNING_RATE_TIP), rate_row)
        key_fields.addRow(self.rate_warning)
        key_fields.addRow(self.zero_grad_check)
        key_fields.addRow(self.zero_grad_warning)
        buttons = QGridLayout()  # two by two: four in a row do not fit a 330 px column with "Resume"
        buttons.setSpacing(4)
        buttons.addWidget(self.train_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.reset_button, 1, 1)
        self.controls = QWidget()
        controls_layout = QVBoxLayout(self.controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.setSpacing(4)
        controls_layout.addLayout(key_fields)
        controls_layout.addLayout(buttons)
        controls_layout.addWidget(self.progress_bar)
        self.loss_guess = LossGuess()  # predict, then see: will Step lower the loss?
        controls_layout.addWidget(self.loss_guess)
        controls_layout.addWidget(self.hint_label)

        options = _form()
        options.addRow(_label("Steps", STEPS_TIP), fields[self.steps_spin][0])
        options.addRow(_label("Batch size", BATCH_TIP), fields[self.batch_spin][0])
        options.addRow(_label("Loss", LOSS_TIP), self.loss_combo)
        options.addRow(_label("L2 strength", L2_TIP), fields[self.l2_spin][0])
        options.addRow(self.optimizer_fields)
        options.addRow(self.decay_check)
        options.addRow(self.compiled_check)
        _align_labels(options, self.optimizer_fields.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.controls)  # a window may take it out, to pin it
        layout.addLayout(options)

    # ---- public API

    def settings(self) -> TrainSettings:
        return TrainSettings(
            learning_rate=self.learning_rate_spin.value(),
            decay=self.decay_check.isChecked(),
            steps=self.steps_spin.value(),
            batch_size=self.batch_spin.value(),
            loss=self.loss_combo.currentData(),
            l2=self.l2_spin.value(),
            zero_grad=self.zero_grad_check.isChecked(),
            seed=self._seed,
            compiled=self.compiled_check.isChecked(),
            **self.optimizer_fields.values(),
        )

    def settings_problem(self, s: TrainSettings) -> str:
        """Why the fields cannot show `s` exactly (a value outside a field's range, say), or ""."""
        checks = (
            (self.learning_rate_spin, s.learning_rate),
            (self.steps_spin, s.steps),
            (self.batch_spin, s.batch_size),
            (self.l2_spin, s.l2),
        )
        for spin, value in checks:
            if problem := spin.problem_with_value(value):
                return problem
        if problem := self.optimizer_fields.problem(s):
            return problem
        if not isinstance(s.loss, str) or s.loss not in ALL_LOSSES:
            return f"Loss must be one of {', '.join(ALL_LOSSES)}, not {s.loss!r}"
        for name, value in (("Decay", s.decay), ("zero_grad", s.zero_grad), ("Compiled", s.compiled)):
            if not isinstance(value, bool):
                return f"{name} must be true or false, not {value!r}"
        low, high = TRAIN_SEED_RANGE
        if isinstance(s.seed, bool) or not isinstance(s.seed, int) or not low <= s.seed <= high:
            return f"The mini-batch seed must be a whole number from {low} to {high}, not {s.seed!r}"
        return ""

    def set_settings(self, s: TrainSettings) -> None:
        """Show `s` without emitting `settings_changed`.

        Raises ValueError, changing nothing, if a field cannot show its value exactly: what the
        panel shows is what training uses.
        """
        if problem := self.settings_problem(s):
            raise ValueError(problem)
        widgets = (self.decay_check, self.loss_combo, self.zero_grad_check, self.compiled_check)
        widgets += (self.optimizer_fields, self.optimizer_fields.combo)
        with ExitStack() as unblock_on_exit:  # signals come back even if a setter raises
            for w in (*self.number_fields, *widgets):
                unblock_on_exit.enter_context(QSignalBlocker(w))
            if self.loss_combo.findData(s.loss) < 0:  # a loss of another kind of problem: its choices
                self._fill_losses(next(task for task, losses in LOSSES_FOR_TASK.items() if s.loss in losses))
            self.learning_rate_spin.setValue(s.learning_rate)
            self.decay_check.setChecked(s.decay)
            self.steps_spin.setValue(s.steps)
            self.batch_spin.setValue(s.batch_size)
            self.loss_combo.setCurrentIndex(self.loss_combo.findData(s.loss))
            self.l2_spin.setValue(s.l2)
            self.zero_grad_check.setChecked(s.zero_grad)
            self.compiled_check.setChecked(s.compiled)
            self.optimizer_fields.set_values(s)
            self._seed = s.seed
        for spin in self.number_fields:
            spin.refresh_check()  # their signals were blocked: drop marks and notices of older text
        self._refresh_warning()

    def set_task(self, task: str) -> str:
        """Offer the losses that fit `task` (engine/tasks.py): for the same task the chosen one stays;
        another task starts from its own first loss (mse for regression: sse, the lecture's for its 4
        samples, grows with the sample count). Returns the loss now chosen; emits nothing."""
        if task == self._task:
            return self.loss_combo.currentData()
        with QSignalBlocker(self.loss_combo):
            self._fill_losses(task)
            self.loss_combo.setCurrentIndex(0)
        return self.loss_combo.currentData()

    def _fill_losses(self, task: str) -> None:
        self._task = task
        self.loss_combo.clear()
        for key in LOSSES_FOR_TASK[task]:
            description = ALL_LOSSES[key]
            self.loss_combo.addItem(LOSS_NAMES.get(key, description.capitalize()), key)
            self.loss_combo.setItemData(self.loss_combo.count() - 1, description, Qt.ItemDataRole.ToolTipRole)

    def set_state(self, state: str, saved_run: bool = False) -> None:
        """Enable the buttons that make sense in `state` (one of STATES).

        `saved_run`: an opened session's run is there to go on with (Train resumes it,
        Reset starts over), though nothing trains yet.
        """
        if state not in STATES:
            raise ValueError(f"unknown training state {state!r}; one of {', '.join(STATES)}")
        self._state, self._saved_run = state, saved_run
        self._refresh_buttons()

    def set_train_enabled(self, enabled: bool, reason: str = "") -> None:
        """Allow or forbid Train and Step whatever the state (e.g. while the model is invalid)."""
        self._train_allowed = enabled
        self._train_blocked_reason = "" if enabled else reason
        self._refresh_buttons()

    def set_progress(self, step: int, total: int) -> None:
        self._progress = (step, total)
        if self._saved_run:
            self._refresh_buttons()  # the line under them says the step and the total
        # QProgressBar.setValue repaints the bar at once, in this call (5-10 ms of the GUI thread
        # under X11, twice per Reset or Open): with updates off it is painted with the next paint
        bar = self.progress_bar
        bar.setUpdatesEnabled(False)
        try:
            bar.setRange(0, max(total, 1))
            bar.setValue(min(max(step, 0), max(total, 1)))
            bar.setFormat(f"step {step} / {total}")
        finally:
            bar.setUpdatesEnabled(True)  # which asks for that paint

    def train_blocked_reason(self) -> str:
        """Why Train and Step are off whatever the state (a field's text, the model), or ""."""
        field_problem = next((spin.problem for spin in self.number_fields if spin.problem), "")
        return field_problem or (
            "" if self._train_allowed else self._train_blocked_reason or "Training is off for now"
        )

    # ---- slots

    def _request_with_typed_values(self, request: SignalInstance) -> None:
        """Use text still being typed in a field before asking to train (a click may not take focus)."""
        for spin in self.number_fields:
            spin.commit()
        if not self.train_blocked_reason():
            request.emit()

    def _on_user_change(self) -> None:
        self._refresh_warning()
        settings = self.settings()
        try:
            settings.validate()
        except ValueError:
            return  # the fields' ranges rule this out; never pass unusable settings on
        self.settings_changed.emit(settings)

    # ---- helpers

    def _refresh_warning(self) -> None:
        self.zero_grad_warning.setVisible(not self.zero_grad_check.isChecked())
        batch = self.batch_spin.value()  # 0: full batch
        summed = min(batch, self._samples) if batch else self._samples
        warning = summed_loss_warning(self.loss_combo.currentData(), summed, self.learning_rate_spin.value())
        self.rate_warning.setText(warning)
        self.rate_warning.setVisible(bool(warning))

    def set_sample_count(self, samples: int) -> None:
        """The samples a step's loss sums over (the training part), for the learning rate's warning."""
        self._samples = samples
        self._refresh_warning()

    def _refresh_buttons(self) -> None:
        state = self._state
        blocked = self.train_blocked_reason()
        resumes = state == "paused" or (state == "idle" and self._saved_run)
        self.train_button.setText("Resume" if resumes else "Train")
        self.train_button.setEnabled(not blocked and state in ("idle", "paused"))
        self.step_button.setEnabled(not blocked and state in ("idle", "paused"))
        self.pause_button.setEnabled(state == "training")
        self.reset_button.setEnabled(resumes or state in ("training", "finished", "diverged"))

        train_tip = "Resume training (Space)" if resumes else "Run gradient descent for Steps steps (Space)"
        step_tip = "One step of gradient descent: forward, loss, backward, update (Ctrl+Right)"
        hint = ""
        if state == "idle" and self._saved_run:
            hint = saved_run_line(*self._progress)
        elif state == "finished":
            hint = "Finished. Raise Steps to continue, or Reset to start over."
            train_tip = f"{hint} (Space)"
        elif state == "diverged":
            hint = "Diverged. Reset, and try a smaller learning rate."
        if blocked:
            train_tip = step_tip = blocked
            if state in ("idle", "paused"):
                hint = blocked  # under the buttons, which stay in view when the field scrolls away
        self.train_button.setToolTip(train_tip)
        self.step_button.setToolTip(step_tip)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))


def _grid_value(index: int) -> float:
    return _LOG_GRID[index % 10] * 10.0 ** (index // 10)


def _grid_index_at_or_below(value: float) -> int:
    index = math.floor(math.log10(value) * 10)
    while _grid_value(index) > value * (1 + 1e-9):
        index -= 1
    while _grid_value(index + 1) <= value * (1 + 1e-9):
        index += 1
    return index


def _align_labels(*forms: QFormLayout) -> None:
    """One label column for forms shown one under the other (the optimizer's sits in the options')."""
    labels = [
        item.widget()
        for form in forms
        for row in range(form.rowCount())
        if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
        and item.widget() is not None
    ]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _label(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label
