"""Physical memory as one hart sees it: RAM, and the bus for everything else.

RAM is a bytearray the board owns; the compiled engine reads it through a raw pointer
(little-endian, like RISC-V, and like the x86 hosts this runs on). Any other physical address
goes to the board's bus, whose devices answer loads and stores (privileged spec 3.6, "Physical
Memory Attributes": here, RAM is idempotent main memory and devices are I/O regions). An
address no device claims sets `h.bus_error`: the caller raises an access fault. Any access
that the bus says needs attention (bus.py: an interrupt line or the power may have changed)
sets `h.device_access`, so the run loop ends and the board looks before the next instruction.
"""

import cython

from downstairs.machine.core.state import Hart


def ram_read(h: Hart, offset: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """Read `size` bytes of RAM at byte `offset` (the caller checked the bounds)."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 8:
            return cython.cast(cython.p_ulonglong, p)[0]
        if size == 4:
            return cython.cast(cython.p_uint, p)[0]
        if size == 2:
            return cython.cast(cython.p_ushort, p)[0]
        return p[0]
    return int.from_bytes(h.ram[offset:offset + size], "little")


def ram_write(h: Hart, offset: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> None:
    """Write the low `size` bytes of value to RAM at byte `offset` (bounds checked by the caller)."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 8:
            cython.cast(cython.p_ulonglong, p)[0] = value
        elif size == 4:
            cython.cast(cython.p_uint, p)[0] = cython.cast(cython.uint, value)
        elif size == 2:
            cython.cast(cython.p_ushort, p)[0] = cython.cast(cython.ushort, value)
        else:
            p[0] = cython.cast(cython.uchar, value)
    else:
        h.ram[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def in_ram(h: Hart, paddr: cython.ulonglong, size: cython.ulonglong) -> cython.bint:
    """Plain RAM: inside the RAM range and outside any device hole."""
    if paddr < h.ram_base or paddr - h.ram_base + size > h.ram_size:
        return False
    return paddr + size <= h.hole_start or paddr >= h.hole_end


def backed(h: Hart, paddr: cython.ulonglong, size: cython.int) -> cython.bint:
    """Whether an access of `size` bytes at paddr reaches something: RAM, or a device that
    holds all of it. (memory.py checks each byte of a split access before it touches any.)"""
    return in_ram(h, paddr, size) or h.bus.claims(paddr, size)


def fetch(h: Hart, paddr: cython.ulonglong) -> cython.ulonglong:
    """A 16-bit instruction parcel at paddr: from RAM, or from a device mapped executable
    (a ROM, the stage tracer's watch). Any other device or a vacant address sets
    `h.bus_error`: instruction access fault, as QEMU raises on a fetch from I/O."""
    if in_ram(h, paddr, 2):
        return ram_read(h, paddr - h.ram_base, 2)
    return from_bus(h, h.bus.fetch(paddr, 2))


def read(h: Hart, paddr: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """A load of `size` bytes at paddr from RAM or the bus; `h.bus_error` if nobody answers."""
    if in_ram(h, paddr, size):
        return ram_read(h, paddr - h.ram_base, size)
    return from_bus(h, h.bus.read(paddr, size))


def from_bus(h: Hart, value) -> cython.ulonglong:
    """The bus's answer to a load or fetch (None: nobody there, `h.bus_error`, 0), after
    noting whether the access needs the board's attention (`h.device_access`)."""
    if h.bus.attention:
        h.bus.attention = False
        h.device_access = 1
    if value is None:
        h.bus_error = 1
        return 0
    return value


def write(h: Hart, paddr: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> None:
    """A store of the low `size` bytes of value at paddr; `h.bus_error` if nobody takes it."""
    if in_ram(h, paddr, size):
        ram_write(h, paddr - h.ram_base, size, value)
        return
    if not h.bus.write(paddr, size, value):
        h.bus_error = 1
    if h.bus.attention:
        h.bus.attention = False
        h.device_access = 1
