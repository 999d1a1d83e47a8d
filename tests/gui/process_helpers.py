"""What several GUI test files share."""

import os


def gone(pid: int) -> bool:
    """True once the process has ended and been reaped (a zombie still answers kill 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
