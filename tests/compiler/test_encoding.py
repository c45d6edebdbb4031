"""Our assembler's encodings, checked against Debian's riscv64-unknown-elf-objdump and capstone.

Random operands (fixed seed) for every instruction the compiler emits, in full 32-bit and in
compressed form; objdump (-M no-aliases) must print exactly the instruction we meant, capstone
must decode the same sizes and mnemonics. Then every compiled example is decoded whole.
"""

import os
import random
import shutil
import subprocess

import capstone
import pytest

from downstairs.compiler.asm import Assembler, compress
from downstairs.compiler.driver import compile_file
from downstairs.compiler.elf import write_elf
from downstairs.isa import encode as E

OBJDUMP = "riscv64-unknown-elf-objdump"
pytestmark = pytest.mark.skipif(shutil.which(OBJDUMP) is None, reason="needs riscv64-unknown-elf-objdump")
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")

REGS = [r for r in E.ABI_NAMES if r != "zero"]
CREGS = ["s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5"]
R_OPS = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul", "mulh", "mulhu", "div",
         "divu", "rem", "remu", "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw", "remw", "remuw"]
I_ALU = ["addi", "slti", "xori", "ori", "andi", "addiw"]
SHIFTS = {"slli": 63, "srli": 63, "srai": 63, "slliw": 31, "srliw": 31, "sraiw": 31}
LOADS = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"]
STORES = ["sb", "sh", "sw", "sd"]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
CSRS = {0x300: "mstatus", 0x305: "mtvec", 0x340: "mscratch", 0x342: "mcause", 0xB02: "minstret"}
CNAMES = {"mv": "c.mv", "li": "c.li", "add": "c.add", "slli": "c.slli", "srli": "c.srli", "srai": "c.srai",
          "andi": "c.andi", "sub": "c.sub", "xor": "c.xor", "or": "c.or", "and": "c.and", "subw": "c.subw",
          "addw": "c.addw", "addiw": "c.addiw", "ld": "c.ld", "sd": "c.sd", "lw": "c.lw", "sw": "c.sw",
          "ret": "c.jr", "ebreak": "c.ebreak"}


def cases(rng):
    """(op, args) for the compiler's instruction set, operands chosen so no alias applies."""
    out = []
    for op in R_OPS:
        out.append((op, [rng.choice(REGS) for _ in range(3)]))
    for op in I_ALU:
        imm = rng.choice([v for v in range(-2048, 2048) if v not in (0, 1, -1)])
        out.append((op, [rng.choice(REGS), rng.choice(REGS), imm]))
    for op, top in SHIFTS.items():
        out.append((op, [rng.choice(REGS), rng.choice(REGS), rng.randint(1, top)]))
    for op in LOADS:
        out.append((op, [rng.choice(REGS), rng.choice(REGS), rng.randint(-2048, 2047)]))
    for op in STORES:
        out.append((op, [rng.choice(REGS), rng.choice(REGS), rng.randint(-2048, 2047)]))
    for csr in CSRS:
        out.append(("csrr", [rng.choice(REGS), csr]))
        out.append(("csrw", [csr, rng.choice(REGS)]))
    out += [("ebreak", []), ("ecall", []), ("wfi", []), ("fence_i", [])]
    for op in ["amoswap.w", "amoswap.d", "amoadd.w", "amoadd.d"]:
        out.append((op, [rng.choice(REGS) for _ in range(3)]))
    # compressible shapes
    r, c1, c2 = rng.choice(REGS[2:]), rng.choice(CREGS), rng.choice(CREGS)
    out += [("mv", [r, rng.choice(REGS[2:])]), ("li", [r, rng.randint(-32, 31)]), ("add", [r, r, rng.choice(REGS[2:])]),
            ("slli", [r, r, rng.randint(1, 63)]), ("srli", [c1, c1, rng.randint(1, 63)]),
            ("srai", [c1, c1, rng.randint(1, 63)]), ("andi", [c1, c1, rng.randint(-32, 31)]),
            ("sub", [c1, c1, c2]), ("xor", [c1, c1, c2]), ("or", [c1, c1, c2]), ("and", [c1, c1, c2]),
            ("subw", [c1, c1, c2]), ("addw", [c1, c1, c2]), ("addiw", [r, r, rng.randint(1, 31)]),
            ("ld", [c1, c2, 8 * rng.randint(0, 31)]), ("sd", [c1, c2, 8 * rng.randint(0, 31)]),
            ("lw", [c1, c2, 4 * rng.randint(0, 31)]), ("sw", [c1, c2, 4 * rng.randint(0, 31)]),
            ("ret", [])]
    return out


def expected(op, args, short):
    """The line objdump -M no-aliases prints for our instruction."""
    if short:
        name = CNAMES[op]
        if op == "ret":
            return "c.jr ra"
        if op == "ebreak":
            return "c.ebreak"
        if op in ("ld", "sd", "lw", "sw"):
            return f"{name} {args[0]},{args[2]}({args[1]})"
        if op in ("mv", "li"):
            return f"{name} {args[0]},{args[1]}"
        last = args[2]
        if op in ("slli", "srli", "srai"):
            last = hex(last)
        return f"{name} {args[0]},{last}"
    if op in R_OPS:
        return f"{op} {args[0]},{args[1]},{args[2]}"
    if op in SHIFTS:
        return f"{op} {args[0]},{args[1]},{hex(args[2])}"
    if op in I_ALU:
        return f"{op} {args[0]},{args[1]},{args[2]}"
    if op in LOADS or op in STORES:
        return f"{op} {args[0]},{args[2]}({args[1]})"
    if op == "csrr":
        return f"csrrs {args[0]},{CSRS[args[1]]},zero"
    if op == "csrw":
        return f"csrrw zero,{CSRS[args[0]]},{args[1]}"
    if op.startswith("amo"):
        return f"{op}.aqrl {args[0]},{args[2]},({args[1]})"
    if op == "mv":
        return f"addi {args[0]},{args[1]},0"
    if op == "li":
        return f"addi {args[0]},zero,{args[1]}"
    if op == "ret":
        return "jalr zero,0(ra)"
    return {"fence_i": "fence.i"}.get(op, op)


def objdump_lines(tmp_path, blob):
    path = tmp_path / "code.bin"
    path.write_bytes(blob)
    out = subprocess.run([OBJDUMP, "-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases", str(path)],
                         capture_output=True, text=True, check=True).stdout
    lines = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            text = " ".join(p.strip() for p in parts[2:4]).strip()
            lines.append((int(parts[0].strip()[:-1], 16), len(parts[1].strip()) // 2, text.split(" #")[0].strip()))
    return lines


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_encodings_match_objdump_and_capstone(tmp_path, seed, compressed):
    rng = random.Random(seed)
    items = cases(rng)
    asm = Assembler(compressed=compressed)
    for op, args in items:
        asm.ins(op, *args)
    # a branch of each kind, forwards and backwards, and jumps
    asm.label("back")
    for op in BRANCHES:
        asm.ins(op, rng.choice(REGS), rng.choice(REGS), "back")
        asm.ins(op, rng.choice(REGS), rng.choice(REGS), "fwd")
    asm.ins("j", "back")
    asm.ins("call", "fwd")
    asm.label("fwd")
    symbols = {}
    asm.layout(0, symbols)
    blob = asm.encode(0, symbols)
    got = objdump_lines(tmp_path, blob)
    assert len(got) == len(items) + 2 * len(BRANCHES) + 2
    for (op, args), (addr, size, text) in zip(items, got):
        short = compressed and compress(op, args) is not None
        assert size == (2 if short else 4)
        assert " ".join(text.split()) == expected(op, args, short), (op, args)
    back, fwd = symbols["back"], symbols["fwd"]
    for k, (addr, size, text) in enumerate(got[len(items):len(items) + 2 * len(BRANCHES)]):
        assert text.split()[0] == BRANCHES[k // 2]
        assert text.endswith(hex(back if k % 2 == 0 else fwd))
    assert got[-2][2] == f"jal zero,{hex(back)}" and got[-1][2] == f"jal ra,{hex(fwd)}"
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    decoded = list(md.disasm(blob, 0))
    assert [(i.address, i.size) for i in decoded] == [(a, s) for a, s, _ in got]
    for (op, args), insn in zip(items, decoded):
        want = expected(op, args, compressed and compress(op, args) is not None).split()[0]
        alias = {"csrrs": ["csrr"], "csrrw": ["csrw"], "jalr": ["ret"], "addi": ["mv", "li"]}
        assert insn.mnemonic in [want] + alias.get(want, []), (op, args, insn.mnemonic)


def test_li_sequences_compute_their_constants():
    """E.li sequences for awkward constants, read back through capstone's operands."""
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64)
    for value in [0, 1, -1, 2047, -2048, 2048, 0x7FFFFFFF, -0x80000000, 0x80000000, 0x123456789ABCDEF0,
                  -0x123456789ABCDEF, 1 << 63, (1 << 64) - 2]:
        reg = 0
        for insn in md.disasm(E.to_bytes(E.li(10, value)), 0):
            ops = insn.op_str.replace(" ", "").split(",")
            imm = 0 if ops[-1] == "zero" else int(ops[-1], 0)
            if insn.mnemonic == "lui":
                reg = ((imm << 12) ^ (1 << 31)) - (1 << 31)
            elif insn.mnemonic in ("li", "mv"):
                reg = imm
            elif insn.mnemonic in ("addiw", "sext.w"):
                reg = (((reg + (imm if insn.mnemonic == "addiw" else 0)) & 0xFFFFFFFF) ^ (1 << 31)) - (1 << 31)
            elif insn.mnemonic in ("addi",):
                reg += imm
            elif insn.mnemonic == "slli":
                reg <<= imm
            else:
                raise AssertionError(insn.mnemonic)
            reg &= (1 << 64) - 1
        assert reg == value & ((1 << 64) - 1), hex(value)


@pytest.mark.parametrize("name", ["arith", "records", "matmul"])
def test_compiled_programs_decode_cleanly(tmp_path, name):
    image = compile_file(os.path.join(EXAMPLES, name + ".py"))
    elf = tmp_path / "p.elf"
    elf.write_bytes(write_elf(image))
    out = subprocess.run([OBJDUMP, "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    assert "unknown" not in out and ".insn" not in out
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    functions = [(addr - image.base, size) for n, addr, size, kind, sec in image.symbols if kind == "func" and size]
    assert len(functions) > 5
    for start, size in functions:
        decoded = list(md.disasm(image.text[start:start + size], 0))
        assert sum(i.size for i in decoded) == size      # every byte of every function is an instruction


def test_far_branches_are_relaxed(tmp_path):
    """A conditional branch beyond +-4 KiB becomes the inverted branch over a jal."""
    asm = Assembler(compressed=False)
    asm.label("top")
    asm.ins("beq", "a0", "a1", "far")
    for _ in range(1500):
        asm.ins("addi", "a0", "a0", 1)
    asm.ins("bne", "a2", "a3", "top")
    asm.label("far")
    symbols = {}
    asm.layout(0, symbols)
    blob = asm.encode(0, symbols)
    lines = objdump_lines(tmp_path, blob)
    assert lines[0][2] == "bne a0,a1,0x8" and lines[1][2] == f"jal zero,{hex(symbols['far'])}"
    assert lines[-2][2] == "beq a2,a3," + hex(lines[-1][0] + 4)
    assert lines[-1][2] == "jal zero,0x0"
