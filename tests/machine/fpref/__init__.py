"""QEMU as the judge of the F and D extensions: operand generation, the reference run, and
how each operation maps onto softfloat.py and onto one instruction.

`fpref.c` beside this file is built with Debian's riscv64-unknown-elf-gcc and run under
qemu-riscv64 (user mode), whose softfloat computes every case: result bits and fflags.
Cases are generated from a seeded random.Random, so a failure names a reproducible case.
"""

import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
MASK32, MASK64 = 0xFFFFFFFF, (1 << 64) - 1
BOX = 0xFFFFFFFF00000000

# index -> (name, kind): kind says what the operands and the result are.
#   "f1"/"f2"/"f3": 1-3 FP operands, FP result; "x1"/"x2": FP operands, integer result;
#   "i": integer operand, FP result; "cvt": fcvt.s.d / fcvt.d.s; "mv": fmv.x.w / fmv.x.d
OPS = [
    ("fadd", "f2"), ("fsub", "f2"), ("fmul", "f2"), ("fdiv", "f2"), ("fsqrt", "f1"),
    ("fmadd", "f3"), ("fmsub", "f3"), ("fnmsub", "f3"), ("fnmadd", "f3"),
    ("fmin", "f2"), ("fmax", "f2"), ("feq", "x2"), ("flt", "x2"), ("fle", "x2"),
    ("fclass", "x1"), ("fsgnj", "f2"), ("fsgnjn", "f2"), ("fsgnjx", "f2"),
    ("fcvt.w", "x1"), ("fcvt.wu", "x1"), ("fcvt.l", "x1"), ("fcvt.lu", "x1"),
    ("fcvt.from.w", "i"), ("fcvt.from.wu", "i"), ("fcvt.from.l", "i"), ("fcvt.from.lu", "i"),
    ("fcvt.other", "cvt"), ("fmv.x", "mv"),
]
INDEX = {name: i for i, (name, _) in enumerate(OPS)}
ROUNDING = ["rne", "rtz", "rdn", "rup", "rmm"]


# ---- the reference -----------------------------------------------------------------------

def build(directory: Path) -> Path:
    """Compile fpref.c; skip (not fail) only where the cross compiler or QEMU is missing."""
    for tool in ("riscv64-unknown-elf-gcc", "qemu-riscv64"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    exe = directory / "fpref"
    subprocess.run(["riscv64-unknown-elf-gcc", "-O2", "-march=rv64gc", "-mabi=lp64",
                    "-nostdlib", "-static", "-o", str(exe), str(HERE / "fpref.c")], check=True)
    return exe


def run_qemu(exe: Path, cases: list) -> list:
    """cases: (index, d, rm, a, b, c) -> [(result, fflags)] computed by QEMU."""
    data = b"".join(struct.pack("<IIQQQ", 2 * i + d, rm, a, b, c) for i, d, rm, a, b, c in cases)
    out = subprocess.run(["qemu-riscv64", str(exe)], input=data, capture_output=True,
                         check=True).stdout
    assert len(out) == 16 * len(cases)
    return [struct.unpack_from("<QQ", out, 16 * k) for k in range(len(cases))]


# ---- the model: what the instruction computes, written with softfloat's functions -----------

def unbox(value: int, d: int) -> int:
    if d:
        return value
    return value & MASK32 if value >> 32 == MASK32 else 0x7FC00000


def sext32(value: int) -> int:
    value &= MASK32
    return (value | BOX) if value >> 31 else value


def model(sf, i: int, d: int, rm: int, a: int, b: int, c: int) -> tuple:
    """(result as the register holds it, flags) for one case, by softfloat module `sf`."""
    name, kind = OPS[i]
    sf.take_flags()
    x, y, z = unbox(a, d), unbox(b, d), unbox(c, d)
    sign = (1 << 63) if d else (1 << 31)
    if name == "fadd":
        r = sf.add(d, x, y, rm)
    elif name == "fsub":
        r = sf.sub(d, x, y, rm)
    elif name == "fmul":
        r = sf.mul(d, x, y, rm)
    elif name == "fdiv":
        r = sf.div(d, x, y, rm)
    elif name == "fsqrt":
        r = sf.sqrt(d, x, rm)
    elif name == "fmadd":
        r = sf.mul_add(d, x, y, z, rm)
    elif name == "fmsub":
        r = sf.mul_add(d, x, y, z ^ sign, rm)
    elif name == "fnmsub":
        r = sf.mul_add(d, x ^ sign, y, z, rm)
    elif name == "fnmadd":
        r = sf.mul_add(d, x ^ sign, y, z ^ sign, rm)
    elif name in ("fmin", "fmax"):
        r = sf.min_max(d, x, y, name == "fmax")
    elif name == "feq":
        r = sf.feq(d, x, y)
    elif name == "flt":
        r = sf.flt(d, x, y)
    elif name == "fle":
        r = sf.fle(d, x, y)
    elif name == "fclass":
        r = sf.fclass(d, x)
    elif name == "fsgnj":
        r = (x & ~sign) | (y & sign)
    elif name == "fsgnjn":
        r = (x & ~sign) | (~y & sign)
    elif name == "fsgnjx":
        r = x ^ (y & sign)
    elif name.startswith("fcvt.from."):
        r = sf.from_int(d, a, rm, ["w", "wu", "l", "lu"].index(name[10:]))
    elif name.startswith("fcvt."):
        if name == "fcvt.other":
            r = sf.widen(unbox(a, 0)) if d else sf.narrow(a, rm)
        else:
            r = sf.to_int(d, x, rm, ["w", "wu", "l", "lu"].index(name[5:]))
    else:                                             # fmv.x.w / fmv.x.d
        r = a if d else sext32(a)
    flags = sf.take_flags()
    if kind in ("f1", "f2", "f3", "i", "cvt") and not d:
        r = (r & MASK32) | BOX
    return r & MASK64, flags


# ---- operands -------------------------------------------------------------------------------

SPECIAL_S = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
             0x7FA00000, 0xFFBFFFFF, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x80800000,
             0x00800001, 0x00400000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000, 0x3F800001,
             0x3FFFFFFF, 0x3F000000, 0x3FC00000, 0x40200000, 0xBFC00000, 0x4B000000, 0x4B7FFFFF,
             0x4EFFFFFF, 0x4F000000, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF,
             0x5F000000, 0xDF000000, 0x5F800000, 0x34000000, 0x33800000, 0x7F000000]
SPECIAL_D = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
             0xFFF8000000000000, 0x7FF0000000000001, 0x7FF4000000000000, 0x0000000000000001,
             0x8000000000000001, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x8010000000000000,
             0x0008000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x3FF0000000000000,
             0xBFF0000000000000, 0x3FF0000000000001, 0x3FFFFFFFFFFFFFFF, 0x3FE0000000000000,
             0x3FF8000000000000, 0x4004000000000000, 0xBFF8000000000000, 0x41DFFFFFFFC00000,
             0x41E0000000000000, 0xC1E0000000000000, 0xC1E0000000200000, 0x41EFFFFFFFE00000,
             0x41F0000000000000, 0x43E0000000000000, 0xC3E0000000000000, 0x43F0000000000000,
             0x43EFFFFFFFFFFFFF, 0x3CB0000000000000, 0x36A0000000000000, 0x47EFFFFFE0000000,
             0x380FFFFFF0000000, 0x3810000000000000, 0x37A0000000000000, 0x7FE0000000000000]
SPECIAL_INT = [0, 1, MASK64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF80000000, 0xFFFFFFFF, 0x1000001,
               0xFFFFFFFFFEFFFFFF, (1 << 53) + 1, (1 << 63) - 1, 1 << 63, 0x8000000000000001,
               0x7FFFFFFFFFFFFE00, 0xFFFFFFFFFFFFF800, 0x20000001, 0x100000001, 0xFFFFFF80]


def random_float(rng: random.Random, d: int) -> int:
    """A pattern weighted toward the places where arithmetic goes wrong."""
    ebits, fbits = (11, 52) if d else (8, 23)
    special = SPECIAL_D if d else SPECIAL_S
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(special)
    sign = rng.getrandbits(1) << (ebits + fbits)
    if roll < 0.4:
        value = rng.getrandbits(ebits + fbits)                 # anything
    else:
        bias = (1 << (ebits - 1)) - 1
        if roll < 0.55:                                       # near the ends of the range
            e = rng.choice([0, 1, 2, fbits + 2, (1 << ebits) - 2, (1 << ebits) - 3])
        else:
            e = bias + rng.randint(-40, 66)                   # moderate, incl. integer range
        shape = rng.random()
        if shape < 0.25:                                      # runs of ones / zeros at the end
            f = ((1 << fbits) - 1) ^ ((1 << rng.randint(0, fbits)) - 1)
        elif shape < 0.5:
            f = (1 << rng.randint(0, fbits)) - 1
        else:
            f = rng.getrandbits(fbits)
        value = (e << fbits) | f
    return sign | value


def random_int(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(SPECIAL_INT)
    if roll < 0.6:
        v = rng.getrandbits(rng.randint(1, 64))
        return v if rng.random() < 0.5 else (-v) & MASK64
    return rng.getrandbits(64)


def boxed(rng: random.Random, value: int, d: int) -> int:
    """A register value: doubles as they are; singles NaN-boxed, except now and then."""
    if d:
        return value
    if rng.random() < 0.03:
        return rng.choice([0, rng.getrandbits(32) << 32, 0x7FFFFFFF00000000]) | value
    return value | BOX


def operands(rng: random.Random, i: int, d: int) -> tuple:
    name, kind = OPS[i]
    if kind == "i":
        return random_int(rng), 0, 0
    if kind == "cvt":                                         # the source has the other width
        return boxed(rng, random_float(rng, 1 - d), 1 - d), 0, 0
    a, b, c = (random_float(rng, d) for _ in range(3))
    p = 53 if d else 24
    bias = 1023 if d else 127
    fbits = p - 1
    roll = rng.random()
    if name in ("fadd", "fsub") and roll < 0.4:
        # exponents p-ish apart, or equal: alignment, cancellation and ties
        e = (a >> fbits) & ((1 << (11 if d else 8)) - 1)
        de = rng.choice([0, 1, 2, p - 1, p, p + 1, p + 2, rng.randint(0, 2 * p)])
        e2 = max(0, e - de)
        b = (rng.getrandbits(1) << (63 if d else 31)) | (e2 << fbits) | rng.getrandbits(fbits)
    if kind == "f3" and roll < 0.4:
        # c close to -(a * b): massive cancellation in the fused operation
        import downstairs.machine.core.softfloat as sf
        prod = sf.mul(d, a, b, 0)
        sf.take_flags()
        c = prod ^ ((1 << 63) if d else (1 << 31))
        if rng.random() < 0.5:
            c ^= rng.getrandbits(3)
    if name in ("fmul", "fdiv") and roll < 0.3:
        # results near the underflow / overflow thresholds
        target = rng.choice([1 - bias, 2 - bias, -bias, bias, bias + 1, -bias - p // 2])
        ea = (a >> fbits) & ((1 << (11 if d else 8)) - 1)       # biased exponents
        eb = ea - target if name == "fdiv" else target - ea + 2 * bias
        if 1 <= eb < (2047 if d else 255):
            b = (b & ~(((1 << (11 if d else 8)) - 1) << fbits)) | (eb << fbits)
    if name in ("fmul", "fdiv", "fmadd") and 0.3 <= roll < 0.5 or kind == "cvt" and roll < 0.3:
        # results a hair below the smallest normal: tininess is decided after rounding
        t = 2.0 ** (1 - bias) * (1 - rng.randint(0, 6) * 2.0 ** -(p + 1))
        fa = rng.uniform(1, 2) * 2.0 ** rng.randint(0, 8)
        fa, fb = (t * fa, fa) if name == "fdiv" else (fa, t / fa)     # a / b or a * b near t
        if kind == "cvt":                             # the double t, narrowed to single
            return boxed(rng, encode(t, 1), 1), 0, 0
        a, b = encode(fa, d), encode(fb, d)
        if kind == "f3":
            c = encode(rng.choice([0.0, -0.0, 2.0 ** (-bias - p), -(2.0 ** (-bias - p))]), d)
    return boxed(rng, a, d), boxed(rng, b, d), boxed(rng, c, d)


def encode(x: float, d: int) -> int:
    """A Python float as a double pattern, or rounded to the nearest single."""
    if d:
        return struct.unpack("<Q", struct.pack("<d", x))[0]
    return struct.unpack("<I", struct.pack("<f", x))[0]


def cases(seed: int, per_op: int) -> list:
    """Every operation, both precisions, every rounding mode: (index, d, rm, a, b, c)."""
    rng = random.Random(seed)
    out = []
    for i, (name, kind) in enumerate(OPS):
        n = per_op if kind in ("f1", "f2", "f3", "i", "cvt") or name.startswith("fcvt") else per_op // 3
        for d in (0, 1):
            for _ in range(n):
                a, b, c = operands(rng, i, d)
                for rm in range(5):
                    out.append((i, d, rm, a, b, c))
    return out
