"""Debug triggers (Sdtrig, RISC-V Debug Specification 1.0 chapter 5), and the debugger's
breakpoints beside them.

A trigger watches addresses: the pc of each instruction (execute), or the addresses a load or
store touches. tselect picks one of TRIGGER_COUNT; tdata1 says what it matches and what it
does (consts.py draws its bits), tdata2 holds the address. Two types, as QEMU 7.2's harts
have: mcontrol (2) and mcontrol6 (6), both matching `tdata2 == address` at the privilege
levels whose U/S/M bits are set. A match raises a breakpoint exception (action 0) before
the instruction or access happens, with tval 0 as QEMU reports it; the handler sees mepc at
the instruction. What a write may set is QEMU's WARL choice: action, chain, match, timing,
select and dmode read back as 0, so do sizes other than any/8/16/32/64 bits, a write of
type 0 leaves a disabled mcontrol and any other type is ignored.

The debugger (gdb's stub, machine/gdbstub.py) uses the same triggers for its hardware
breakpoints and watchpoints, as an external debugger uses a real hart's: it writes them
with dmode = 1 (which M-mode can then no longer change) and action = 1, "enter Debug Mode",
which here stops the hart for the debugger (Hart.halt) instead of trapping. Like every
trigger here, they fire before the instruction or access, which is what gdb expects of a
RISC-V watchpoint (it then steps over the store itself and compares the values). Its software
breakpoints (gdb's Z0) are not written into memory as ebreak: the hart keeps their
addresses and stops before fetching there, as QEMU's stub does.

Costs nothing when nothing is armed: update() keeps two flags. With an execute trigger or
breakpoint armed, fetches of the watched pcs are never cached (execute.fetch asks
fetch_check each time they run); with a load or store trigger armed, the pages it watches
stay out of the TLB (memory.to_physical) so every access there takes the slow path, which
asks data_check.
"""

import cython

from downstairs.machine.core import trap
from downstairs.machine.core.consts import (
    ACCESS_LOAD, BREAKPOINT_COUNT, CSR_TDATA1, CSR_TDATA2,
    CSR_TINFO, CSR_TSELECT, EXC_BREAKPOINT, HALT_BREAKPOINT, HALT_TRIGGER,
    HALT_WATCH, MASK64, SIGN64, TRIGGER_ACTION_SHIFT, TRIGGER_COUNT, TRIGGER_DMODE, TRIGGER_EXECUTE,
    TRIGGER_INFO, TRIGGER_LOAD, TRIGGER_M, TRIGGER_MATCH_SHIFT, TRIGGER_MCONTROL,
    TRIGGER_MCONTROL6, TRIGGER_S, TRIGGER_STORE, TRIGGER_TYPE_SHIFT,
    TRIGGER_U, TRIGGER_VS, TRIGGER_VU,
)
from downstairs.machine.core.state import Hart

# Where a fetch stands (fetch_check): nobody watches this pc; it is watched but nothing fires
# now (decode it uncached, so the next time is checked too); a trigger or breakpoint fired.
FETCH_FREE, FETCH_WATCHED, FETCH_STOPPED = 0, 1, 2
MODES = TRIGGER_U | TRIGGER_S | TRIGGER_M
KINDS = TRIGGER_LOAD | TRIGGER_STORE | TRIGGER_EXECUTE
SIZE_LO, SIZE_HI, SIZE6 = 3 << 16, 3 << 21, 0xF << 16


# ---- the CSRs --------------------------------------------------------------------------

def read(h: Hart, number: cython.int) -> cython.ulonglong:
    """tselect, tdata1-3 (of the selected trigger) or tinfo, as M-mode reads them."""
    if number == CSR_TSELECT:
        return h.tselect
    if number == CSR_TDATA1:
        return h.tdata1[h.tselect]
    if number == CSR_TDATA2:
        return h.tdata2[h.tselect]
    if number == CSR_TINFO:
        return TRIGGER_INFO
    return 0                                           # tdata3: no textra conditions


def write(h: Hart, number: cython.int, value: cython.ulonglong) -> None:
    """A write by the hart (M-mode, never in Debug Mode): tselect past the last trigger is
    ignored; a trigger the debugger owns (dmode = 1) cannot be changed; tdata3 and tinfo
    hold nothing writable."""
    if number == CSR_TSELECT:
        if value < TRIGGER_COUNT:
            h.tselect = value
        return
    index: cython.int = h.tselect
    if h.tdata1[index] & TRIGGER_DMODE:
        return
    if number == CSR_TDATA1:
        legal: cython.ulonglong = legal_tdata1(value, False)
        if legal != 0:
            h.tdata1[index] = legal
    elif number == CSR_TDATA2:
        h.tdata2[index] = value
    update(h)


def size_code(value: cython.ulonglong) -> cython.int:
    """The access size field of an mcontrol or mcontrol6 value: 0 any, 1-3 and 5 for 8, 16,
    32 and 64 bits (4, 48 bits, and the longer ones are not supported here or on QEMU)."""
    if value >> TRIGGER_TYPE_SHIFT == TRIGGER_MCONTROL:
        return ((value & SIZE_HI) >> 19) | ((value & SIZE_LO) >> 16)
    return (value & SIZE6) >> 16


def legal_tdata1(value: cython.ulonglong, debugger: cython.bint) -> cython.ulonglong:
    """What tdata1 holds after a write of `value` (WARL, QEMU 7.2's choices: this file's
    docstring); 0 when the write is to be ignored. The debugger may also set dmode, action
    1 (halt) and match 1 (NAPOT)."""
    kind: cython.ulonglong = value >> TRIGGER_TYPE_SHIFT
    if kind == 0:
        return cython.cast(cython.ulonglong, TRIGGER_MCONTROL) << TRIGGER_TYPE_SHIFT
    if kind != TRIGGER_MCONTROL and kind != TRIGGER_MCONTROL6:
        return 0
    legal: cython.ulonglong = (kind << TRIGGER_TYPE_SHIFT) | (value & (KINDS | MODES))
    size: cython.int = size_code(value)
    if size <= 3 or size == 5:
        legal |= value & ((SIZE_LO | SIZE_HI) if kind == TRIGGER_MCONTROL else SIZE6)
    if kind == TRIGGER_MCONTROL6:
        legal |= value & (TRIGGER_VU | TRIGGER_VS)
    if debugger:
        legal |= value & TRIGGER_DMODE
        if (value >> TRIGGER_ACTION_SHIFT) & 0xF == 1:
            legal |= cython.cast(cython.ulonglong, 1) << TRIGGER_ACTION_SHIFT
        if (value >> TRIGGER_MATCH_SHIFT) & 0xF == 1:
            legal |= cython.cast(cython.ulonglong, 1) << TRIGGER_MATCH_SHIFT
    return legal


# ---- what is armed ---------------------------------------------------------------------

def span(h: Hart, index: cython.int) -> cython.ulonglong:
    """How many bytes from tdata2 trigger `index` matches: 1 for match 0 (equal), the NAPOT
    range's size for match 1 (tdata2's trailing ones, plus one, say half of it)."""
    if (h.tdata1[index] >> TRIGGER_MATCH_SHIFT) & 0xF != 1:
        return 1
    ones: cython.int = 0
    while ones < 63 and (h.tdata2[index] >> ones) & 1:
        ones += 1
    return cython.cast(cython.ulonglong, 1) << (ones + 1)


def base(h: Hart, index: cython.int) -> cython.ulonglong:
    """The first address trigger `index` matches (a NAPOT range's low bits are its size)."""
    return h.tdata2[index] & ~(span(h, index) - 1) & MASK64


def update(h: Hart) -> None:
    """After any change to a trigger or breakpoint: recompute what is armed (the flags the
    fetch and TLB paths test) and forget the translations and decoded instructions made
    without looking, so watched pcs and pages take the checked paths from now on."""
    i: cython.int
    h.debug_fetch = h.breakpoint_count > 0
    h.debug_data = 0
    h.watch_lo = MASK64
    h.watch_hi = 0
    for i in range(TRIGGER_COUNT):
        control: cython.ulonglong = h.tdata1[i]
        if not control & MODES:
            continue
        if control & TRIGGER_EXECUTE:
            h.debug_fetch = 1
        if control & (TRIGGER_LOAD | TRIGGER_STORE):
            h.debug_data = 1
            h.watch_lo = min(h.watch_lo, base(h, i))
            h.watch_hi = max(h.watch_hi, base(h, i) + span(h, i))
    h.flush_tlb()


def page_watched(h: Hart, vpage: cython.ulonglong) -> cython.bint:
    """Whether a data trigger might match an access to the page at virtual address vpage
    (such pages stay out of the TLB)."""
    return h.debug_data != 0 and vpage < h.watch_hi and vpage + 0x1000 > h.watch_lo


# ---- matching ----------------------------------------------------------------------------

def hits(h: Hart, index: cython.int, addr: cython.ulonglong, size: cython.ulonglong,
         kind: cython.ulonglong) -> cython.bint:
    """Whether trigger `index` matches an access of `size` bytes at addr of `kind` (load,
    store or execute bit) at the hart's privilege: one of the accessed bytes is in the range
    it watches, and a size it names is the access's."""
    control: cython.ulonglong = h.tdata1[index]
    if not control & kind or not (control >> (3 + h.priv)) & 1:
        return False
    wanted: cython.int = size_code(control)
    if wanted != 0 and kind != TRIGGER_EXECUTE:
        if size != (8 if wanted == 5 else 1 << (wanted - 1)):
            return False
    start: cython.ulonglong = base(h, index)
    return addr < start + span(h, index) and start < addr + size


def fire(h: Hart, index: cython.int) -> None:
    """Trigger `index` matched, before its instruction or access: a breakpoint exception
    (action 0), or for the debugger's (action 1) a halt with the pc at the instruction."""
    control: cython.ulonglong = h.tdata1[index]
    if (control >> TRIGGER_ACTION_SHIFT) & 0xF == 0:
        trap.exception(h, EXC_BREAKPOINT, 0)
        return
    if control & TRIGGER_EXECUTE:
        h.halt = HALT_TRIGGER
    else:
        h.halt = HALT_WATCH
    h.halt_addr = base(h, index)
    h.device_access = 1                               # the run ends: the board looks
    h.trapped = 1                                     # the instruction does not retire


def fetch_check(h: Hart, pc: cython.ulonglong) -> cython.int:
    """Before the instruction at pc runs (only while something is armed: h.debug_fetch):
    FETCH_STOPPED after a breakpoint or execute trigger fired (an exception taken or the
    hart halted, pc left at the instruction), FETCH_WATCHED if one watches pc but does not
    fire now, FETCH_FREE otherwise."""
    i: cython.int
    for i in range(h.breakpoint_count):
        if h.breakpoints[i] == pc:
            h.pc = pc
            h.halt = HALT_BREAKPOINT
            h.halt_addr = pc
            h.device_access = 1
            h.trapped = 1
            return FETCH_STOPPED
    watched: cython.bint = False
    for i in range(TRIGGER_COUNT):
        if h.tdata1[i] & TRIGGER_EXECUTE and h.tdata1[i] & MODES:
            start: cython.ulonglong = base(h, i)
            if start <= pc < start + span(h, i):
                watched = True
                if hits(h, i, pc, 1, TRIGGER_EXECUTE):
                    h.pc = pc
                    fire(h, i)
                    return FETCH_STOPPED
    return FETCH_WATCHED if watched else FETCH_FREE


def watches(h: Hart, pc: cython.ulonglong) -> cython.bint:
    """Whether a breakpoint or an armed execute trigger watches pc, whatever the privilege:
    execute.build_block ends a block before such a pc, which it never caches."""
    i: cython.int
    for i in range(h.breakpoint_count):
        if h.breakpoints[i] == pc:
            return True
    for i in range(TRIGGER_COUNT):
        if h.tdata1[i] & TRIGGER_EXECUTE and h.tdata1[i] & MODES:
            if base(h, i) <= pc < base(h, i) + span(h, i):
                return True
    return False


def data_check(h: Hart, vaddr: cython.ulonglong, size: cython.int, access: cython.int) -> cython.bint:
    """Before a load or store of `size` bytes at vaddr (only while h.debug_data): True when a
    trigger fired, and the access must not happen (an exception was taken, or the hart
    halted for the debugger)."""
    i: cython.int
    kind: cython.ulonglong = TRIGGER_LOAD if access == ACCESS_LOAD else TRIGGER_STORE
    for i in range(TRIGGER_COUNT):
        if hits(h, i, vaddr, size, kind):
            fire(h, i)
            return True
    return False


# ---- the debugger's side --------------------------------------------------------------

def insert_breakpoint(h: Hart, pc: cython.ulonglong) -> cython.bint:
    """gdb's Z0: stop before the instruction at virtual address pc. False when full."""
    i: cython.int
    for i in range(h.breakpoint_count):
        if h.breakpoints[i] == pc:
            return True
    if h.breakpoint_count == BREAKPOINT_COUNT:
        return False
    h.breakpoints[h.breakpoint_count] = pc
    h.breakpoint_count += 1
    update(h)
    return True


def remove_breakpoint(h: Hart, pc: cython.ulonglong) -> None:
    """gdb's z0: forget the breakpoint at pc, if there is one."""
    i: cython.int
    for i in range(h.breakpoint_count):
        if h.breakpoints[i] == pc:
            h.breakpoint_count -= 1
            h.breakpoints[i] = h.breakpoints[h.breakpoint_count]
            update(h)
            return


def debugger_control(kind: cython.ulonglong, length: cython.ulonglong) -> cython.ulonglong:
    """The tdata1 the debugger writes for a hardware breakpoint (kind = TRIGGER_EXECUTE) or a
    watchpoint on loads, stores or both over `length` bytes: an mcontrol at every privilege,
    dmode, action 1 (halt); a watchpoint longer than a byte matches a NAPOT range."""
    control: cython.ulonglong = (cython.cast(cython.ulonglong, TRIGGER_MCONTROL) << TRIGGER_TYPE_SHIFT) \
        | TRIGGER_DMODE | MODES | kind | (cython.cast(cython.ulonglong, 1) << TRIGGER_ACTION_SHIFT)
    if kind != TRIGGER_EXECUTE and length > 1:
        control |= cython.cast(cython.ulonglong, 1) << TRIGGER_MATCH_SHIFT
    return control


def napot_address(addr: cython.ulonglong, length: cython.ulonglong) -> cython.ulonglong:
    """tdata2 for a NAPOT range covering [addr, addr + length): the smallest naturally
    aligned power-of-two block holding it, its size encoded in the low bits. The block is
    at most 2^63 bytes: a range that wraps or crosses 2^63 is not covered (gdbstub refuses
    those), and the loop ends whatever it is given."""
    last: cython.ulonglong = (addr + length - 1) & MASK64
    size: cython.ulonglong = 2
    while size < SIGN64 and (addr ^ last) >= size:   # addr and last in different blocks
        size <<= 1
    return (addr & ~(size - 1)) | ((size >> 1) - 1)


def insert_trigger(h: Hart, kind: cython.ulonglong, addr: cython.ulonglong, length: cython.ulonglong) -> cython.bint:
    """gdb's Z1-Z4: claim a free trigger (one M-mode has not enabled) as the debugger's.
    False when every trigger is taken."""
    i: cython.int
    for i in range(TRIGGER_COUNT):
        if not h.tdata1[i] & (KINDS | TRIGGER_DMODE):
            h.tdata1[i] = legal_tdata1(debugger_control(kind, length), True)
            h.tdata2[i] = addr if length <= 1 or kind == TRIGGER_EXECUTE else napot_address(addr, length)
            update(h)
            return True
    return False


def remove_trigger(h: Hart, kind: cython.ulonglong, addr: cython.ulonglong, length: cython.ulonglong) -> None:
    """gdb's z1-z4: give back the debugger's trigger for this kind and address."""
    i: cython.int
    wanted: cython.ulonglong = addr if length <= 1 or kind == TRIGGER_EXECUTE else napot_address(addr, length)
    for i in range(TRIGGER_COUNT):
        if h.tdata1[i] & TRIGGER_DMODE and (h.tdata1[i] & KINDS) == kind and h.tdata2[i] == wanted:
            h.tdata1[i] = cython.cast(cython.ulonglong, TRIGGER_MCONTROL) << TRIGGER_TYPE_SHIFT
            h.tdata2[i] = 0
            update(h)
            return
