"""The B extension (Zba, Zbb, Zbc, Zbs; bit-manipulation spec 1.0.0) on both engines.

Expected values come from a model written here with Python's unbounded integers, straight
from the spec's pseudocode, never from the core's bitmanip.py. Then: the encodings our
encoder writes are the instructions objdump reads back (the disassembly path); neighbours of
the B encodings that the spec leaves reserved stay illegal instructions; a B instruction
that straddles two pages decodes through the uncached fetch path; and a program built by
Debian's gcc with -march=rv64gc_zba_zbb_zbc_zbs prints the same under qemu-riscv64 and
`downstairs run-user` (the differential check unicorn cannot do: it has no B).
"""

import pathlib
import random
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from downstairs.isa import encode as e
from tests.machine.harness import CODE, ENGINES, M_TRAP, Bench, load_engine, run_program

ALL = (1 << 64) - 1
PROGRAM = pathlib.Path(__file__).parent / "programs" / "bitmanip_random.c"
EDGES = [0, 1, 2, ALL, ALL - 1, 1 << 63, (1 << 63) - 1, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF,
         0xFFFFFFFF80000000, 0x100000000, 63, 64, 31, 32, 0xFF, 0x8000, 0x0123456789ABCDEF]


def signed(v: int, bits: int = 64) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def sext(v: int, bits: int) -> int:
    return signed(v, bits) & ALL


def _clmul(a: int, b: int) -> int:
    out = 0
    for i in range(64):
        if b >> i & 1:
            out ^= a << i
    return out


def rotr(v: int, n: int, bits: int) -> int:
    v &= (1 << bits) - 1
    n %= bits
    return ((v >> n) | (v << (bits - n))) & ((1 << bits) - 1)


def ctz(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return bits if v == 0 else (v & -v).bit_length() - 1


def clz(v: int, bits: int) -> int:
    return bits - (v & ((1 << bits) - 1)).bit_length()


MODEL = {
    "add.uw": lambda a, b: (b + (a & 0xFFFFFFFF)) & ALL,
    "sh1add": lambda a, b: (b + (a << 1)) & ALL,
    "sh2add": lambda a, b: (b + (a << 2)) & ALL,
    "sh3add": lambda a, b: (b + (a << 3)) & ALL,
    "sh1add.uw": lambda a, b: (b + ((a & 0xFFFFFFFF) << 1)) & ALL,
    "sh2add.uw": lambda a, b: (b + ((a & 0xFFFFFFFF) << 2)) & ALL,
    "sh3add.uw": lambda a, b: (b + ((a & 0xFFFFFFFF) << 3)) & ALL,
    "andn": lambda a, b: a & ~b & ALL,
    "orn": lambda a, b: (a | ~b) & ALL,
    "xnor": lambda a, b: ~(a ^ b) & ALL,
    "min": lambda a, b: a if signed(a) < signed(b) else b,
    "minu": lambda a, b: min(a, b),
    "max": lambda a, b: a if signed(a) > signed(b) else b,
    "maxu": lambda a, b: max(a, b),
    "clmul": lambda a, b: _clmul(a, b) & ALL,
    "clmulh": lambda a, b: _clmul(a, b) >> 64,
    "clmulr": lambda a, b: (_clmul(a, b) >> 63) & ALL,
    "rol": lambda a, b: rotr(a, 64 - (b & 63), 64),
    "ror": lambda a, b: rotr(a, b & 63, 64),
    "rolw": lambda a, b: sext(rotr(a, 32 - (b & 31), 32), 32),
    "rorw": lambda a, b: sext(rotr(a, b & 31, 32), 32),
    "bclr": lambda a, b: a & ~(1 << (b & 63)) & ALL,
    "bext": lambda a, b: (a >> (b & 63)) & 1,
    "binv": lambda a, b: a ^ (1 << (b & 63)),
    "bset": lambda a, b: a | (1 << (b & 63)),
    "clz": lambda a, _: clz(a, 64),
    "ctz": lambda a, _: ctz(a, 64),
    "cpop": lambda a, _: bin(a).count("1"),
    "clzw": lambda a, _: clz(a, 32),
    "ctzw": lambda a, _: ctz(a, 32),
    "cpopw": lambda a, _: bin(a & 0xFFFFFFFF).count("1"),
    "sext.b": lambda a, _: sext(a, 8),
    "sext.h": lambda a, _: sext(a, 16),
    "zext.h": lambda a, _: a & 0xFFFF,
    "orc.b": lambda a, _: sum(0xFF << (8 * i) for i in range(8) if (a >> (8 * i)) & 0xFF),
    "rev8": lambda a, _: int.from_bytes(a.to_bytes(8, "little"), "big"),
    "bseti": lambda a, s: a | (1 << s),
    "bclri": lambda a, s: a & ~(1 << s) & ALL,
    "binvi": lambda a, s: a ^ (1 << s),
    "bexti": lambda a, s: (a >> s) & 1,
    "rori": lambda a, s: rotr(a, s, 64),
    "slli.uw": lambda a, s: ((a & 0xFFFFFFFF) << s) & ALL,
    "roriw": lambda a, s: sext(rotr(a, s, 32), 32),
}
assert set(MODEL) == set(e.ZB_R_OPS) | set(e.ZB_UNARY_OPS) | set(e.ZB_SHIFT_OPS)


def run_one(engine, name: str, a: int, b: int) -> int:
    """x7 = name x5, x6 (or x5, shamt b for the immediate forms) on a fresh hart."""
    if name in e.ZB_SHIFT_OPS:
        word = e.zb(name, 7, 5, b)
    else:
        word = e.zb(name, 7, 5, 6)
    return run_program(engine, [word], {5: a, 6: b}).reg(7)


def shamt_limit(name: str) -> int:
    return 31 if name == "roriw" else 63


def test_spec_examples(engine):
    """Hand-checked values, one or more per instruction, beside what the model says."""
    cases = [
        ("sh1add", 5, 0x1000, 0x100A), ("sh2add", ALL, 0, ALL - 3), ("sh3add", 5, 0x1000, 0x1028),
        ("sh1add.uw", 0x100000001, 0, 2), ("sh3add.uw", 0x80000000, 1, 0x400000001), ("add.uw", ALL, 1, 0x100000000),
        ("sh2add.uw", 0xFFFFFFFF00000003, 0x10, 0x1C), ("andn", 0xFF, 0x0F, 0xF0),
        ("orn", 0, ALL, 0), ("xnor", 0xF0, 0xF0, ALL), ("min", ALL, 1, ALL), ("minu", ALL, 1, 1),
        ("max", 1 << 63, 0, 0), ("maxu", 1 << 63, 0, 1 << 63), ("clz", 1, 0, 63),
        ("clz", 0, 0, 64), ("ctz", 1 << 63, 0, 63), ("ctz", 0, 0, 64), ("clzw", 0xFFFFFFFF00000001, 0, 31),
        ("clzw", 0xFFFFFFFF00000000, 0, 32), ("ctzw", 1 << 63, 0, 32), ("ctzw", 0x10, 0, 4),
        ("cpop", ALL, 0, 64), ("cpopw", ALL, 0, 32), ("sext.b", 0x80, 0, 0xFFFFFFFFFFFFFF80),
        ("sext.h", 0x7FFF, 0, 0x7FFF), ("zext.h", ALL, 0, 0xFFFF), ("rol", 1 << 63, 1, 1),
        ("ror", 1, 1, 1 << 63), ("rolw", 0x80000000, 1, 1), ("rorw", 1, 1, 0xFFFFFFFF80000000),
        ("orc.b", 0x0100002000000001, 0, 0xFF0000FF000000FF), ("rev8", 0x0102030405060708, 0, 0x0807060504030201),
        ("clmul", 3, 3, 5), ("clmulh", 1 << 63, 2, 1), ("clmulr", 1 << 63, 1 << 63, 1 << 63), ("clmulr", 1, 1, 0),
        ("bclr", ALL, 64 + 3, ALL - 8), ("bext", 8, 3, 1), ("binv", 0, 63, 1 << 63), ("bset", 0, 70, 64),
        ("bseti", 0, 63, 1 << 63), ("bclri", ALL, 0, ALL - 1), ("binvi", 1, 0, 0), ("bexti", 1 << 40, 40, 1),
        ("rori", 0xF, 4, 0xF000000000000000), ("slli.uw", 0xFFFFFFFF80000000, 1, 0x100000000),
        ("roriw", 0xF, 4, 0xFFFFFFFFF0000000),
    ]
    assert {c[0] for c in cases} == set(MODEL)
    for name, a, b, want in cases:
        assert MODEL[name](a, b) == want, ("model", name)
        assert run_one(engine, name, a, b) == want, name


@settings(max_examples=60, deadline=None, derandomize=True)
@given(a=st.one_of(st.sampled_from(EDGES), st.integers(0, ALL)),
       b=st.one_of(st.sampled_from(EDGES), st.integers(0, ALL)),
       name=st.sampled_from(sorted(MODEL)))
def test_random_operands_match_the_model(a, b, name):
    """Both engines (fresh harts each time) against the model."""
    if name in e.ZB_SHIFT_OPS:
        b &= shamt_limit(name)
    for engine_name in ENGINES:
        assert run_one(load_engine(engine_name), name, a, b) == MODEL[name](a, b), engine_name


def test_rd_zero_is_dropped(engine):
    bench = run_program(engine, [e.zb("cpop", 0, 5), e.zb("andn", 0, 5, 6)], {5: ALL, 6: 0})
    assert bench.reg(0) == 0


RESERVED = [
    e.r_type(e.OP, 0, 0x05, 7, 5, 6),                 # funct7 0000101 funct3 000: no B op
    e.r_type(e.OP, 3, 0x20, 7, 5, 6),                 # 0100000 011
    e.r_type(e.OP, 2, 0x30, 7, 5, 6),                 # 0110000 010
    e.r_type(e.OP, 5, 0x34, 7, 5, 6),                 # binv's funct7 with funct3 101
    e.r_type(e.OP_32, 4, 0x04, 7, 5, 6),              # packw (Zbkb, not B): rs2 != 0
    e.r_type(e.OP_32, 0, 0x05, 7, 5, 6),
    (0x603 << 20) | (5 << 15) | (1 << 12) | (7 << 7) | e.OP_IMM,     # between cpop and sext.b
    (0x698 << 20) | (5 << 15) | (5 << 12) | (7 << 7) | e.OP_IMM,     # rev8's RV32 encoding
    (0x607 << 20) | (5 << 15) | (1 << 12) | (7 << 7) | e.OP_IMM,     # brev8 (Zbkb)
    (0x603 << 20) | (5 << 15) | (1 << 12) | (7 << 7) | e.OP_IMM_32,
    (0x31 << 25) | (5 << 15) | (5 << 12) | (7 << 7) | e.OP_IMM_32,   # roriw with shamt[5] set
]


@pytest.mark.parametrize("word", RESERVED, ids=[f"{w:#010x}" for w in RESERVED])
def test_reserved_neighbours_are_illegal(engine, word):
    bench = Bench(engine)
    bench.program([word])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == 2 and bench.hart.mtval == word and bench.hart.mepc == CODE


def test_across_a_page_boundary(engine):
    """A B instruction whose halves lie on two pages: fetched a parcel at a time, decoded
    into the spare slot each time it runs, twice (a loop) with the same result."""
    bench = Bench(engine)
    start = CODE + 0x5000 - 6                     # clear of the trap vectors and data
    words = [e.c_nop(), e.c_nop(), e.zb("sh3add", 7, 5, 7), e.c_addi(8, -1),
             e.c_bnez(8, -6)]
    bench.program(words, start)
    bench.set_regs({5: 1, 7: 0, 8: 2})
    bench.run_to_end()
    assert bench.reg(7) == 16


def test_encodings_disassemble_as_meant(tmp_path):
    """Every encode.zb word, assembled as .insn and read back by objdump with the B
    extensions enabled: the mnemonic and operands we meant."""
    if shutil.which("riscv64-unknown-elf-gcc") is None:
        pytest.fail("riscv64-unknown-elf-gcc is not installed (setup.sh installs it)")
    rng = random.Random(17)
    items = []
    for name in MODEL:
        rd, rs1, rs2 = rng.randint(1, 31), rng.randint(1, 31), rng.randint(1, 31)
        if name in e.ZB_SHIFT_OPS:
            rs2 = rng.randint(1, shamt_limit(name))
            text = f"{name} {e.ABI_NAMES[rd]},{e.ABI_NAMES[rs1]},{hex(rs2)}"
        elif name in e.ZB_UNARY_OPS:
            text = f"{name} {e.ABI_NAMES[rd]},{e.ABI_NAMES[rs1]}"
        else:
            text = f"{name} {e.ABI_NAMES[rd]},{e.ABI_NAMES[rs1]},{e.ABI_NAMES[rs2]}"
        items.append((e.zb(name, rd, rs1, rs2), text))
    source = tmp_path / "zb.s"
    source.write_text("".join(f".insn {word:#010x}\n" for word, _ in items))
    obj = tmp_path / "zb.o"
    subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv64gc_zba_zbb_zbc_zbs", "-mabi=lp64", "-c",
                    str(source), "-o", str(obj)], check=True, timeout=60)
    dump = subprocess.run(["riscv64-unknown-elf-objdump", "-d", "-M", "no-aliases", str(obj)],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    got = [" ".join(line.split("\t")[2:4]).strip() for line in dump.splitlines()
           if line.strip().split(":")[0].strip().isalnum() and line.count("\t") >= 3]
    assert got == [text for _, text in items]


# ---- against Debian's qemu-riscv64 ---------------------------------------------------------

@pytest.fixture(scope="module")
def random_program(tmp_path_factory):
    if shutil.which("riscv64-linux-gnu-gcc") is None or shutil.which("qemu-riscv64") is None:
        pytest.fail("riscv64-linux-gnu-gcc and qemu-riscv64 are needed (setup.sh installs them)")
    out = tmp_path_factory.mktemp("bitmanip") / "bitmanip_random"
    subprocess.run(["riscv64-linux-gnu-gcc", "-static", "-O2", "-march=rv64gc_zba_zbb_zbc_zbs",
                    "-o", str(out), str(PROGRAM)], check=True, timeout=120)
    return out


@pytest.mark.parametrize("engine_name,seeds,rounds", [("compiled", [1, 2, 3], 3000),
                                                      ("reference", [4], 400)])
def test_random_operands_match_qemu_riscv64(random_program, engine_name, seeds, rounds):
    for seed in seeds:
        args = [str(seed), str(rounds)]
        qemu = subprocess.run(["qemu-riscv64", str(random_program), *args],
                              capture_output=True, text=True, timeout=120)
        ours = subprocess.run([sys.executable, "-m", "downstairs", "run-user", "--engine",
                               engine_name, str(random_program), *args],
                              capture_output=True, text=True, timeout=600)
        assert qemu.returncode == 0 and ours.returncode == 0, ours.stderr
        assert len(qemu.stdout.splitlines()) == len(MODEL)
        assert ours.stdout == qemu.stdout
