"""Random user-level instruction streams for differential testing (test_unicorn.py).

A stream is RV64IMAC code that runs straight to its end: branches and jumps only go
forward and never past the end, so "run until pc == end" is well defined for any emulator.
Memory instructions address a scratch area through two base registers that no instruction
writes: s0 (x8) for the 32-bit forms, the compressed CL/CS forms and the atomics, and sp
(x2) for the compressed stack-pointer forms. Everything is drawn from a `random.Random`,
so the same generator serves hypothesis (st.randoms) and fixed-seed runs.
"""

from random import Random

from downstairs.isa import encode as e
from tests.machine.harness import DATA

SCRATCH, SCRATCH_SIZE = DATA, 0x2000
BASE = SCRATCH + 0x800                  # s0: loads/stores reach SCRATCH .. SCRATCH + 0x1007
STACK = SCRATCH + 0x1400                # sp: c.ldsp/c.sdsp reach up to STACK + 511
RESERVED = {0, 2, 8}
WRITABLE = [r for r in range(32) if r not in RESERVED]
C_WRITABLE = [r for r in range(9, 16)]  # rd' of compressed forms (x8 is the base)
C_ANY = list(range(8, 16))

MIN, MAX, ALL = 1 << 63, (1 << 63) - 1, (1 << 64) - 1
EDGE_VALUES = [0, 1, 2, ALL, ALL - 1, MIN, MAX, MIN + 1, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF,
               0xFFFFFFFF80000000, 0x100000000, 0xFFFFFFFF7FFFFFFF, 63, 64, 31, 32]
EDGE_IMMS = [0, 1, -1, 2047, -2048, 31, 32, 63]

R_NAMES = sorted(e.R_OPS)
I_NAMES = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]
LOADS = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"]
STORES = ["sb", "sh", "sw", "sd"]
AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"]
BRANCHES = sorted(e.B_OPS)


PATTERN = bytes((i * 151 + (i >> 8) * 29 + 7) & 0xFF for i in range(SCRATCH_SIZE))


def scratch_pattern() -> bytes:
    """The scratch area's starting bytes: every value, both signs, no obvious structure."""
    return PATTERN


def value(rng: Random) -> int:
    return rng.choice(EDGE_VALUES) if rng.random() < 0.5 else rng.getrandbits(64)


def registers(rng: Random) -> dict[int, int]:
    regs = {r: value(rng) for r in range(1, 32) if r not in RESERVED}
    regs[8] = BASE
    regs[2] = STACK
    return regs


def imm12(rng: Random) -> int:
    return rng.choice(EDGE_IMMS) if rng.random() < 0.3 else rng.randint(-2048, 2047)


def reg(rng: Random) -> int:
    return rng.randrange(32)


def rd(rng: Random) -> int:
    return rng.choice(WRITABLE)


# Each generator returns an item: an instruction word, or ("branch", kind, args) to be
# resolved into a forward offset once the layout is known.

def gen_alu(rng: Random):
    kind = rng.randrange(5)
    if kind == 0:
        return e.r(rng.choice(R_NAMES), rd(rng), reg(rng), reg(rng))
    if kind == 1:
        return e.i(rng.choice(I_NAMES), rd(rng), reg(rng), imm12(rng))
    if kind == 2:
        name = rng.choice(["slli", "srli", "srai", "slliw", "srliw", "sraiw"])
        return e.shift(name, rd(rng), reg(rng), rng.randrange(32 if name.endswith("w") else 64))
    if kind == 3:
        return (e.lui if rng.random() < 0.5 else e.auipc)(rd(rng), rng.getrandbits(20))
    return e.r(rng.choice(["div", "divu", "rem", "remu", "divw", "divuw", "remw", "remuw",
                           "mulh", "mulhsu", "mulhu", "mulw"]), rd(rng), reg(rng), reg(rng))


def gen_memory(rng: Random, lrsc_width: str = "d"):
    kind = rng.randrange(4)
    offset = rng.randint(-2048, 2047 - 8)
    if kind == 0:
        return e.i(rng.choice(LOADS), rd(rng), 8, offset)
    if kind == 1:
        return e.s(rng.choice(STORES), reg(rng), 8, offset)
    width = rng.choice("wd")
    if kind == 2:
        return e.amo(rng.choice(AMOS), width, rd(rng), 8, reg(rng))
    # LR and SC of one stream share a width: an SC.W after an LR.D (same address) is
    # outside what the ISA constrains, and unicorn then writes memory yet reports failure.
    if rng.random() < 0.5:
        return e.amo("lr", lrsc_width, rd(rng), 8)
    return e.amo("sc", lrsc_width, rd(rng), 8, reg(rng))


def gen_compressed(rng: Random):
    kind = rng.randrange(17)
    nz_rd = rd(rng) or 1
    small = rng.randint(-32, 31)
    if kind == 0:
        return e.c_addi(nz_rd, small or 1)
    if kind == 1:
        return e.c_addiw(nz_rd, small)
    if kind == 2:
        return e.c_li(nz_rd, small)
    if kind == 3:
        return e.c_lui(nz_rd, small or 1)
    if kind == 4:
        return rng.choice([e.c_srli, e.c_srai])(rng.choice(C_WRITABLE), rng.randint(1, 63))
    if kind == 5:
        return e.c_andi(rng.choice(C_WRITABLE), small)
    if kind == 6:
        return e.c_ca(rng.choice(sorted(e.C_CA_OPS)), rng.choice(C_WRITABLE), rng.choice(C_ANY))
    if kind == 7:
        return e.c_slli(nz_rd, rng.randint(1, 63))
    if kind == 8:
        return e.c_mv(nz_rd, rng.randint(1, 31))
    if kind == 9:
        return e.c_add(nz_rd, rng.randint(1, 31))
    if kind == 10:
        return e.c_lw(rng.choice(C_WRITABLE), 8, 4 * rng.randrange(32))
    if kind == 11:
        return e.c_ld(rng.choice(C_WRITABLE), 8, 8 * rng.randrange(32))
    if kind == 12:
        return rng.choice([e.c_sw(rng.choice(C_ANY), 8, 4 * rng.randrange(32)),
                           e.c_sd(rng.choice(C_ANY), 8, 8 * rng.randrange(32))])
    if kind == 13:
        return rng.choice([e.c_lwsp(nz_rd, 4 * rng.randrange(64)), e.c_ldsp(nz_rd, 8 * rng.randrange(64))])
    if kind == 14:
        return rng.choice([e.c_swsp(reg(rng), 4 * rng.randrange(64)), e.c_sdsp(reg(rng), 8 * rng.randrange(64))])
    if kind == 15:
        return e.c_addi4spn(rng.choice(C_WRITABLE), 4 * rng.randint(1, 255))
    return e.c_nop()


def gen_branch(rng: Random):
    kind = rng.randrange(4)
    skip = rng.randrange(4)
    if kind == 0:
        return ("b", rng.choice(BRANCHES), reg(rng), reg(rng), skip)
    if kind == 1:
        return ("cb", rng.choice(["c_beqz", "c_bnez"]), rng.choice(C_ANY), skip)
    if kind == 2:
        return ("cj", skip)
    return ("jal", rd(rng), skip)


def size(item) -> int:
    if isinstance(item, int):
        return 2 if item & 3 != 3 else 4
    return 2 if item[0] in ("cb", "cj") else 4


def layout(items: list) -> list[int]:
    """Turn items into words, resolving each branch to the start of the item `skip`
    places after the next one (or the end of the stream)."""
    addresses = [0]
    for item in items:
        addresses.append(addresses[-1] + size(item))
    words = []
    for index, item in enumerate(items):
        if isinstance(item, int):
            words.append(item)
            continue
        skip = item[-1]
        target = addresses[min(index + 1 + skip, len(items))]
        offset = target - addresses[index]
        if item[0] == "b":
            words.append(e.b(item[1], item[2], item[3], offset))
        elif item[0] == "cb":
            words.append(getattr(e, item[1])(item[2], offset))
        elif item[0] == "cj":
            words.append(e.c_j(offset))
        else:
            words.append(e.jal(item[1], offset))
    return words


GENERATORS = {"alu": gen_alu, "memory": gen_memory, "compressed": gen_compressed, "branch": gen_branch}


def items(rng: Random, length: int, kinds: list[str]) -> list:
    lrsc_width = rng.choice("wd")
    result = []
    for _ in range(length):
        kind = rng.choice(kinds)
        result.append(gen_memory(rng, lrsc_width) if kind == "memory" else GENERATORS[kind](rng))
    return result


def stream(rng: Random, length: int, kinds: list[str]) -> list[int]:
    return layout(items(rng, length, kinds))
