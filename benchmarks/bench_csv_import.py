"""Time and peak memory of `read_csv` on large files: what importing one costs the window.

Writes two CSVs of moons-like rows (x1, x2, y as repr floats) to a temporary folder:
100,000 rows (4.4 MB) and about 51 MB (1.17 million rows), then reads each the way the
Data panel does (``max_rows=MAX_PANEL_SAMPLES``: refused after 2,000 rows) and
with the engine's default limit (MAX_SAMPLES rows; the CLI's `--csv`).

    python benchmarks/bench_csv_import.py

Peak memory is tracemalloc's (Python allocations), which is what a huge import grows.
"""

from __future__ import annotations

import inspect
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.data import DataError, read_csv

MAX_PANEL_SAMPLES = 2000  # gui/panels/data_panel.py's limit (not imported: no Qt here)


def write_rows(path: Path, n_rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w") as f:
        f.write("x1,x2,y\n")
        for _ in range(n_rows):
            f.write(f"{rng.uniform(-1, 2)!r},{rng.uniform(-1, 1)!r},{rng.choice((1.0, -1.0))!r}\n")


def measure(path: Path, **kwargs) -> str:
    """Seconds (without tracing, which slows allocation down) and tracemalloc's peak (a second run)."""
    started = time.perf_counter()
    outcome = read(path, **kwargs)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read(path, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return f"{seconds:8.3f} s  peak {peak / 1e6:8.1f} MB  {outcome}"


def read(path: Path, **kwargs) -> str:
    try:
        return f"{len(read_csv(path, **kwargs)):,} rows"
    except DataError as exc:
        return f"refused ({exc})"


def main() -> None:
    takes_limit = "max_rows" in inspect.signature(read_csv).parameters
    with tempfile.TemporaryDirectory() as folder:
        files = {"100,000 rows": Path(folder) / "rows100k.csv", "51 MB": Path(folder) / "big.csv"}
        write_rows(files["100,000 rows"], 100_000)
        write_rows(files["51 MB"], 1_170_000)
        for label, path in files.items():
            size = path.stat().st_size / 1e6
            print(f"{label} ({size:.1f} MB)")
            if takes_limit:
                print(
                    f"  panel import (max_rows={MAX_PANEL_SAMPLES}): {measure(path, max_rows=MAX_PANEL_SAMPLES)}"
                )
            print(f"  read_csv(path) (default limit):       {measure(path)}")


if __name__ == "__main__":
    main()
