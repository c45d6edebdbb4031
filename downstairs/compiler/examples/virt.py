"""Ending a run on QEMU's virt board: the sifive_test device at 0x100000 (0x5555 pass, 0x3333 | code << 16 fail)."""

from downstairs.compiler.runtime import u32, u64, store32, csr_read

TEST = 0x100000


def exit(code: u32) -> None:
    if code == 0:
        store32(TEST, 0x5555)
    else:
        store32(TEST, (code << 16) | 0x3333)
    while True:
        pass


def trap_handler() -> None:
    """A trap (failed assert, bad index, division by zero) ends the run with code 0x80 | mcause."""
    cause = u32(csr_read(0x342) & 0x7F)
    exit(0x80 | cause)
