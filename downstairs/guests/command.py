"""`downstairs demo` and `downstairs guest` (downstairs/guests/linux/command.py).

`downstairs demo`: write the built-in demo firmware to a file, to run it elsewhere
(`qemu-system-riscv64 -M virt -nographic -bios demo.bin`) or to look at it
(`riscv64-unknown-elf-objdump -D -b binary -m riscv:rv64 demo.bin`)."""

import argparse

from downstairs.errors import UsageError
from downstairs.guests.linux import command as linux_command


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="write the built-in demo firmware to a file",
                              description=__doc__)
    p.add_argument("--write", required=True, metavar="FILE", help="where to write demo.bin")
    p.set_defaults(func=main)
    linux_command.register(subparsers)


def main(args: argparse.Namespace) -> int:
    from downstairs.machine import demo

    try:
        with open(args.write, "wb") as f:
            f.write(demo.build())
    except OSError as err:
        raise UsageError(f"{args.write}: {err.strerror}") from None
    print(f"wrote {args.write} ({len(demo.build())} bytes, load at {demo.BASE:#x})")
    return 0
