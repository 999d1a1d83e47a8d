"""Entry point of the `micrograd-studio` command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start the app. The window arrives with the desktop-trainer issue; for now, say so."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: micrograd-studio\n\nThe desktop trainer. (The window is being built; see the README.)")
        return 0
    from engine import MLP

    model = MLP(3, [4, 4, 1], seed=0)
    print(f"micrograd-studio: engine ready, {model} with {len(model.parameters())} parameters.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
