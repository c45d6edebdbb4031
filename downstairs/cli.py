"""The `downstairs` command: one subcommand per job, each registered by the layer it drives.

A subcommand module has `register(subparsers)`, which adds its parser and sets `func` to
the function that runs it; that function returns the process's exit status.
"""

import gc
import importlib
import sys

from downstairs import __version__
from downstairs.errors import UsageError

# Each entry: the module that owns a subcommand, and the subcommands it registers. Lower
# layers first.
COMMAND_MODULES = [
    ("downstairs.machine.command", ["run"]),
    ("downstairs.machine.demo", ["demo"]),
    ("downstairs.guests.linux.command", ["guest"]),
    ("downstairs.compiler.command", ["compile"]),
    ("downstairs.firmware.command", ["firmware"]),
    ("downstairs.kernel.command", ["kernel"]),
    ("downstairs.image.command", ["image"]),
    ("downstairs.hypervisor.command", ["vm"]),
    ("downstairs.sandbox.command", ["sandbox", "run-user"]),
    ("downstairs.bench.command", ["bench"]),             # the top: it measures every layer
]

# Subcommands that parse their own words, in QEMU's syntax (machine/options.py), which
# argparse does not read the same way: main hands them over without building a parser. Each
# module's `command(words)` returns the exit status.
OWN_SYNTAX = {"run": "downstairs.machine.command"}


def build_parser(command: str | None = None) -> "argparse.ArgumentParser":
    """The parser with every subcommand, or with only `command`'s module when the command
    is known: start-up time counts (a boot should not wait for the compiler's imports)."""
    import argparse                 # here, not above: main imports it with the collector off

    parser = argparse.ArgumentParser(
        prog="downstairs",
        description="Downstairs: the computer stack under everyday code, in Python: a RISC-V machine, a KVM microVM, a compiler, and our own firmware, kernel, system images and sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"downstairs {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = [m for m, names in COMMAND_MODULES if command in names]
    for name in chosen or [m for m, _ in COMMAND_MODULES]:
        importlib.import_module(name).register(subparsers)
    return parser


def usage_error(command: str | None, message: str) -> int:
    """Bad input, as one line on stderr naming the subcommand; the status for it (2)."""
    print(f"downstairs{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """The `downstairs` command: parse `argv`, run the subcommand; a UsageError, or an
    option the subcommand does not know, is one line on stderr and status 2, Ctrl-C 130."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in OWN_SYNTAX:
        return own_syntax(argv[0], argv[1:])
    gc.disable()           # imports make thousands of objects that live as long as the process
    try:                   # and no garbage: collecting meanwhile costs start-up time for nothing
        parser = build_parser(argv[0] if argv else None)
        args, unknown = parser.parse_known_args(argv)
    finally:
        gc.enable()
    if unknown:            # (argparse would blame the top-level parser, whatever the command)
        return usage_error(getattr(args, "command", None), f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return guarded(args.command, args.func, args)


def own_syntax(command: str, words: list[str]) -> int:
    """A subcommand of OWN_SYNTAX: its module's command(words), guarded as main's are."""
    gc.disable()                    # (as in main: the imports make no garbage)
    try:
        module = importlib.import_module(OWN_SYNTAX[command])
    finally:
        gc.enable()
    return guarded(command, module.command, words)


def guarded(command: str, func, arg) -> int:
    """func(arg), a subcommand's work, returning its exit status; a UsageError is one line on
    stderr and status 2 (usage_error), Ctrl-C status 130."""
    try:
        return func(arg)
    except UsageError as err:
        return usage_error(command, str(err))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
