"""The built-in demo: a few hundred bytes of M-mode firmware, assembled here in Python.

It is what `downstairs run` boots when given no firmware or kernel, and it runs unchanged
on QEMU (`downstairs demo --write demo.bin`, then `qemu-system-riscv64 -M virt -nographic
-bios demo.bin`). It shows the first steps of any firmware: set a stack, install a trap
vector (mtvec), talk to the 16550 UART, read misa to list the ISA, take a trap (ecall) and
return from it (mret), then power off through the sifive_test device. The addresses are the
virt board's (virt.py).

`downstairs demo --write FILE` writes it to a file, to run elsewhere or to look at
(`riscv64-unknown-elf-objdump -D -b binary -m riscv:rv64 demo.bin`).
"""

from downstairs.errors import UsageError
from downstairs.isa import encode as e
from downstairs.machine.loader import Image
from downstairs.machine.virt import RAM_BASE as BASE, TEST_BASE as TEST, UART_BASE as UART

R = e.REG


class Program:
    """Just enough assembler for this page: instructions, labels, and fixups for
    branches, jumps and address loads (auipc + addi), resolved by `link`."""

    def __init__(self, base: int):
        """An empty program to be linked at `base`."""
        self.base = base
        self.words: list = []            # int, or (kind, args, label) to resolve
        self.labels: dict[str, int] = {}
        self.data = bytearray()
        self.data_labels: dict[str, int] = {}

    def here(self) -> int:
        """The offset of the next instruction from the program's start."""
        return 4 * len(self.words)

    def label(self, name: str) -> None:
        """Name the next instruction's offset."""
        self.labels[name] = self.here()

    def emit(self, *words: int) -> None:
        """Append finished instruction words."""
        self.words.extend(words)

    def branch(self, op: str, rs1: int, rs2: int, target: str) -> None:
        """A conditional branch to a label, encoded at link time."""
        self.words.append(("b", (op, rs1, rs2), target))

    def jal(self, rd: int, target: str) -> None:
        """A jump-and-link to a label, encoded at link time."""
        self.words.append(("j", (rd,), target))

    def la(self, rd: int, target: str) -> None:
        """Load a label's address into rd: auipc + addi, pc-relative, resolved at link time."""
        self.words.append(("auipc", (rd,), target))
        self.words.append(("addi", (rd,), target))

    def string(self, name: str, text: str) -> None:
        """A NUL-terminated string after the code, named `name`."""
        self.data_labels[name] = len(self.data)
        self.data += text.encode() + b"\0"

    def link(self) -> bytes:
        """Resolve every label and encode: the code words, then the strings."""
        code_size = 4 * len(self.words)
        where = dict(self.labels)
        where.update({k: code_size + v for k, v in self.data_labels.items()})
        out = []
        for index, word in enumerate(self.words):
            if isinstance(word, int):
                out.append(word)
                continue
            kind, args, target = word
            pc = 4 * index
            offset = where[target] - pc
            if kind == "b":
                out.append(e.b(args[0], args[1], args[2], offset))
            elif kind == "j":
                out.append(e.jal(args[0], offset))
            elif kind == "auipc":
                low = ((offset & 0xFFF) ^ 0x800) - 0x800
                out.append(e.auipc(args[0], ((offset - low) >> 12) & 0xFFFFF))
            else:                                  # the addi after an auipc at pc - 4
                offset += 4
                out.append(e.i("addi", args[0], args[0], ((offset & 0xFFF) ^ 0x800) - 0x800))
        return e.to_bytes(out) + bytes(self.data)


def build() -> bytes:
    """The demo's machine code and strings, linked at BASE (what `downstairs demo` writes)."""
    p = Program(BASE)
    ra, t0, t1, t2, a0 = (R[n] for n in ("ra", "t0", "t1", "t2", "a0"))
    s0, s1, s8, s9, s10, s11 = (R[n] for n in ("s0", "s1", "s8", "s9", "s10", "s11"))
    # No routine here nests calls, so return addresses live in saved registers: no stack.
    p.label("start")
    p.la(t0, "trap")
    p.emit(e.csr("csrrw", 0, 0x305, t0))                 # mtvec = trap (direct mode)
    p.la(a0, "banner")
    p.jal(ra, "puts")
    # List the extensions misa reports: bit n stands for the letter 'a' + n.
    p.la(a0, "isa")
    p.jal(ra, "puts")
    p.emit(e.csr("csrrs", s0, 0x301, 0))                 # s0 = misa
    p.emit(*e.li(s1, 0))
    p.label("letter")
    p.emit(e.r("srl", t0, s0, s1), e.i("andi", t0, t0, 1))
    p.branch("beq", t0, 0, "next")
    p.emit(e.i("addi", a0, s1, ord("a")))
    p.jal(ra, "putc")
    p.label("next")
    p.emit(e.i("addi", s1, s1, 1), *e.li(t0, 26))
    p.branch("bltu", s1, t0, "letter")
    p.la(a0, "trap_msg")
    p.jal(ra, "puts")
    p.emit(e.ECALL)                                      # into `trap`, and back
    p.la(a0, "back")
    p.jal(ra, "puts")
    p.emit(*e.li(t0, TEST), *e.li(t1, 0x5555), e.s("sw", t1, t0, 0))
    p.label("halt")
    p.emit(e.WFI)
    p.jal(0, "halt")
    # putc(a0): wait until the transmitter is empty (LSR bit 5), then write THR.
    p.label("putc")
    p.emit(*e.li(t1, UART))
    p.label("putc_wait")
    p.emit(e.i("lbu", t2, t1, 5), e.i("andi", t2, t2, 0x20))
    p.branch("beq", t2, 0, "putc_wait")
    p.emit(e.s("sb", a0, t1, 0), e.i("jalr", 0, ra, 0))
    # puts(a0): print a NUL-terminated string (s11 is the cursor, s10 the return address).
    p.label("puts")
    p.emit(e.i("addi", s11, a0, 0), e.i("addi", s10, ra, 0))
    p.label("puts_loop")
    p.emit(e.i("lbu", a0, s11, 0))
    p.branch("beq", a0, 0, "puts_done")
    p.jal(ra, "putc")
    p.emit(e.i("addi", s11, s11, 1))
    p.jal(0, "puts_loop")
    p.label("puts_done")
    p.emit(e.i("jalr", 0, s10, 0))
    # The trap handler: print mcause in decimal, step over the ecall, return with mret.
    p.label("trap")
    p.emit(e.i("addi", s9, ra, 0))
    p.la(a0, "in_trap")
    p.jal(ra, "puts")
    p.emit(e.csr("csrrs", s8, 0x342, 0))                 # s8 = mcause (11: ecall from M)
    p.emit(*e.li(t1, 10), e.r("divu", a0, s8, t1), e.i("addi", a0, a0, ord("0")))
    p.jal(ra, "putc")
    p.emit(*e.li(t1, 10), e.r("remu", a0, s8, t1), e.i("addi", a0, a0, ord("0")))
    p.jal(ra, "putc")
    p.la(a0, "cause")
    p.jal(ra, "puts")
    p.emit(e.csr("csrrs", t0, 0x341, 0), e.i("addi", t0, t0, 4), e.csr("csrrw", 0, 0x341, t0))
    p.emit(e.i("addi", ra, s9, 0), e.MRET)
    p.string("banner", "\nDownstairs demo: M-mode firmware at 0x80000000, assembled by downstairs/machine/demo.py\n")
    p.string("isa", "misa says this hart is rv64")
    p.string("trap_msg", "\nan ecall traps to the handler at mtvec...\n")
    p.string("in_trap", "  in the trap handler: mcause = ")
    p.string("cause", " (environment call from M-mode)\n")
    p.string("back", "...and mret came back. Powering off through sifive_test (0x5555).\n")
    return p.link()


def image() -> Image:
    """The demo as a loaded image would be: at the start of RAM, entered there."""
    data = build()
    return Image("<built-in demo>", BASE, [(BASE, data, len(data))])


def register(subparsers) -> None:
    """The `demo` subcommand."""
    import argparse                     # (here: `run` boots the demo without argparse)

    p = subparsers.add_parser("demo", help="write the built-in demo firmware to a file",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", required=True, metavar="FILE", help="where to write demo.bin")
    p.set_defaults(func=main)


def main(args: "argparse.Namespace") -> int:
    """`downstairs demo --write FILE`."""
    data = build()
    try:
        with open(args.write, "wb") as f:
            f.write(data)
    except OSError as err:
        raise UsageError(f"{args.write}: {err.strerror}") from None
    print(f"wrote {args.write} ({len(data)} bytes, load at {BASE:#x})")
    return 0
