"""Virtual memory: the Sv39 and Sv48 page-table walk (privileged spec 4.3, 4.4, 4.5).

satp selects the mode and the root table. A virtual address is split into 9-bit virtual
page numbers, one per level (three for Sv39, four for Sv48), and a 12-bit page offset. The
walk reads one 8-byte PTE per level (4.3.2, "Virtual Address Translation Process"): a PTE
with R or X set is a leaf (at a higher level, a superpage of 2 MiB, 1 GiB or 512 GiB);
otherwise it points to the next table. On the way: V must be set, W without R is reserved,
the reserved high bits must be zero, superpages must be aligned, and the leaf's R/W/X/U bits
must allow the access given mstatus.SUM and mstatus.MXR. This hart updates A and D in
hardware (Svadu behaviour, as QEMU does).

Walk accesses are S-mode physical reads checked by PMP; a failed one is an access fault of
the original access type.
"""

import cython

from downstairs.machine.core import physmem, pmp, trap
from downstairs.machine.core.consts import (
    ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, EXC_INSN_ACCESS, EXC_INSN_PAGE_FAULT,
    EXC_LOAD_ACCESS, EXC_LOAD_PAGE_FAULT, EXC_STORE_ACCESS, EXC_STORE_PAGE_FAULT,
    MSTATUS_MXR, MSTATUS_SUM, NO_ADDRESS, PRV_M, PRV_S, PRV_U, PTE_A, PTE_D, PTE_PPN_MASK,
    PTE_R, PTE_RESERVED, PTE_U, PTE_V, PTE_W, PTE_X, SATP_MODE_SV39,
    SATP_PPN_MASK,
)
from downstairs.machine.core.state import Hart


def page_fault(access: cython.int) -> cython.ulonglong:
    """The page-fault cause for a fetch, load or store."""
    if access == ACCESS_FETCH:
        return EXC_INSN_PAGE_FAULT
    return EXC_LOAD_PAGE_FAULT if access == ACCESS_LOAD else EXC_STORE_PAGE_FAULT


def access_fault(access: cython.int) -> cython.ulonglong:
    """The access-fault cause for a fetch, load or store."""
    if access == ACCESS_FETCH:
        return EXC_INSN_ACCESS
    return EXC_LOAD_ACCESS if access == ACCESS_LOAD else EXC_STORE_ACCESS


# An Sv39 virtual address, and the physical address a 4 KiB leaf makes of it (4.4.1):
#
#      63          39 38        30 29        21 20        12 11               0
#     +--------------+------------+------------+------------+------------------+
#     | = bit 38     |   VPN[2]   |   VPN[1]   |   VPN[0]   |   page offset    |
#     +--------------+------------+------------+------------+------------------+
#                       indexes      indexes      indexes
#                      the root     level 1      level 0       (9 bits: 512 PTEs
#                       table        table        table         of 8 bytes a table)
#
#      55                     30 29        21 20        12 11               0
#     +-------------------------+------------+------------+------------------+
#     |         PPN[2]          |   PPN[1]   |   PPN[0]   |   page offset    |
#     +-------------------------+------------+------------+------------------+
#
# A leaf met at level 1 is a 2 MiB page and one at level 2 a 1 GiB page: the VPN fields below
# it pass through as the low PPN fields (which must be zero in the PTE: aligned superpages).
# Sv48 adds VPN[3] (bits 47:39) and a fourth level above; the canonical bits start at 47.

WALK_PAGE_FAULT, WALK_ACCESS_FAULT = -1, -2


def walk(h: Hart, vaddr: cython.ulonglong) -> cython.int:
    """The walk drawn above, for vaddr under satp (table address: satp.PPN << 12), checking
    the PTEs' form but not their permissions, and changing nothing: the level of the leaf
    (0 for a 4 KiB page, 1 for 2 MiB, ...) with the leaf in h.walk_pte and its address in
    h.walk_pte_addr; WALK_PAGE_FAULT for a malformed or missing mapping, WALK_ACCESS_FAULT
    when a table read was refused."""
    levels: cython.int = 3 if h.satp >> 60 == SATP_MODE_SV39 else 4
    va_bits: cython.int = 12 + 9 * levels
    # Bits above the top VPN must all equal its highest bit ("canonical" addresses).
    top: cython.ulonglong = vaddr >> (va_bits - 1)
    if top != 0 and top != (cython.cast(cython.ulonglong, 0xFFFFFFFFFFFFFFFF) >> (va_bits - 1)):
        return WALK_PAGE_FAULT
    table: cython.ulonglong = (h.satp & SATP_PPN_MASK) << 12
    level: cython.int = levels - 1
    pte: cython.ulonglong = 0
    while True:
        vpn: cython.ulonglong = (vaddr >> (12 + 9 * level)) & 0x1FF
        h.walk_pte_addr = table + vpn * 8
        if not read_pte(h, h.walk_pte_addr):
            return WALK_ACCESS_FAULT
        pte = h.walk_pte
        if not pte & PTE_V or (pte & (PTE_R | PTE_W)) == PTE_W or pte & PTE_RESERVED:
            return WALK_PAGE_FAULT
        if pte & (PTE_R | PTE_X):
            break                            # a leaf
        if level == 0:
            return WALK_PAGE_FAULT
        table = ((pte >> 10) & PTE_PPN_MASK) << 12
        level -= 1
    low_mask: cython.ulonglong = (cython.cast(cython.ulonglong, 1) << (9 * level)) - 1
    if (pte >> 10) & PTE_PPN_MASK & low_mask:
        return WALK_PAGE_FAULT               # a misaligned superpage
    return level


def leaf_address(h: Hart, vaddr: cython.ulonglong, level: cython.int) -> cython.ulonglong:
    """The physical address of vaddr through the leaf walk() found at `level` (h.walk_pte):
    the VPN fields below a superpage's level pass through as its low PPN fields."""
    low_mask: cython.ulonglong = (cython.cast(cython.ulonglong, 1) << (9 * level)) - 1
    ppn: cython.ulonglong = ((h.walk_pte >> 10) & PTE_PPN_MASK) | ((vaddr >> 12) & low_mask)
    return (ppn << 12) | (vaddr & 0xFFF)


def translate(h: Hart, vaddr: cython.ulonglong, access: cython.int, priv: cython.int) -> cython.ulonglong:
    """The physical address for `vaddr` accessed as `access` at privilege `priv`, or
    NO_ADDRESS after raising the page or access fault: the walk, then the leaf's permissions,
    then A (and D for a store) set in the PTE. M-mode and Bare translate to themselves."""
    if priv == PRV_M or h.satp >> 60 == 0:
        return vaddr
    level: cython.int = walk(h, vaddr)
    if level < 0:
        trap.exception(h, access_fault(access) if level == WALK_ACCESS_FAULT else page_fault(access), vaddr)
        return NO_ADDRESS
    pte: cython.ulonglong = h.walk_pte
    if not leaf_allows(h, pte, access, priv):
        trap.exception(h, page_fault(access), vaddr)
        return NO_ADDRESS
    wanted: cython.ulonglong = PTE_A | (PTE_D if access == ACCESS_STORE else 0)
    if pte & wanted != wanted:
        if not write_pte(h, h.walk_pte_addr, pte | wanted):
            trap.exception(h, access_fault(access), vaddr)
            return NO_ADDRESS
    return leaf_address(h, vaddr, level)


def debug_translate(h: Hart, vaddr: cython.ulonglong, priv: cython.int) -> cython.ulonglong:
    """A debugger's view of vaddr (gdb reading memory, as QEMU's stub does): translated as
    the hart at privilege `priv` would, by a walk that raises nothing and sets no A or D
    bit, and checks no permission (a debugger may read code and data alike); NO_ADDRESS
    where nothing is mapped."""
    if priv == PRV_M or h.satp >> 60 == 0:
        return vaddr
    level: cython.int = walk(h, vaddr)
    if level < 0:
        return NO_ADDRESS
    return leaf_address(h, vaddr, level)


def leaf_allows(h: Hart, pte: cython.ulonglong, access: cython.int, priv: cython.int) -> cython.bint:
    """Whether a leaf PTE permits this access at privilege `priv`: U pages only to U (and to S
    loads/stores with SUM), R for loads (or X with MXR), W for stores, X for fetches."""
    if pte & PTE_U:
        if priv == PRV_S and (access == ACCESS_FETCH or not h.mstatus & MSTATUS_SUM):
            return False
    elif priv == PRV_U:
        return False
    if access == ACCESS_FETCH:
        return (pte & PTE_X) != 0
    if access == ACCESS_LOAD:
        return (pte & PTE_R) != 0 or ((pte & PTE_X) != 0 and (h.mstatus & MSTATUS_MXR) != 0)
    return (pte & PTE_W) != 0


def read_pte(h: Hart, paddr: cython.ulonglong) -> cython.bint:
    """Read a page-table entry into h.walk_pte; False if PMP or the bus says no."""
    if not pmp.check(h, paddr, 8, ACCESS_LOAD, PRV_S) & 1:
        return False
    h.bus_error = 0
    h.walk_pte = physmem.read(h, paddr, 8)
    return not h.bus_error


def write_pte(h: Hart, paddr: cython.ulonglong, pte: cython.ulonglong) -> cython.bint:
    """Write back a PTE with A/D set (an S-mode store, PMP-checked); False if it is refused."""
    if not pmp.check(h, paddr, 8, ACCESS_STORE, PRV_S) & 1:
        return False
    h.bus_error = 0
    physmem.write(h, paddr, 8, pte)
    return not h.bus_error
