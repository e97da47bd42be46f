"""Command line: ``python -m lessons <command>``.

Commands are looked up lazily so ``--help`` is instant and one broken module
cannot take the others down.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "doctor": ("lessons.doctor", "check this machine is ready for the course (offline)"),
    "run": ("lessons.runner", "execute every notebook from a fresh kernel; --html DIR for copies"),
    "prefetch": ("lessons.prefetch", "download the optional online models (real CLIP) while online"),
    "train-clip": ("lessons.clip_train", "train the course's own CLIP-style model on OpenMoji"),
}


def usage() -> str:
    lines = ["usage: python -m lessons <command> [options]", "", "commands:"]
    lines += [f"  {name:<11} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
