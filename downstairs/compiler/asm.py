"""The assembler: machine instructions with physical registers to bytes at fixed addresses.

Encodings come from `downstairs.isa.encode` (RISC-V Unprivileged ISA ch. 2 and 24, "C" ch. 16).
The pseudo-instructions expand as the ISA manual's assembler chapter describes: li (lui/addiw
and shifts), la (auipc + addi, pc-relative), mv, call (jal ra), tail (jal x0: a call that
returns to its caller's caller), j (jal x0), ret (jalr x0, ra),
csrr/csrw (csrrs/csrrw with x0). Where an instruction has a compressed form with the same
effect (c.mv, c.addi, c.li, c.ldsp, c.sdsp, c.add, ...), that form is used (RVC).

Layout is iterative: a conditional branch whose target is beyond +-4 KiB becomes the inverted
branch over a `jal`, a call or tail beyond +-1 MiB becomes auipc + jalr, and the layout is redone until
nothing grows.
"""

from downstairs.isa import encode as E
from downstairs.compiler.select import FORMAT

INVERT = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu", "bgeu": "bltu"}
BRANCHES = set(INVERT)
SHIFTS = set(E.SHIFT_OPS)


class AsmError(Exception):
    pass


def reg(name) -> int:
    """The number (0..31) of an ABI register name such as "a0" or "zero"."""
    return E.REG[name]


def compress(op, a):
    """The 16-bit form of a non-pc-relative instruction, or None (RVC, ch. 16)."""
    def c(r):            # one of x8..x15, the registers a 3-bit RVC field can name
        return 8 <= reg(r) <= 15
    try:
        if op == "mv" and a[0] != "zero" and a[1] != "zero":
            return E.c_mv(reg(a[0]), reg(a[1]))
        if op == "addi" and a[0] == a[1] and a[0] != "zero" and a[2] and -32 <= a[2] < 32:
            return E.c_addi(reg(a[0]), a[2])
        if op == "addi" and a[0] == a[1] == "sp" and a[2] % 16 == 0 and a[2] and -512 <= a[2] < 512:
            return E.c_addi16sp(a[2])
        if op == "addiw" and a[0] == a[1] and a[0] != "zero" and -32 <= a[2] < 32:
            return E.c_addiw(reg(a[0]), a[2])
        if op == "li" and a[0] != "zero" and -32 <= a[1] < 32:
            return E.c_li(reg(a[0]), a[1])
        if op == "add" and a[0] == a[1] and a[0] != "zero" and a[2] != "zero":
            return E.c_add(reg(a[0]), reg(a[2]))
        if op == "slli" and a[0] == a[1] and a[0] != "zero" and a[2]:
            return E.c_slli(reg(a[0]), a[2])
        if op in ("srli", "srai") and a[0] == a[1] and c(a[0]) and a[2]:
            return (E.c_srli if op == "srli" else E.c_srai)(reg(a[0]), a[2])
        if op == "andi" and a[0] == a[1] and c(a[0]) and -32 <= a[2] < 32:
            return E.c_andi(reg(a[0]), a[2])
        if op in ("sub", "xor", "or", "and", "subw", "addw") and a[0] == a[1] and c(a[0]) and c(a[2]):
            return E.c_ca(op, reg(a[0]), reg(a[2]))
        if op == "ld" and a[1] == "sp" and a[0] != "zero" and a[2] % 8 == 0 and 0 <= a[2] < 512:
            return E.c_ldsp(reg(a[0]), a[2])
        if op == "sd" and a[1] == "sp" and a[2] % 8 == 0 and 0 <= a[2] < 512:
            return E.c_sdsp(reg(a[0]), a[2])
        if op == "lw" and a[1] == "sp" and a[0] != "zero" and a[2] % 4 == 0 and 0 <= a[2] < 256:
            return E.c_lwsp(reg(a[0]), a[2])
        if op in ("ld", "sd") and c(a[0]) and c(a[1]) and a[2] % 8 == 0 and 0 <= a[2] < 256:
            return (E.c_ld if op == "ld" else E.c_sd)(reg(a[0]), reg(a[1]), a[2])
        if op in ("lw", "sw") and c(a[0]) and c(a[1]) and a[2] % 4 == 0 and 0 <= a[2] < 128:
            return (E.c_lw if op == "lw" else E.c_sw)(reg(a[0]), reg(a[1]), a[2])
        if op == "ret":
            return E.c_jr(1)
        if op == "ebreak":
            return E.c_ebreak()
    except E.EncodeError:
        return None
    return None


def encode_fixed(op, a) -> list[int]:
    """Words for an instruction whose encoding does not depend on its address."""
    if op in E.R_OPS:
        return [E.r(op, reg(a[0]), reg(a[1]), reg(a[2]))]
    if op in SHIFTS:
        return [E.shift(op, reg(a[0]), reg(a[1]), a[2])]
    if op in E.I_OPS:
        return [E.i(op, reg(a[0]), reg(a[1]), a[2])]
    if op in E.S_OPS:
        return [E.s(op, reg(a[0]), reg(a[1]), a[2])]
    if op == "mv":
        return [E.i("addi", reg(a[0]), reg(a[1]), 0)]
    if op == "li":
        return E.li(reg(a[0]), a[1])
    if op == "ret":
        return [E.i("jalr", 0, 1, 0)]
    if op == "csrr":
        return [E.csr("csrrs", reg(a[0]), a[1], 0)]
    if op == "csrw":
        return [E.csr("csrrw", 0, a[0], reg(a[1]))]
    if op.startswith("amo"):             # amoadd.w rd, value, (addr): aq and rl both set
        name, width = op.split(".")
        return [E.amo(name, width, reg(a[0]), reg(a[1]), reg(a[2]), aq=True, rl=True)]
    if op in ("lr.w", "lr.d"):           # lr.w.aqrl rd, (addr)
        return [E.amo("lr", op[-1], reg(a[0]), reg(a[1]), 0, aq=True, rl=True)]
    if op in ("sc.w", "sc.d"):           # sc.w.rl rd, value, (addr)
        return [E.amo("sc", op[-1], reg(a[0]), reg(a[1]), reg(a[2]), rl=True)]
    if op in ("csrrw", "csrrs", "csrrc"):     # csrrw rd, CSR, rs1
        return [E.csr(op, reg(a[0]), a[1], reg(a[2]))]
    if op in ("csrs", "csrc"):                # csrs CSR, rs1: set or clear the bits of rs1
        return [E.csr("csrr" + op[-1], 0, a[0], reg(a[1]))]
    if op == "sfence.vma":
        return [E.sfence_vma(reg(a[0]), reg(a[1]))]
    fixed = {"ebreak": E.EBREAK, "ecall": E.ECALL, "wfi": E.WFI, "fence": E.fence(), "fence_i": E.FENCE_I,
             "mret": E.MRET, "sret": E.SRET}
    if op in fixed:
        return [fixed[op]]
    raise AsmError(f"cannot encode {op} {a}")


class Item:
    """One line of the program: an instruction, a label, alignment, fixed address or data."""
    __slots__ = ("kind", "op", "args", "words", "size", "addr", "long")

    def __init__(self, kind, op=None, args=(), data=b""):
        self.kind, self.op, self.args = kind, op, list(args)
        self.words = data
        self.size = 0
        self.addr = 0
        self.long = False


class Assembler:
    """Collects a program as Items (`label`, `align`, `org`, `data`, `ins`), then `layout`
    gives every item its address and `encode` makes the bytes from `base` on."""

    def __init__(self, compressed: bool = True):
        self.items: list[Item] = []
        self.compressed = compressed

    def label(self, name):
        self.items.append(Item("label", args=[name]))

    def align(self, n):
        self.items.append(Item("align", args=[n]))

    def org(self, address):
        self.items.append(Item("org", args=[address]))

    def data(self, blob: bytes):
        self.items.append(Item("data", data=blob))

    def ins(self, op, *args):
        """Add an instruction. One whose encoding does not depend on where it lands is encoded
        now (compressed if it can be); branches, j, call and la wait for the layout."""
        item = Item("ins", op, args)
        if op not in BRANCHES and op not in ("j", "call", "tail", "la"):
            words = None
            if self.compressed:
                short = compress(op, item.args)
                if short is not None:
                    words = [short]
            item.words = words or encode_fixed(op, item.args)
            item.size = sum(2 if (w & 3) != 3 else 4 for w in item.words)
        self.items.append(item)

    def layout(self, base, symbols):
        """Give every item its address from `base`, entering labels in `symbols`; a branch or
        call whose target is out of reach grows to its long form and the layout is redone.
        Returns the address after the last item. An `org` already passed is an AsmError."""
        while True:
            pc, grew = base, False
            for item in self.items:
                if item.kind == "align":
                    pc = (pc + item.args[0] - 1) // item.args[0] * item.args[0]
                elif item.kind == "org":
                    if item.args[0] < pc:
                        raise AsmError(f"code reaches {pc:#x}, past the fixed address {item.args[0]:#x}")
                    pc = item.args[0]
                item.addr = pc
                if item.kind == "label":
                    symbols[item.args[0]] = pc
                elif item.kind == "data":
                    pc += len(item.words)
                elif item.kind == "ins":
                    if item.op in BRANCHES:
                        item.size = 8 if item.long else 4
                    elif item.op == "j":
                        item.size = 4
                    elif item.op in ("call", "tail"):
                        item.size = 8 if item.long else 4
                    elif item.op == "la":
                        item.size = 8
                    pc += item.size
            for item in self.items:
                if item.kind == "ins" and item.op in BRANCHES and not item.long:
                    target = symbols.get(item.args[2])
                    if target is not None and not -4096 <= target - item.addr < 4096:
                        item.long = grew = True
                if item.kind == "ins" and item.op in ("call", "tail") and not item.long:
                    target = symbols.get(item.args[0])
                    if target is not None and not -(1 << 20) <= target - item.addr < (1 << 20):
                        item.long = grew = True
            if not grew:
                return pc

    def encode(self, base, symbols) -> bytes:
        """The memory image from `base` after `layout` (gaps before `org`s zero filled)."""
        out = bytearray()
        for item in self.items:
            if item.addr > base + len(out):
                out += bytes(item.addr - base - len(out))
            if item.kind == "data":
                out += item.words
            elif item.kind == "ins":
                out += E.to_bytes(self.resolve(item, symbols))
        return bytes(out)

    def resolve(self, item, symbols) -> list[int]:
        """The instruction words of a laid-out item, pc-relative offsets filled in from
        `symbols`; an undefined symbol is an AsmError."""
        op, a, pc = item.op, item.args, item.addr

        def target(name):
            if name not in symbols:
                raise AsmError(f"undefined symbol {name}")
            return symbols[name]

        if op in BRANCHES:
            if item.long:
                return [E.b(INVERT[op], reg(a[0]), reg(a[1]), 8), E.jal(0, target(a[2]) - pc - 4)]
            return [E.b(op, reg(a[0]), reg(a[1]), target(a[2]) - pc)]
        if op in ("call", "tail") and item.long:    # beyond jal's +-1 MiB: auipc + jalr (ra, or t1
            offset = target(a[0]) - pc               # for a tail call, which links nothing)
            hi = (offset + 0x800) >> 12
            via, link = (1, 1) if op == "call" else (6, 0)
            return [E.auipc(via, hi), E.i("jalr", link, via, offset - (hi << 12))]
        if op in ("j", "call", "tail"):
            return [E.jal(1 if op == "call" else 0, target(a[0]) - pc)]
        if op == "la":
            offset = target(a[1]) - pc
            hi = (offset + 0x800) >> 12
            return [E.auipc(reg(a[0]), hi), E.i("addi", reg(a[0]), reg(a[0]), offset - (hi << 12))]
        return item.words


def is_instruction(op) -> bool:
    """Whether `op` is something this assembler accepts (the selector's formats or a pseudo)."""
    return op in FORMAT or op in ("call", "tail", "ret", "ecall", "la", "j")
