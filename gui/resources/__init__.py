"""What ships inside the package beside the code: the app's icon and the example sessions.

Found with `importlib.resources`, so they are there however micrograd-studio is installed
(a wheel, an editable checkout, a zip), never by a path relative to the checkout.
`examples/` is written by `scripts/make_examples.py` from engine/lessons.py; do not edit it
by hand (a test checks it against the script).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from engine.session import Session, load_session

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

ICON_FILE = "icon.svg"
EXAMPLES_DIR = "examples"
CATALOG_FILE = "index.json"  # titles and descriptions of the example sessions, in menu order


@dataclass(frozen=True)
class Example:
    """One example session: its file in examples/, and what the File ▸ Open example menu shows."""

    file_name: str
    title: str
    description: str
    group: str  # "Lessons" or "Worked examples": the menu's sections

    def load(self) -> Session:
        """The example's session (SessionError, OSError if the installed file is damaged or gone)."""
        with as_file(examples_folder() / self.file_name) as path:
            return load_session(path)


def resource(name: str) -> Traversable:
    return files(__name__) / name


def examples_folder() -> Traversable:
    return resource(EXAMPLES_DIR)


def examples() -> list[Example]:
    """The example sessions, in the order of the catalog (lessons first)."""
    catalog = json.loads((examples_folder() / CATALOG_FILE).read_text(encoding="utf-8"))
    return [Example(entry["file"], entry["title"], entry["description"], entry["group"]) for entry in catalog]


def icon_bytes() -> bytes:
    return resource(ICON_FILE).read_bytes()


def app_icon() -> QIcon:
    """The app's icon, drawn from its SVG at each size a window manager asks for (sharp at 16 px too)."""
    from PySide6.QtCore import QBuffer, QByteArray, QSize
    from PySide6.QtGui import QIcon, QImageReader, QPixmap

    icon = QIcon()
    data = QByteArray(icon_bytes())
    for size in (16, 24, 32, 48, 64, 128, 256):
        buffer = QBuffer(data)
        reader = QImageReader(buffer, QByteArray(b"svg"))
        reader.setScaledSize(QSize(size, size))  # rendered at this size, not scaled from a big one
        image = reader.read()
        if not image.isNull():
            icon.addPixmap(QPixmap.fromImage(image))
    return icon
