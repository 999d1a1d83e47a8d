"""A desktop app's furniture: the icon on the app and its window, and the Linux desktop entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor

from gui import desktop_entry
from gui.app import FRAME_ALLOWANCE, make_window
from gui.resources import app_icon, icon_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_identity(qapp):
    """Restore the app's icon and desktop-file name that make_window sets."""
    icon, name = qapp.windowIcon(), qapp.desktopFileName()
    yield qapp
    qapp.setWindowIcon(icon)
    qapp.setDesktopFileName(name)


def test_the_icon_is_drawn_at_every_size_a_desktop_asks_for(qapp):
    icon = app_icon()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= sizes
    for size in (16, 48, 256):
        image = icon.pixmap(QSize(size, size)).toImage()
        assert image.width() == size
        assert image.pixelColor(0, 0).alpha() == 0  # a rounded tile: the corners are clear
        middle = image.pixelColor(size // 2, size // 2)
        assert middle.alpha() == 255 and middle != QColor("white")  # the drawing, not a blank


def test_the_app_and_its_window_carry_the_icon_and_fit_the_screen(app_identity, qtbot):
    window = make_window(app_identity)
    qtbot.addWidget(window)
    try:
        assert not app_identity.windowIcon().isNull()
        assert app_identity.desktopFileName() == desktop_entry.APP_ID
        assert window.windowIcon().cacheKey() == app_identity.windowIcon().cacheKey()
        available = window.screen().availableGeometry()
        assert window.height() + FRAME_ALLOWANCE[1] <= available.height()
    finally:
        window.controller.shutdown()


def test_a_session_given_on_the_command_line_is_shown(app_identity, qtbot):
    from engine.lessons import moons_demo

    session = moons_demo(steps=42)
    window = make_window(app_identity, session, "demo.json")
    qtbot.addWidget(window)
    try:
        assert window.current_session().training.steps == 42
        assert window.last_error == ""
    finally:
        window.controller.shutdown()


# ---------------------------------------------------------------- the desktop entry


def entry_fields(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def test_install_writes_the_entry_and_its_icon_for_this_user(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    executable = "/home/ada/micrograd studio/.venv/bin/micrograd-studio"
    icon, entry = desktop_entry.install(executable)
    assert entry == tmp_path / "applications" / "micrograd-studio.desktop"
    assert icon == tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "micrograd-studio.svg"
    assert icon.read_bytes() == icon_bytes()
    fields = entry_fields(entry)
    assert fields["Type"] == "Application" and fields["Name"] == "micrograd-studio"
    assert fields["Exec"] == f'"{executable}" %f'  # a path with a space stays one argument
    assert fields["Icon"] == str(icon)
    assert fields["StartupWMClass"] == desktop_entry.APP_ID
    assert fields["Categories"].endswith(";")


def test_without_xdg_data_home_the_entry_goes_to_local_share(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop_entry.data_home() == tmp_path / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec says: ignore a relative one
    assert desktop_entry.data_home() == tmp_path / ".local" / "share"


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/opt/app/bin/run", '"/opt/app/bin/run"'),
        ("/a b/run", '"/a b/run"'),
        ("/100%/run", '"/100%%/run"'),
        ('/x"y/$HOME/`z`/back\\slash', r'"/x\\"y/\\$HOME/\\`z\\`/back\\\\slash"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says(argument, quoted):
    assert desktop_entry.quote_exec_argument(argument) == quoted


def test_remove_deletes_what_install_wrote(tmp_path):
    icon, entry = desktop_entry.install("/usr/bin/true", tmp_path)
    assert desktop_entry.remove(tmp_path) == [entry, icon]
    assert not entry.exists() and not icon.exists()
    assert desktop_entry.remove(tmp_path) == []


def test_the_command_refuses_a_program_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        desktop_entry.main(["--exec", str(tmp_path / "missing")])
    assert stopped.value.code == 2 and "is not a program" in capsys.readouterr().err
    assert not (tmp_path / "applications").exists()


def run_dev_sh(*args: str, data_home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(ROOT / "dev.sh"), *args], capture_output=True, text=True, env=env)


def test_dev_sh_offers_the_desktop_entry_and_takes_it_out_again(tmp_path):
    usage = run_dev_sh(data_home=tmp_path)
    assert "install-desktop" in usage.stdout and "uninstall-desktop" in usage.stdout
    assert "-m gui.desktop_entry --exec" in (ROOT / "dev.sh").read_text()
    desktop_entry.install("/usr/bin/true", tmp_path)
    removed = run_dev_sh("uninstall-desktop", data_home=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert not (tmp_path / "applications" / "micrograd-studio.desktop").exists()


def test_the_entry_passes_desktop_file_validate(tmp_path):
    validate = shutil.which("desktop-file-validate")  # from desktop-file-utils, where installed
    if validate is None:
        pytest.skip("desktop-file-validate is not installed")
    _icon, entry = desktop_entry.install("/home/a b/100%/micrograd-studio", tmp_path)
    checked = subprocess.run([validate, str(entry)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout + checked.stderr


def test_taking_the_entry_out_needs_only_the_standard_library(tmp_path):
    """./dev.sh uninstall-desktop runs before (or without) the install: no engine, no Qt."""
    code = (
        "import sys; from gui import desktop_entry; desktop_entry.remove(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('engine', 'PySide6', 'numpy')))"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"
