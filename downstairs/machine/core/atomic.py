"""The A extension: load-reserved/store-conditional and atomic memory operations.

Unprivileged ISA chapter 8. LR reads a word or doubleword and reserves it; SC writes only
if the reservation still holds, and writes 0 to rd on success, 1 on failure. A reservation
here is the address and the value LR read: SC succeeds when the address matches and memory
still holds that value (what QEMU does). That rule needs no bookkeeping on other stores and
works unchanged with several harts. Every SC, and every trap, drops the reservation.

AMOs read, combine with rs2 and write back in one step; with one instruction at a time
nothing can come between. aq/rl order memory among harts and are accepted as is. All of
them need natural alignment: a misaligned LR is a load-address-misaligned exception, a
misaligned SC or AMO a store/AMO-address-misaligned one (as QEMU raises them).
"""

import cython

from downstairs.machine.core import alu, memory, physmem, trap, trigger
from downstairs.machine.core.consts import (
    ACCESS_LOAD, ACCESS_STORE, EXC_ILLEGAL_INSN, EXC_LOAD_ACCESS, EXC_LOAD_MISALIGNED,
    EXC_STORE_ACCESS, EXC_STORE_MISALIGNED, MASK64, NO_ADDRESS, SIGN64,
)
from downstairs.machine.core.state import Hart

LR, SC = 0x02, 0x03
AMOSWAP, AMOADD, AMOXOR, AMOAND, AMOOR = 0x01, 0x00, 0x04, 0x0C, 0x08
AMOMIN, AMOMAX, AMOMINU, AMOMAXU = 0x10, 0x14, 0x18, 0x1C


def execute(h: Hart, insn: cython.ulonglong) -> None:
    """An AMO-major instruction (LR, SC, AMO*.W/D) at h.pc: checked (funct3, funct5,
    alignment), translated as a store (a load for LR), then read-combine-write in one step;
    rd gets the old value, sign-extended for .W. Traps leave memory and rd untouched."""
    funct3: cython.int = (insn >> 12) & 7
    funct5: cython.int = insn >> 27
    rd: cython.int = (insn >> 7) & 31
    rs1: cython.int = (insn >> 15) & 31
    rs2: cython.int = (insn >> 20) & 31
    if funct3 != 2 and funct3 != 3 or (funct5 == LR and rs2 != 0) or not known(funct5):
        trap.exception(h, EXC_ILLEGAL_INSN, insn)
        return
    size: cython.int = 4 if funct3 == 2 else 8
    addr: cython.ulonglong = h.x[rs1]
    if addr & (size - 1):
        trap.exception(h, EXC_LOAD_MISALIGNED if funct5 == LR else EXC_STORE_MISALIGNED, addr)
        return
    if h.debug_data and (funct5 != SC and trigger.data_check(h, addr, size, ACCESS_LOAD)
                         or funct5 != LR and trigger.data_check(h, addr, size, ACCESS_STORE)):
        return                                           # a debug trigger fired first
    if funct5 == SC:
        result: cython.ulonglong = store_conditional(h, addr, size, h.x[rs2])
        if not h.trapped and rd:
            h.x[rd] = result
        return
    paddr: cython.ulonglong = memory.to_physical(h, addr, size, ACCESS_LOAD if funct5 == LR else ACCESS_STORE)
    if paddr == NO_ADDRESS:
        return
    h.bus_error = 0
    old: cython.ulonglong = physmem.read(h, paddr, size)
    if h.bus_error:
        trap.exception(h, EXC_LOAD_ACCESS if funct5 == LR else EXC_STORE_ACCESS, addr)
        return
    if funct5 == LR:
        h.reserve_addr = addr
        h.reserve_value = old
    else:
        physmem.write(h, paddr, size, combine(funct5, old, h.x[rs2], size))
        if h.bus_error:
            trap.exception(h, EXC_STORE_ACCESS, addr)
            return
    if rd:
        h.x[rd] = alu.sext(old, 32) if size == 4 else old


def store_conditional(h: Hart, addr: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> cython.ulonglong:
    """SC: write value (size bytes at addr) if this hart's reservation is for addr and memory
    still holds what LR read there; 0 on success, 1 on failure. Drops the reservation."""
    reserved: cython.ulonglong = h.reserve_addr
    h.reserve_addr = NO_ADDRESS
    if reserved != addr:
        return 1
    paddr: cython.ulonglong = memory.to_physical(h, addr, size, ACCESS_STORE)
    if paddr == NO_ADDRESS:
        return 1
    h.bus_error = 0
    current: cython.ulonglong = physmem.read(h, paddr, size)
    if h.bus_error or current != h.reserve_value:
        return 1
    physmem.write(h, paddr, size, value)
    return 0


def known(funct5: cython.int) -> cython.bint:
    """Whether funct5 is one of the A extension's operations (the rest are reserved)."""
    return funct5 in (LR, SC, AMOSWAP, AMOADD, AMOXOR, AMOAND, AMOOR, AMOMIN, AMOMAX, AMOMINU, AMOMAXU)


def combine(funct5: cython.int, old: cython.ulonglong, operand: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """The value an AMO writes back. Word AMOs compare the low 32 bits as 32-bit numbers."""
    if size == 4:
        old = alu.sext(old, 32)
        operand = alu.sext(operand, 32)
    if funct5 == AMOSWAP:
        return operand
    if funct5 == AMOADD:
        return (old + operand) & MASK64
    if funct5 == AMOXOR:
        return old ^ operand
    if funct5 == AMOAND:
        return old & operand
    if funct5 == AMOOR:
        return old | operand
    if funct5 == AMOMIN:
        return old if (old ^ SIGN64) < (operand ^ SIGN64) else operand
    if funct5 == AMOMAX:
        return old if (old ^ SIGN64) > (operand ^ SIGN64) else operand
    if funct5 == AMOMINU:
        return old if old < operand else operand
    return old if old > operand else operand              # AMOMAXU
