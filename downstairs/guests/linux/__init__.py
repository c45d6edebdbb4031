"""Linux 6.1 guests for QEMU's RISC-V `virt` board (and our machine), built from Debian's
linux-source-6.1 with Debian's riscv64-linux-gnu cross compiler, plus an ext2 disk image.

kernel.build("tiny" | "gc") gives a cached kernel Image with /init inside; disk.build() the
disk; boot.boot_command() the QEMU command line; MARKER is the first line /init prints.
See docs/guests.md.
"""

from downstairs.guests.linux.init_program import MARKER

__all__ = ["MARKER"]
