"""Shared test setup. Qt must find the offscreen platform before any QApplication exists."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
