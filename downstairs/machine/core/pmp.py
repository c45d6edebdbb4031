"""Physical memory protection: which physical addresses each privilege level may touch.

Privileged spec 3.7. Sixteen entries, each a pmpcfg byte (R, W, X, the address-matching
mode A, and L) and a pmpaddr register holding address bits 55:2. A matches as OFF, TOR (from
the previous entry's address up to this one's), NA4 (one naturally aligned 4-byte word) or
NAPOT (a naturally aligned power-of-two region, its size encoded by the trailing ones).

The lowest-numbered entry that matches any byte of an access decides it; an access that only
partly falls inside the entry fails. With no match, M-mode accesses succeed and S/U accesses
fail (this hart implements PMP). Entries apply to M-mode only when locked (L).
"""

import cython

from downstairs.machine.core.consts import (
    ACCESS_FETCH, ACCESS_LOAD, PMP_A_SHIFT, PMP_COUNT, PMP_L, PMP_NA4, PMP_NAPOT, PMP_OFF,
    PMP_R, PMP_TOR, PMP_W, PMP_X, PRV_M,
)
from downstairs.machine.core.state import Hart


def napot_size(addr: cython.ulonglong) -> cython.ulonglong:
    """A NAPOT region's size: 8 bytes times two to the number of trailing ones in pmpaddr."""
    ones: cython.int = 0
    while ones < 54 and (addr >> ones) & 1:
        ones += 1
    return cython.cast(cython.ulonglong, 1) << (ones + 3)


def entry_start(h: Hart, i: cython.int) -> cython.ulonglong:
    """First byte entry i covers (with entry_end: an empty range when OFF)."""
    mode: cython.int = (h.pmpcfg[i] >> PMP_A_SHIFT) & 3
    addr: cython.ulonglong = h.pmpaddr[i]
    if mode == PMP_TOR:
        return h.pmpaddr[i - 1] << 2 if i > 0 else 0
    if mode == PMP_NA4:
        return addr << 2
    if mode == PMP_NAPOT:
        return (addr << 2) & ~(napot_size(addr) - 1)
    return 0


def entry_end(h: Hart, i: cython.int) -> cython.ulonglong:
    """One past the last byte entry i covers."""
    mode: cython.int = (h.pmpcfg[i] >> PMP_A_SHIFT) & 3
    addr: cython.ulonglong = h.pmpaddr[i]
    if mode == PMP_TOR:
        return addr << 2
    if mode == PMP_NA4:
        return (addr << 2) + 4
    if mode == PMP_NAPOT:
        return entry_start(h, i) + napot_size(addr)
    return 0


def check(h: Hart, paddr: cython.ulonglong, size: cython.ulonglong, access: cython.int,
          priv: cython.int) -> cython.int:
    """May `priv` make this access? Returns 0 (denied), 1 (allowed) or 3 (allowed, and the
    same answer holds for the whole 4 KiB page, so the TLB may remember it)."""
    page: cython.ulonglong = paddr & ~cython.cast(cython.ulonglong, 0xFFF)
    page_end: cython.ulonglong = page + 0x1000
    uniform: cython.int = 2
    i: cython.int
    for i in range(PMP_COUNT):
        cfg: cython.uint = h.pmpcfg[i]
        lo: cython.ulonglong = h.pmp_lo[i]
        hi: cython.ulonglong = h.pmp_hi[i]
        if lo >= hi:                         # OFF, or an empty TOR range
            continue
        if not (page >= hi or page_end <= lo or (page >= lo and page_end <= hi)):
            uniform = 0                      # the entry splits this page
        if paddr + size <= lo or paddr >= hi:
            continue
        if paddr < lo or paddr + size > hi:
            return 0                         # only part of the access matches: fail
        if priv == PRV_M and not cfg & PMP_L:
            return 1 | uniform
        if access == ACCESS_FETCH:
            allowed: cython.uint = cfg & PMP_X
        elif access == ACCESS_LOAD:
            allowed = cfg & PMP_R
        else:
            allowed = cfg & PMP_W
        return (1 | uniform) if allowed else 0
    return (1 | uniform) if priv == PRV_M else 0


def write_cfg(h: Hart, index: cython.int, value: cython.uint) -> None:
    """Write one pmpcfg byte, unless the entry is locked. W without R is reserved: this
    hart stores it as neither (WARL)."""
    if h.pmpcfg[index] & PMP_L:
        return
    value &= 0x9F
    if value & PMP_W and not value & PMP_R:
        value &= ~PMP_W
    h.pmpcfg[index] = value
    update_ranges(h)


def write_addr(h: Hart, index: cython.int, value: cython.ulonglong) -> None:
    """pmpaddr holds bits 55:2 of an address. A locked entry, or a locked TOR entry above
    it, makes it read-only."""
    if h.pmpcfg[index] & PMP_L:
        return
    if index + 1 < PMP_COUNT and h.pmpcfg[index + 1] & PMP_L \
            and (h.pmpcfg[index + 1] >> PMP_A_SHIFT) & 3 == PMP_TOR:
        return
    h.pmpaddr[index] = value & ((cython.cast(cython.ulonglong, 1) << 54) - 1)
    update_ranges(h)


def update_ranges(h: Hart) -> None:
    """After any pmpcfg or pmpaddr write: decode every entry's byte range once (check()
    runs on every TLB refill and page-table read), count the entries that are on, and
    forget translations whose PMP verdict may have changed."""
    n: cython.int = 0
    i: cython.int
    for i in range(PMP_COUNT):
        if (h.pmpcfg[i] >> PMP_A_SHIFT) & 3 != PMP_OFF:
            n += 1
            h.pmp_lo[i] = entry_start(h, i)
            h.pmp_hi[i] = entry_end(h, i)
        else:
            h.pmp_lo[i] = 0
            h.pmp_hi[i] = 0
    h.pmp_entries = n
    h.flush_tlb()
