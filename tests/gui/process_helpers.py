"""What several GUI test files share."""

import os
from pathlib import Path


def gone(pid: int) -> bool:
    """True once the process has ended and been reaped (a zombie still answers kill 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def child_pids() -> set[int]:
    """This process's living children (zombies not counted: they have ended); Linux only."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            pids.add(int(entry.name))
    return pids
