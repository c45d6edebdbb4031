"""How an instruction reaches memory when the TLB does not already know the way.

The slow path behind execute.py's TLB hits: pick the privilege the access is checked at
(MPRV, privileged spec 3.1.6.3), translate (mmu.py), check PMP on the physical address
(pmp.py), remember the page in the TLB when it is plain RAM whose PMP answer covers the
whole page, and finally read or write through physmem.py. An access that crosses a page
boundary is split into bytes, each translated on its own, so a fault reports the byte that
faulted. Misaligned loads and stores are allowed (as on QEMU); misaligned atomics are not
(atomic.py).
"""

import cython

from downstairs.machine.core import mmu, physmem, pmp, trap
from downstairs.machine.core.consts import (
    ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, EXC_INSN_ACCESS, EXC_LOAD_ACCESS,
    EXC_STORE_ACCESS, MSTATUS_MPRV, NO_ADDRESS, PRV_M, TLB_INDEX_MASK,
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
        return h.ram_base + h.tlb_off[access][index] + (vaddr & 0xFFF)   # checked when it was filled
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
            access == ACCESS_FETCH and page < h.fetch_watch_end and page + 0x1000 > h.fetch_watch_start):
        h.tlb_vpn[access][index] = (vaddr >> 12) | context
        h.tlb_off[access][index] = page - h.ram_base
    return paddr


def load(h: Hart, vaddr: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    i: cython.int
    if (vaddr & 0xFFF) + size > 0x1000:
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
    i: cython.int
    if (vaddr & 0xFFF) + size > 0x1000:
        # Check every byte before writing any, so a fault leaves memory untouched.
        for i in range(size):
            if to_physical(h, vaddr + i, 1, ACCESS_STORE) == NO_ADDRESS:
                return
        for i in range(size):
            store(h, vaddr + i, 1, value >> (8 * i))
        return
    paddr: cython.ulonglong = to_physical(h, vaddr, size, ACCESS_STORE)
    if paddr == NO_ADDRESS:
        return
    h.bus_error = 0
    physmem.write(h, paddr, size, value)
    if h.bus_error:
        trap.exception(h, EXC_STORE_ACCESS, vaddr)


def fetch_parcel(h: Hart, vaddr: cython.ulonglong) -> cython.ulonglong:
    paddr: cython.ulonglong = to_physical(h, vaddr, 2, ACCESS_FETCH)
    if paddr == NO_ADDRESS:
        return 0
    h.bus_error = 0
    result: cython.ulonglong
    if h.fetch_watch_start <= paddr < h.fetch_watch_end:
        h.device_access = 1                          # a watched fetch: the bus answers
        answer = h.bus.read(paddr, 2)
        result = 0 if answer is None else answer
        h.bus_error = answer is None
    else:
        result = physmem.read(h, paddr, 2)
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
