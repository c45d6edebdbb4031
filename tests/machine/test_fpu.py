"""The F and D extensions on the hart: instructions against QEMU, and the rules around them.

Unprivileged ISA chapters 11 and 12: every operation run as an instruction on both engines
and compared with qemu-riscv64 (result bits and fflags, static and dynamic rounding modes);
NaN boxing (12.2); fcsr and its fflags/frm views (11.2); reserved rounding modes; loads and
stores, compressed ones included (16.3-16.4). Privileged spec 3.1.6.6: mstatus.FS = Off
makes FP instructions and fcsr illegal, and writing FP state makes FS Dirty (and SD set).
"""

import random

import pytest

from downstairs.isa import encode as e
from tests.machine import fpref
from tests.machine.harness import CODE, DATA, M_TRAP, Bench, enter_mode, run_program

FFLAGS, FRM, FCSR, MSTATUS, SSTATUS = 0x001, 0x002, 0x003, 0x300, 0x100
FS_INITIAL, FS_DIRTY, FS_MASK, SD = 1 << 13, 3 << 13, 3 << 13, 1 << 63
BOX = 0xFFFFFFFF00000000
ILLEGAL = 2
DYN = 7


# ---- encodings (table 24.1 and 11.6-11.9) ----------------------------------------------------

def op_fp(funct5: int, d: int, rd: int, rs1: int, rs2: int, funct3: int) -> int:
    return (funct5 << 27) | (d << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x53


def r4(opcode: int, d: int, rd: int, rs1: int, rs2: int, rs3: int, rm: int) -> int:
    return (rs3 << 27) | (d << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode


def fload(d: int, rd: int, rs1: int, imm: int) -> int:
    return e.i_type(0x07, 3 if d else 2, rd, rs1, imm)


def fstore(d: int, rs2: int, rs1: int, imm: int) -> int:
    return e.s_type(0x27, 3 if d else 2, rs1, rs2, imm)


def fmv_to_f(d: int, rd: int, rs1: int) -> int:        # fmv.w.x / fmv.d.x
    return op_fp(0x1E, d, rd, rs1, 0, 0)


def fmv_to_x(d: int, rd: int, rs1: int) -> int:        # fmv.x.w / fmv.x.d
    return op_fp(0x1C, d, rd, rs1, 0, 0)


def fadd(d: int, rd: int, rs1: int, rs2: int, rm: int = DYN) -> int:
    return op_fp(0x00, d, rd, rs1, rs2, rm)


def instruction(index: int, d: int, rm: int) -> int:
    """The instruction of fpref.OPS[index]: FP operands f1, f2, f3 (an integer one in x5);
    the result in f4, or in x12 when it is an integer."""
    name, _ = fpref.OPS[index]
    simple = {"fadd": 0, "fsub": 1, "fmul": 2, "fdiv": 3}
    if name in simple:
        return op_fp(simple[name], d, 4, 1, 2, rm)
    if name == "fsqrt":
        return op_fp(0x0B, d, 4, 1, 0, rm)
    fused = {"fmadd": 0x43, "fmsub": 0x47, "fnmsub": 0x4B, "fnmadd": 0x4F}
    if name in fused:
        return r4(fused[name], d, 4, 1, 2, 3, rm)
    fixed = {"fmin": (0x05, 0), "fmax": (0x05, 1), "fsgnj": (0x04, 0), "fsgnjn": (0x04, 1),
             "fsgnjx": (0x04, 2)}
    if name in fixed:
        funct5, funct3 = fixed[name]
        return op_fp(funct5, d, 4, 1, 2, funct3)
    compare = {"feq": 2, "flt": 1, "fle": 0}
    if name in compare:
        return op_fp(0x14, d, 12, 1, 2, compare[name])
    if name == "fclass":
        return op_fp(0x1C, d, 12, 1, 0, 1)
    if name == "fmv.x":
        return fmv_to_x(d, 12, 1)
    kinds = ["w", "wu", "l", "lu"]
    if name.startswith("fcvt.from."):
        return op_fp(0x1A, d, 4, 5, kinds.index(name[10:]), rm)
    if name == "fcvt.other":
        return op_fp(0x08, d, 4, 1, 0 if d else 1, rm)
    return op_fp(0x18, d, 12, 1, kinds.index(name[5:]), rm)


def fp_bench(engine) -> Bench:
    bench = Bench(engine)
    bench.hart.mstatus |= FS_INITIAL
    return bench


# ---- every operation through the hart, against QEMU -------------------------------------------

SLOT = CODE + 20                        # the sixth word of the program below


@pytest.fixture(scope="module")
def hart_cases(tmp_path_factory):
    exe = fpref.build(tmp_path_factory.mktemp("fpref"))
    cases = fpref.cases(7, 12)
    return cases, fpref.run_qemu(exe, cases)


def test_instructions_match_qemu(engine, hart_cases):
    """Operands go in with fmv.d.x, the rounding mode into frm; half of the cases name the
    rounding mode in the instruction instead (with a different, valid frm)."""
    cases, expected = hart_cases
    bench = fp_bench(engine)
    words = [fmv_to_f(1, 1, 5), fmv_to_f(1, 2, 6), fmv_to_f(1, 3, 7),
             e.csr("csrrw", 0, FRM, 8), e.csr("csrrwi", 0, FFLAGS, 0), e.i("addi", 0, 0, 0),
             e.csr("csrrs", 10, FFLAGS, 0), fmv_to_x(1, 11, 4)]
    bench.program(words)
    rng = random.Random(1)
    wrong = []
    for k, (case, want) in enumerate(zip(cases, expected)):
        index, d, rm, a, b, c = case
        static = k % 2 == 1
        bench.write_words(SLOT, [instruction(index, d, rm if static else DYN)])
        bench.hart.pc = CODE
        bench.set_regs({5: a, 6: b, 7: c, 8: (rm + rng.randint(1, 4)) % 5 if static else rm, 12: 0})
        bench.hart.set_freg(4, 0)
        bench.run_to_end()
        kind = fpref.OPS[index][1]
        result = bench.reg(12) if kind in ("x1", "x2", "mv") else bench.reg(11)
        if (result, bench.reg(10)) != tuple(want):
            wrong.append(f"{fpref.OPS[index][0]}.{'d' if d else 's'} rm={rm} static={static} "
                         f"a={a:#x} b={b:#x} c={c:#x}: got {result:#x}/{bench.reg(10):#x}, "
                         f"QEMU {want[0]:#x}/{want[1]:#x}")
    assert not wrong, f"{len(wrong)} of {len(cases)} differ:\n" + "\n".join(wrong[:12])


# ---- NaN boxing (12.2) --------------------------------------------------------------------------

def test_unboxed_single_reads_as_canonical_nan(engine):
    bench = fp_bench(engine)
    bench.program([fadd(0, 2, 1, 1), op_fp(0x04, 0, 3, 1, 4, 0),     # fadd.s; fsgnj.s f3, f1, f4
                   fmv_to_x(0, 10, 1), fstore(0, 1, 9, 0), fload(0, 5, 9, 0),
                   op_fp(0x08, 1, 6, 1, 0, 0)])                      # fcvt.d.s f6, f1
    bench.set_regs({9: DATA})
    bench.hart.set_freg(1, 0x000000003F800000)                       # 1.0f, not boxed
    bench.hart.set_freg(4, BOX | 0x80000000)                         # -0.0f
    bench.run_to_end()
    assert bench.hart.freg(2) == BOX | 0x7FC00000                    # canonical NaN, boxed
    assert bench.hart.freg(3) == BOX | 0xFFC00000                    # sign injected into it
    assert bench.reg(10) == 0x3F800000                               # fmv.x.w: the raw bits
    assert bench.read_u32(DATA) == 0x3F800000                        # fsw: the raw bits
    assert bench.hart.freg(5) == BOX | 0x3F800000                    # flw boxes
    assert bench.hart.freg(6) == 0x7FF8000000000000                  # canonical double NaN
    assert bench.csr_read(FFLAGS) == 0                               # a quiet NaN: no NV


def test_single_results_are_boxed(engine):
    bench = fp_bench(engine)
    bench.program([fmv_to_f(0, 1, 5), fadd(0, 2, 1, 1), fmv_to_x(0, 6, 2), fmv_to_x(1, 7, 2)])
    bench.set_regs({5: 0xFFFFFFFF_C0000000})                          # -2.0f, upper bits ignored
    bench.run_to_end()
    assert bench.hart.freg(1) == BOX | 0xC0000000
    assert bench.reg(6) == 0xFFFFFFFF_C0800000                        # -4.0f sign-extended
    assert bench.reg(7) == BOX | 0xC0800000


# ---- mstatus.FS (privileged 3.1.6.6) --------------------------------------------------------

OFF_CASES = {
    "fadd.d": fadd(1, 1, 2, 3), "fmv.d.x": fmv_to_f(1, 1, 5), "fmv.x.w": fmv_to_x(0, 5, 1),
    "fld": fload(1, 1, 9, 0), "fsw": fstore(0, 1, 9, 0), "fmadd.s": r4(0x43, 0, 1, 2, 3, 4, 0),
    "csrr fflags": e.csr("csrrs", 5, FFLAGS, 0), "csrw frm": e.csr("csrrw", 0, FRM, 5),
    "csrr fcsr": e.csr("csrrs", 5, FCSR, 0),
}


@pytest.mark.parametrize("name", list(OFF_CASES))
def test_fs_off_makes_fp_illegal(engine, name):
    bench = Bench(engine)
    assert bench.hart.mstatus & FS_MASK == 0                          # reset: Off
    bench.program([OFF_CASES[name]])
    bench.set_regs({9: DATA})
    bench.run_to_trap()
    assert bench.hart.mcause == ILLEGAL and bench.hart.mtval == OFF_CASES[name]
    assert bench.hart.mepc == CODE


def test_fs_off_compressed_reports_the_parcel(engine):
    c_fld = e.c_ld(8, 9, 8) ^ (2 << 13)
    bench = Bench(engine)
    bench.program([c_fld])
    bench.set_regs({9: DATA})
    bench.run_to_trap()
    assert bench.hart.mcause == ILLEGAL and bench.hart.mtval == c_fld


@pytest.mark.parametrize("name,words,dirty", [
    ("fmv.w.x", [fmv_to_f(0, 1, 0)], True),
    ("flw", [fload(0, 1, 9, 0)], True),
    ("csrw fflags", [e.csr("csrrwi", 0, FFLAGS, 0)], True),
    ("csrw frm", [e.csr("csrrwi", 0, FRM, 1)], True),
    ("flt raising NV", [op_fp(0x14, 1, 5, 1, 1, 1)], True),
    ("fsd", [fstore(1, 1, 9, 0)], False),
    ("fmv.x.d", [fmv_to_x(1, 5, 1)], False),
    ("feq without flags", [op_fp(0x14, 1, 5, 2, 2, 2)], False),
    ("csrr fcsr", [e.csr("csrrs", 5, FCSR, 0)], False),
])
def test_fs_becomes_dirty_on_writes_only(engine, name, words, dirty):
    bench = fp_bench(engine)
    bench.program(words)
    bench.set_regs({9: DATA})
    bench.hart.set_freg(1, 0x7FF8000000000000)                        # a quiet NaN for flt
    bench.run_to_end()
    status = bench.csr_read(MSTATUS)
    assert status & FS_MASK == (FS_DIRTY if dirty else FS_INITIAL)
    assert bool(status & SD) == dirty
    assert bool(bench.csr_read(SSTATUS) & SD) == dirty


def test_fs_is_writable_from_m_and_s(engine):
    bench = run_program(engine, [e.csr("csrrs", 0, MSTATUS, 5), e.csr("csrrs", 6, MSTATUS, 0),
                                 e.csr("csrrc", 0, SSTATUS, 5), e.csr("csrrs", 7, SSTATUS, 0)],
                        {5: FS_DIRTY})
    assert bench.reg(6) & FS_MASK == FS_DIRTY and bench.reg(6) & SD
    assert bench.reg(7) & FS_MASK == 0 and not bench.reg(7) & SD


def test_user_mode_fp_with_fs_on(engine):
    bench = fp_bench(engine)
    enter_mode(bench, 0, [fmv_to_f(1, 1, 5), fadd(1, 2, 1, 1), fmv_to_x(1, 6, 2),
                          e.csr("csrrs", 7, FCSR, 0)])
    bench.set_regs({5: 0x3FF0000000000000})
    bench.run_to_end()
    assert bench.reg(6) == 0x4000000000000000 and bench.reg(7) == 0


# ---- fcsr, fflags, frm (11.2) ---------------------------------------------------------------

def test_fcsr_views(engine):
    bench = fp_bench(engine)
    bench.program([
        e.csr("csrrw", 0, FCSR, 5), e.csr("csrrs", 10, FFLAGS, 0), e.csr("csrrs", 11, FRM, 0),
        e.csr("csrrwi", 0, FRM, 2), e.csr("csrrs", 12, FCSR, 0),
        e.csr("csrrw", 0, FFLAGS, 6), e.csr("csrrs", 13, FCSR, 0),
        e.csr("csrrci", 14, FFLAGS, 0x10), e.csr("csrrs", 15, FCSR, 0),
    ])
    bench.set_regs({5: 0xFFFF, 6: 0xE5})
    bench.run_to_end()
    assert (bench.reg(10), bench.reg(11)) == (0x1F, 7)
    assert bench.reg(12) == (2 << 5) | 0x1F
    assert bench.reg(13) == (2 << 5) | 0x05
    assert bench.reg(14) == 0x05 and bench.reg(15) == (2 << 5) | 0x05


def test_flags_accrue(engine):
    bench = fp_bench(engine)
    bench.program([op_fp(0x03, 1, 3, 1, 2, DYN), fadd(1, 4, 5, 5), e.csr("csrrs", 10, FFLAGS, 0)])
    bench.hart.set_freg(1, 0x3FF0000000000000)                        # 1 / 0: DZ
    bench.hart.set_freg(5, 0x3FB999999999999A)                        # 0.1 + 0.1 is exact: no flag
    bench.run_to_end()
    assert bench.reg(10) == 0x08
    assert bench.hart.freg(3) == 0x7FF0000000000000


@pytest.mark.parametrize("rm,frm,legal", [
    (5, 0, False), (6, 0, False), (DYN, 5, False), (DYN, 6, False), (DYN, 7, False),
    (DYN, 4, True), (0, 7, True), (4, 5, True),
])
def test_reserved_rounding_modes(engine, rm, frm, legal):
    words = [fadd(1, 1, 2, 3, rm)]
    bench = fp_bench(engine)
    bench.program(words)
    bench.hart.frm = frm
    pc = bench.run()
    assert (pc == bench.end) == legal
    if not legal:
        assert bench.hart.mcause == ILLEGAL and bench.hart.mtval == words[0]


def test_no_rounding_mode_no_rm_check(engine):
    """fsgnj, fmin, compares and moves use funct3 as an opcode: frm = 7 does not matter."""
    bench = fp_bench(engine)
    bench.program([op_fp(0x04, 1, 1, 2, 3, 0), op_fp(0x05, 1, 1, 2, 3, 1),
                   op_fp(0x14, 1, 5, 2, 3, 2), fmv_to_f(1, 1, 0)])
    bench.hart.frm = 7
    bench.run_to_end()


@pytest.mark.parametrize("word", [
    op_fp(0x00, 2, 1, 2, 3, 0),          # fmt 2 (half): not implemented
    op_fp(0x00, 3, 1, 2, 3, 0),          # fmt 3 (quad)
    op_fp(0x0B, 1, 1, 2, 1, 0),          # fsqrt with rs2 != 0
    op_fp(0x04, 1, 1, 2, 3, 3),          # fsgnj funct3 3
    op_fp(0x05, 1, 1, 2, 3, 2),          # fmin/fmax funct3 2
    op_fp(0x14, 1, 1, 2, 3, 3),          # compare funct3 3
    op_fp(0x18, 1, 1, 2, 4, 0),          # fcvt to int, rs2 4
    op_fp(0x08, 1, 1, 2, 1, 0),          # fcvt.d.d
    op_fp(0x1C, 1, 1, 2, 0, 2),          # fmv.x/fclass funct3 2
    op_fp(0x1E, 1, 1, 2, 1, 0),          # fmv.d.x with rs2 != 0
    e.i_type(0x07, 1, 1, 2, 0),          # LOAD-FP width 1 (flh without Zfh)
    e.s_type(0x27, 4, 2, 1, 0),          # STORE-FP width 4 (fsq)
    r4(0x43, 2, 1, 2, 3, 4, 0),          # fmadd.h
])
def test_reserved_encodings_are_illegal(engine, word):
    bench = fp_bench(engine)
    bench.program([word])
    bench.run_to_trap()
    assert bench.hart.mcause == ILLEGAL and bench.hart.mtval == word


# ---- loads and stores ------------------------------------------------------------------------

def test_loads_and_stores(engine):
    bench = fp_bench(engine)
    bench.write_u64(DATA, 0x400921FB54442D18)                         # pi
    bench.write_u64(DATA + 8, 0x11223344_40490FDB)                    # pi as a single, low word
    bench.program([fload(1, 1, 9, 0), fload(0, 2, 9, 8), fstore(1, 1, 9, 16), fstore(0, 2, 9, 24),
                   fstore(1, 2, 9, 32), fload(1, 3, 9, 16), fload(0, 4, 9, 13)])
    bench.write_u64(DATA + 24, 0xAAAAAAAA_AAAAAAAA)
    bench.set_regs({9: DATA})
    bench.run_to_end()
    assert bench.hart.freg(1) == 0x400921FB54442D18
    assert bench.hart.freg(2) == BOX | 0x40490FDB
    assert bench.read_u64(DATA + 16) == 0x400921FB54442D18
    assert bench.read_u64(DATA + 24) == 0xAAAAAAAA_40490FDB            # fsw writes 4 bytes
    assert bench.read_u64(DATA + 32) == BOX | 0x40490FDB               # fsd: all 64 bits
    assert bench.hart.freg(3) == 0x400921FB54442D18
    assert bench.hart.freg(4) == BOX | 0x18112233                      # misaligned flw


def test_compressed_loads_and_stores(engine):
    c_fld = e.c_ld(8, 9, 8) ^ (2 << 13)             # c.fld f8, 8(s1)
    c_fsd = e.c_sd(8, 9, 16) ^ (2 << 13)            # c.fsd f8, 16(s1)
    c_fldsp = e.c_ldsp(20, 24) ^ (2 << 13)          # c.fldsp f20, 24(sp)
    c_fsdsp = e.c_sdsp(20, 32) ^ (2 << 13)          # c.fsdsp f20, 32(sp)
    bench = fp_bench(engine)
    bench.write_u64(DATA + 8, 0x3FF0000000000000)
    bench.write_u64(DATA + 24, 0xC000000000000000)
    bench.program([c_fld, c_fsd, c_fldsp, c_fsdsp])
    bench.set_regs({9: DATA, 2: DATA})
    bench.run_to_end()
    assert bench.hart.freg(8) == 0x3FF0000000000000
    assert bench.read_u64(DATA + 16) == 0x3FF0000000000000
    assert bench.hart.freg(20) == 0xC000000000000000
    assert bench.read_u64(DATA + 32) == 0xC000000000000000


def test_load_fault_leaves_register(engine):
    bench = fp_bench(engine)
    bench.program([fload(1, 1, 9, 0)])
    bench.set_regs({9: 0x10})                                         # nothing there
    bench.hart.set_freg(1, 1234)
    bench.run_to_trap()
    assert bench.hart.mcause == 5 and bench.hart.mtval == 0x10        # load access fault
    assert bench.hart.freg(1) == 1234
    assert bench.hart.mstatus & FS_MASK == FS_INITIAL


# ---- compiled code: what gcc makes of ordinary floating-point C ------------------------------

KERNEL_FLAGS = ["-O2", "-fno-math-errno", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany",
                "-nostdlib", "-static", "-ffreestanding", "-Wl,--no-relax"]
KERNEL_TEXT = CODE + 0x4000
KERNEL_WORDS = 11


def test_compiled_c_matches_qemu(engine, tmp_path):
    """fpref/kernel.c (harmonic sums, Newton's square root, a Mandelbrot count, a float dot
    product by fused multiply-adds, int/float conversions both ways, compares, fmin/fmax,
    the accrued fflags) as gcc compiles it: bare metal on the hart, Linux user mode on QEMU."""
    import struct
    import subprocess

    from elftools.elf.elffile import ELFFile

    fpref.build(tmp_path)                                             # skips without the tools
    source = str(fpref.HERE / "kernel.c")
    user, bare = tmp_path / "user", tmp_path / "bare"
    subprocess.run(["riscv64-unknown-elf-gcc", *KERNEL_FLAGS, "-DUSER", "-o", str(user), source],
                   check=True, capture_output=True)
    subprocess.run(["riscv64-unknown-elf-gcc", *KERNEL_FLAGS, f"-Wl,-Ttext={KERNEL_TEXT:#x}",
                    "-Wl,-e,_start", "-o", str(bare), source], check=True, capture_output=True)
    out = subprocess.run(["qemu-riscv64", str(user)], capture_output=True, check=True).stdout
    expected = list(struct.unpack(f"<{KERNEL_WORDS}Q", out))

    bench = fp_bench(engine)
    with open(bare, "rb") as f:
        elf = ELFFile(f)
        for segment in elf.iter_segments():
            if segment["p_type"] == "PT_LOAD":
                bench.write(segment["p_paddr"], segment.data())
        bench.hart.pc = elf["e_entry"]
    for _ in range(2000):
        if bench.hart.pc == M_TRAP:
            break
        engine.run(bench.hart, 5000)
    assert bench.hart.pc == M_TRAP and bench.hart.mcause == 3         # the final ebreak
    got = [bench.read_u64(DATA + 8 * k) for k in range(KERNEL_WORDS)]
    assert [hex(v) for v in got] == [hex(v) for v in expected]
