"""How an instruction reaches memory when the TLB does not already know the way.

The slow path behind execute.py's TLB hits: pick the privilege the access is checked at
(MPRV, privileged spec 3.1.6.3), translate (mmu.py), check PMP on the physical address
(pmp.py), remember the page in the TLB when it is plain RAM whose PMP answer covers the
whole page and no debug trigger watches it (trigger.py: such accesses must come here, where
trigger.data_check sees them), and finally read or write through physmem.py. An access that crosses a page
boundary is split into bytes, each translated on its own; every byte is checked before any
is read or written, so a fault is raised once, reports the first byte that faulted, and
leaves memory (and devices) untouched. Misaligned loads and stores are allowed (as on
QEMU); misaligned atomics are not (atomic.py). Instructions are fetched only from RAM and
from devices mapped executable (the ROM): a fetch from I/O is an access fault, as on QEMU.
"""

import cython

from downstairs.machine.core import mmu, physmem, pmp, trap, trigger
from downstairs.machine.core.consts import (
    ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, EXC_INSN_ACCESS, EXC_LOAD_ACCESS,
    EXC_STORE_ACCESS, MASK64, MSTATUS_MPRV, NO_ADDRESS, PRV_M, TLB_INDEX_MASK,
)
from downstairs.machine.core.state import Hart


def access_priv(h: Hart, access: cython.int) -> cython.int:
    """Loads and stores in M-mode with MPRV set are checked as if made in mode MPP."""
    if access != ACCESS_FETCH and h.priv == PRV_M and h.mstatus & MSTATUS_MPRV:
        return (h.mstatus >> 11) & 3
    return h.priv


def to_physical(h: Hart, vaddr: cython.ulonglong, size: cython.int, access: cython.int) -> cython.ulonglong:
    """Translate and PMP-check one access inside a page; NO_ADDRESS after a fault."""
    index: cython.int = (vaddr >> 12) & TLB_INDEX_MASK
    context: cython.ulonglong = h.ctx_fetch if access == ACCESS_FETCH else h.ctx_data
    if h.tlb_vpn[access][index] == (vaddr >> 12) | context:
        return h.ram_base + ((vaddr + h.tlb_add[access][index]) & MASK64)   # checked when it was filled
    priv: cython.int = access_priv(h, access)
    paddr: cython.ulonglong = mmu.translate(h, vaddr, access, priv)
    if paddr == NO_ADDRESS:
        return NO_ADDRESS
    verdict: cython.int = 3
    if priv != PRV_M or h.pmp_entries:
        verdict = pmp.check(h, paddr, size, access, priv)
        if not verdict & 1:
            trap.exception(h, mmu.access_fault(access), vaddr)
            return NO_ADDRESS
    page: cython.ulonglong = paddr & ~cython.cast(cython.ulonglong, 0xFFF)
    if verdict & 2 and physmem.in_ram(h, page, 0x1000) and not (
            access == ACCESS_FETCH and page < h.fetch_watch_end and page + 0x1000 > h.fetch_watch_start) \
            and not (access != ACCESS_FETCH and trigger.page_watched(h, vaddr & ~cython.cast(cython.ulonglong, 0xFFF))):
        h.tlb_vpn[access][index] = (vaddr >> 12) | context
        h.tlb_add[access][index] = (page - h.ram_base - (vaddr & ~cython.cast(cython.ulonglong, 0xFFF))) & MASK64
    return paddr


def split_faults(h: Hart, vaddr: cython.ulonglong, size: cython.int, access: cython.int) -> cython.bint:
    """Before a load or store that crosses a page boundary touches anything: check each of
    its bytes, translated on its own, for a page fault, a PMP denial, or nothing there (RAM
    or a device that takes it). At the first byte that fails, raise the one exception of
    the whole access, with that byte's address as tval (the start of the faulting portion,
    privileged spec 3.1.16), and return True: then no byte may be read or written."""
    i: cython.int
    paddr: cython.ulonglong
    for i in range(size):
        paddr = to_physical(h, vaddr + i, 1, access)
        if paddr == NO_ADDRESS:
            return True
        if not physmem.backed(h, paddr, 1):
            trap.exception(h, mmu.access_fault(access), vaddr + i)
            return True
    return False


def load(h: Hart, vaddr: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """The slow path of a load of `size` bytes at vaddr (little-endian, any alignment): 0
    and `h.trapped` after a fault. One that crosses a page is read a byte at a time, after
    every byte is known to be readable (a device read can have side effects)."""
    i: cython.int
    if h.debug_data and trigger.data_check(h, vaddr, size, ACCESS_LOAD):
        return 0                                     # a trigger fired before the access
    if (vaddr & 0xFFF) + size > 0x1000:
        if split_faults(h, vaddr, size, ACCESS_LOAD):
            return 0
        value: cython.ulonglong = 0
        for i in range(size):
            byte: cython.ulonglong = load(h, vaddr + i, 1)
            if h.trapped:
                return 0
            value |= byte << (8 * i)
        return value
    paddr: cython.ulonglong = to_physical(h, vaddr, size, ACCESS_LOAD)
    if paddr == NO_ADDRESS:
        return 0
    h.bus_error = 0
    result: cython.ulonglong = physmem.read(h, paddr, size)
    if h.bus_error:
        trap.exception(h, EXC_LOAD_ACCESS, vaddr)
        return 0
    return result


def store(h: Hart, vaddr: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> None:
    """The slow path of a store of the low `size` bytes of value at vaddr (any alignment);
    `h.trapped` after a fault, which then has written nothing. One that crosses a page is
    written a byte at a time, after every byte is known to be writable."""
    i: cython.int
    if h.debug_data and trigger.data_check(h, vaddr, size, ACCESS_STORE):
        return                                       # a trigger fired before the access
    if (vaddr & 0xFFF) + size > 0x1000:
        if split_faults(h, vaddr, size, ACCESS_STORE):
            return
        for i in range(size):
            store(h, vaddr + i, 1, value >> (8 * i))
            if h.trapped:
                return
        return
    paddr: cython.ulonglong = to_physical(h, vaddr, size, ACCESS_STORE)
    if paddr == NO_ADDRESS:
        return
    h.bus_error = 0
    physmem.write(h, paddr, size, value)
    if h.bus_error:
        trap.exception(h, EXC_STORE_ACCESS, vaddr)


def fetch_parcel(h: Hart, vaddr: cython.ulonglong) -> cython.ulonglong:
    """The 16-bit parcel at vaddr, translated and checked for execution; 0 and
    `h.trapped` after a fault (an instruction access fault where nothing executable is)."""
    paddr: cython.ulonglong = to_physical(h, vaddr, 2, ACCESS_FETCH)
    if paddr == NO_ADDRESS:
        return 0
    h.bus_error = 0
    result: cython.ulonglong
    if h.fetch_watch_start <= paddr < h.fetch_watch_end:
        h.device_access = 1                          # a watched fetch: the bus answers
        answer = h.bus.fetch(paddr, 2)
        result = 0 if answer is None else answer
        h.bus_error = answer is None
    else:
        result = physmem.fetch(h, paddr)
    if h.bus_error:
        trap.exception(h, EXC_INSN_ACCESS, vaddr)
        return 0
    return result


def fetch(h: Hart, pc: cython.ulonglong) -> cython.ulonglong:
    """Fetch the instruction at pc in 16-bit parcels: a 32-bit instruction may straddle two
    pages, and a fault on its second half reports that half's address (pc + 2)."""
    low: cython.ulonglong = fetch_parcel(h, pc)
    if h.trapped or low & 3 != 3:
        return low
    high: cython.ulonglong = fetch_parcel(h, pc + 2)
    return low | (high << 16)
