"""A Linux desktop entry for micrograd-studio: the app in the desktop's menu and launcher, with its icon.

    python -m gui.desktop_entry --exec /path/to/.venv/bin/micrograd-studio    (./dev.sh install-desktop)
    python -m gui.desktop_entry --remove                                      (./dev.sh uninstall-desktop)

Writes the icon to $XDG_DATA_HOME/icons/hicolor/scalable/apps/ and the entry to
$XDG_DATA_HOME/applications/ ($XDG_DATA_HOME is ~/.local/share unless set), for this user
only: no root needed. Qt-free, so it runs without a display.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

APP_ID = "micrograd-studio"  # the entry's file name, and the window's class (see gui/app.py)
ENTRY_NAME = f"{APP_ID}.desktop"


def data_home() -> Path:
    """Where a user's desktop data lives: $XDG_DATA_HOME, else ~/.local/share (the XDG default)."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".local" / "share"


def entry_path(home: Path) -> Path:
    return home / "applications" / ENTRY_NAME


def icon_path(home: Path) -> Path:
    return home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def quote_exec_argument(argument: str) -> str:
    """`argument` as the Desktop Entry spec wants it in Exec, so that any path stays one argument.

    In double quotes, with " ` $ \\ escaped by a backslash (the quoting rule); then every
    backslash doubled (the rule for all string values, which the spec applies first when
    reading); and % doubled, so it is not read as a field code like %f.

    >>> quote_exec_argument('/home/a b/.venv/bin/micrograd-studio')
    '"/home/a b/.venv/bin/micrograd-studio"'
    """
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return '"' + quoted.replace("\\", "\\\\").replace("%", "%%") + '"'


def entry_text(executable: str, icon: Path) -> str:
    """The .desktop file: launch `executable` (with a session file, if one is opened with the app)."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=micrograd-studio\n"
        "GenericName=Neural network playground\n"
        "Comment=Build a tiny neural network, train it live on a scalar autograd engine, "
        "and look inside every number\n"
        f"Exec={quote_exec_argument(executable)} %f\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "Categories=Education;ArtificialIntelligence;\n"
        "Keywords=micrograd;autograd;backpropagation;neural network;\n"
        f"StartupWMClass={APP_ID}\n"
    )


def install(executable: str, home: Path | None = None) -> tuple[Path, Path]:
    """Write the icon and the entry; returns their paths."""
    from gui.resources import icon_bytes  # here: removing the entry needs nothing but the standard library

    home = home or data_home()
    icon, entry = icon_path(home), entry_path(home)
    icon.parent.mkdir(parents=True, exist_ok=True)
    icon.write_bytes(icon_bytes())
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(entry_text(executable, icon), encoding="utf-8")
    _refresh_menu(entry.parent)
    return icon, entry


def remove(home: Path | None = None) -> list[Path]:
    """Delete the icon and the entry, if there; returns those it deleted."""
    home = home or data_home()
    removed = []
    for path in (entry_path(home), icon_path(home)):
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_menu(entry_path(home).parent)
    return removed


def _refresh_menu(applications: Path) -> None:
    """Desktops that cache their menu read it again now (most also watch the folder)."""
    tool = shutil.which("update-desktop-database")
    if tool and applications.is_dir():
        subprocess.run([tool, str(applications)], check=False, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.desktop_entry", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--exec", dest="executable", help="the micrograd-studio command the entry launches")
    action.add_argument("--remove", action="store_true", help="remove the entry and its icon")
    args = parser.parse_args(argv)
    if args.remove:
        removed = remove()
        print("\n".join(f"removed {path}" for path in removed) or "no desktop entry to remove")
        return 0
    executable = os.path.abspath(args.executable)
    if not os.access(executable, os.X_OK):
        parser.exit(2, f"{parser.prog}: {executable} is not a program that can be run\n")
    icon, entry = install(executable)
    print(f"wrote {entry}\nwrote {icon}\nmicrograd-studio is in your desktop's application menu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
