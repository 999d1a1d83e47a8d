"""The `micrograd-studio` command: the desktop app, or headless training with `train`."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QApplication, QWidget

    from engine.session import Session
    from gui.window.main_window import MainWindow

DESCRIPTION = """\
micrograd-studio: build a tiny neural network, train it live on a scalar
autograd engine, and look inside every number while it learns.

  micrograd-studio                  open the app with the lecture's example
  micrograd-studio SESSION.json     open a saved session
  micrograd-studio train --help     train without a window and write a weights file
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "train":
        from engine.cli import train_main

        return train_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="micrograd-studio", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("session", nargs="?", help="a session file (.json) to open")
    args = parser.parse_args(argv)
    session = None
    if args.session:
        # Read before any window exists: a bad file is refused with a message and a clean exit
        from engine.session import SessionError, load_session

        try:
            session = load_session(args.session)
        except SessionError as exc:
            parser.exit(2, f"micrograd-studio: could not open the session {args.session}: {exc}\n")
    return run_app(session, Path(args.session).name if args.session else "")


def configure_runtime() -> None:
    """Interpreter and library settings the window needs to stay live while it trains.

    Call before NumPy is imported (benchmarks and scripts call it too, to measure
    the app as it runs).
    """
    # A training thread holds the GIL; every Qt call from the GUI thread gives it
    # up and then waits for the switch interval to get it back. At the default
    # 5 ms a plot redraw (hundreds of calls) froze the window for seconds; at
    # 0.2 ms the window stays live and training keeps most of its speed.
    sys.setswitchinterval(2e-4)
    # NumPy's arrays here are small; a BLAS thread pool only spins on the cores
    # the GUI and training threads need (measured: 76-81% of headless training
    # speed in the window with it, 81-87% without).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def run_app(session: Session | None = None, file_name: str = "") -> int:
    """Show the window (with `session`, read from `file_name`, if given) until it closes."""
    configure_runtime()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = make_window(app, session, file_name)
    _close_on_ctrl_c(window)
    window.show()
    window.controller.warm_up()  # Python's start-up happens now, not when Train is pressed
    freeze_startup_objects()
    return app.exec()


def make_window(app: QApplication, session: Session | None = None, file_name: str = "") -> MainWindow:
    """The app's window, with its icon, sized to its screen, showing `session` if given (not shown yet)."""
    from gui.window.main_window import MainWindow

    app.setApplicationName("micrograd-studio")
    set_app_identity(app)
    window = MainWindow()
    window.setWindowIcon(app.windowIcon())
    fit_to_screen(window)
    if session is not None:
        window.apply_session(session, f"saved run ({file_name})" if file_name else "saved run")
    return window


# What a window manager adds around the window (title bar, borders), which Qt learns only
# once the window is shown: room is kept for it so the whole frame fits the screen.
FRAME_ALLOWANCE = (16, 48)


def fitted_size(size: tuple[int, int], available: tuple[int, int]) -> tuple[int, int]:
    """`size` (width, height), shrunk where it and its frame would not fit the screen's free area.

    >>> fitted_size((1280, 820), (1920, 1050))
    (1280, 820)
    >>> fitted_size((1280, 820), (1366, 741))  # 1366x768 with a 27 px panel
    (1280, 693)
    """
    return (
        min(size[0], available[0] - FRAME_ALLOWANCE[0]),
        min(size[1], available[1] - FRAME_ALLOWANCE[1]),
    )


def fit_to_screen(window: QWidget, available: QRect | None = None) -> None:
    """Size `window` down to fit `available` (a QRect; the free area of its screen by default), and
    place it inside: on a 1366x768 laptop the default 1280x820 window would hang off the bottom."""
    if available is None:
        available = window.screen().availableGeometry()
    width, height = fitted_size((window.width(), window.height()), (available.width(), available.height()))
    window.resize(width, height)
    left = available.x() + max(0, (available.width() - width - FRAME_ALLOWANCE[0]) // 2)
    top = available.y() + max(0, (available.height() - height - FRAME_ALLOWANCE[1]) // 2)
    window.move(left, top)


def set_app_identity(app: QApplication) -> None:
    """The icon and desktop-file name the window manager shows for the app (title bar, taskbar, dock)."""
    from gui.desktop_entry import APP_ID
    from gui.resources import app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)  # Wayland matches the window to its .desktop entry by it


def freeze_startup_objects() -> None:
    """Leave the objects made so far (Qt's wrappers, matplotlib, the window: about 100,000) out
    of Python's cycle collector: its full collections walked them all, 50-80 ms on the GUI
    thread each, dozens of times a session. What the window makes later is still collected.
    Benchmarks call this after building their window, as the app does."""
    gc.collect()
    gc.freeze()


def _close_on_ctrl_c(window) -> None:
    """Ctrl+C in the terminal closes the window as its close button would (training stops, files close)."""
    from PySide6.QtCore import QTimer

    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    # Python runs a signal handler only when the interpreter gets control; Qt's
    # event loop runs in C++, so a timer lets Python look a few times a second.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(200)


if __name__ == "__main__":
    sys.exit(main())
