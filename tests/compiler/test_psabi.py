"""Compiled functions keep the RISC-V psABI calling convention, so C can call them.

The functions of examples/mathlib.py (compiled with no entry code) run one call at a time in
unicorn's RV64 CPU, called the way C calls: arguments in a0..a7, return address in ra, a
16-byte aligned sp. On return a0 must hold the result, and sp, s0..s11 and gp/tp must be as
the caller left them.
"""

import os

import pytest
from unicorn import Uc, UC_ARCH_RISCV, UC_MODE_RISCV64
from unicorn import riscv_const as R

from downstairs.compiler.driver import Options, compile_file

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")
BASE = 0x80000000
STACK_TOP = 0x80180000
RETURN = 0x80200000           # the caller's return address: emulation stops there
SAVED = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "gp", "tp"]
REG = {"ra": R.UC_RISCV_REG_RA, "sp": R.UC_RISCV_REG_SP, "gp": R.UC_RISCV_REG_GP, "tp": R.UC_RISCV_REG_TP,
       **{f"s{k}": getattr(R, f"UC_RISCV_REG_S{k}") for k in range(12)},
       **{f"a{k}": getattr(R, f"UC_RISCV_REG_A{k}") for k in range(8)}}


@pytest.fixture(scope="module")
def library():
    image = compile_file(os.path.join(EXAMPLES, "mathlib.py"), Options(base=BASE, entry=None))
    return image, {name: addr for name, addr, size, kind, sec in image.symbols}


def call(library, name, *args):
    image, symbols = library
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    uc.mem_map(BASE, 0x100000)
    uc.mem_write(BASE, image.text + image.data)
    uc.mem_map(STACK_TOP - 0x10000, 0x10000)
    uc.mem_map(RETURN, 0x1000)
    for k, value in enumerate(args):
        uc.reg_write(REG[f"a{k}"], value & (2 ** 64 - 1))
    sentinels = {reg: 0x5A5A0000 + k for k, reg in enumerate(SAVED)}
    for reg, value in sentinels.items():
        uc.reg_write(REG[reg], value)
    uc.reg_write(REG["sp"], STACK_TOP)
    uc.reg_write(REG["ra"], RETURN)
    uc.emu_start(symbols[name], RETURN, count=10_000_000)
    assert uc.reg_read(R.UC_RISCV_REG_PC) == RETURN
    assert uc.reg_read(REG["sp"]) == STACK_TOP
    for reg, value in sentinels.items():
        assert uc.reg_read(REG[reg]) == value, f"{name} did not keep {reg}"
    result = uc.reg_read(REG["a0"])
    return result - 2 ** 64 if result >> 63 else result


def test_leaf_loop(library):
    assert call(library, "gcd", 1071, 462) == 21


def test_recursion_keeps_callee_saved_registers(library):
    assert call(library, "fib", 15) == 610
    assert call(library, "ackermann", 2, 2) == 7


def test_signed_arguments_and_results(library):
    assert call(library, "power", -3, 5) == -243
    assert call(library, "power", -2, 63) == -(2 ** 63)
