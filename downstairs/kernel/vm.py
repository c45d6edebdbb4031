"""Page frames and Sv39 address spaces (RISC-V privileged spec 12.4 "Sv39"; xv6's vm.c).

Each task gets its own address space, built once at boot: its memory at the same addresses as
in RAM (identity, so a lease is checked and copied by address, and a driver's DMA addresses are
its own), its devices, and the kernel's image without the U bit. The kernel's pages are there
because a trap runs the compiler's trap entry and the handler's first instructions before the
handler turns translation off (trap.py: the kernel itself runs with satp = Bare, on physical
addresses); U-mode cannot touch them (a page fault), as with xv6's trampoline or Linux. Nothing
else is mapped: not the other tasks, not the task table, not the page tables.

An Sv39 virtual address, and a page-table entry (8 bytes, 512 to a 4 KiB table):

    38        30 29        21 20        12 11          0
    | VPN[2]    | VPN[1]     | VPN[0]     | page offset |      root -> level 1 -> level 0

    63    54 53          10 9   8 7 6 5 4 3 2 1 0
    | 0     | PPN         | RSW | D A G U X W R V |      R, W, X all 0: a pointer to the next table

satp = MODE 8 (Sv39) << 60 | ASID << 44 | root PPN: each task's ASID is its index + 1, so
switching spaces needs no TLB flush (when the hart has ASIDs: boot.py probes how many).

Page frames are linear resources: only this module makes one (from the frames the task table
sets aside after the task images) and each one must end up in a Space, which keeps it for good.
"""

from downstairs.compiler.runtime import u32, u64, linear, array, Array, MutRef, load64, store64
import table
import task

PAGE = 4096
PTE_V = 1
PTE_R = 2
PTE_W = 4
PTE_X = 8
PTE_U = 16
PTE_G = 32
PTE_A = 64
PTE_D = 128
SATP_SV39 = 8 << 60
MAX_TABLES = 8                  # page tables per space: a root, and a few below it
LEVEL0_SPAN = 1 << 21           # what one level-0 table maps: 512 pages

next_frame: u64 = 0
frames_end: u64 = 0


@linear
class Frame:
    """A 4 KiB page of physical memory, owned."""
    base: u64


@linear
class Space:
    """An address space: the frames of its page tables (tables[0] is the root)."""
    tables: Array[Frame, 8]
    used: u32


spaces = array(Space, table.MAX_TASKS)


def add_frames(start: u64, end: u64) -> None:
    """The free frames: [start, end), 4 KiB aligned."""
    global next_frame, frames_end
    next_frame = start
    frames_end = end


def alloc_frame() -> Frame:
    """A zeroed frame nobody else owns (a kernel assertion when they run out: the task table
    gives too little kernel memory, which the build checks first)."""
    global next_frame
    assert next_frame + PAGE <= frames_end, "out of page frames"
    f = Frame(next_frame)
    next_frame += PAGE
    task.zero(f.base, PAGE)
    return f


def keep(s: MutRef[Space], f: Frame) -> u64:
    """`f` becomes one of `s`'s page tables for good; its address comes back."""
    assert s.used < MAX_TABLES, "too many page tables for one task"
    base = f.base
    s.tables[s.used] = f
    s.used += 1
    return base


def root(s: MutRef[Space]) -> u64:
    """The root table of `s` (made on first use)."""
    if s.used == 0:
        f = alloc_frame()
        return keep(s, f)
    return s.tables[0].base


def pte(physical: u64, flags: u64) -> u64:
    return ((physical >> 12) << 10) | flags


def leaf(s: MutRef[Space], va: u64) -> u64:
    """The address of the level-0 entry for `va` in `s`, making the tables on the way."""
    t = root(s)
    level: u64 = 2
    while level > 0:
        entry = t + ((va >> (12 + 9 * level)) & 511) * 8
        e = load64(entry)
        if e & PTE_V == 0:
            f = alloc_frame()
            t = keep(s, f)
            store64(entry, pte(t, PTE_V))
        else:
            assert e & (PTE_R | PTE_W | PTE_X) == 0, "a big page where a table was expected"
            t = (e >> 10) << 12
        level -= 1
    return t + ((va >> 12) & 511) * 8


def map_range(s: MutRef[Space], start: u64, end: u64, flags: u64) -> None:
    """Map the pages of [start, end) (rounded out to whole pages) at the same physical
    addresses with `flags` (V, A and D added: nothing is left for the hart to set). One walk
    per level-0 table: its entries for consecutive pages follow each other."""
    va = start & ~u64(PAGE - 1)
    entry: u64 = 0
    while va < end:
        if entry == 0 or va & (LEVEL0_SPAN - 1) == 0:
            entry = leaf(s, va)
        store64(entry, pte(va, flags | PTE_V | PTE_A | PTE_D))
        entry += 8
        va += PAGE


def satp(s: MutRef[Space], asid: u64) -> u64:
    return SATP_SV39 | (asid << 44) | (root(s) >> 12)


def build(index: u32) -> u64:
    """Task `index`'s address space, from the task table; its satp value comes back."""
    base = table.field(index, table.T_BASE)
    top = base + table.field(index, table.T_SIZE)
    text_end = base + table.field(index, table.T_TEXT)
    data_end = text_end + table.field(index, table.T_DATA)
    map_range(spaces[index], base, text_end, PTE_R | PTE_X | PTE_U)
    map_range(spaces[index], text_end, data_end, PTE_R | PTE_W | PTE_U)
    map_range(spaces[index], top - table.field(index, table.T_STACK), top, PTE_R | PTE_W | PTE_U)
    for k in range(table.MAX_DEVICES):
        device = table.device(index, u32(k), False)
        if device != 0:
            map_range(spaces[index], device, device + table.device(index, u32(k), True), PTE_R | PTE_W | PTE_U)
    map_range(spaces[index], table.header(table.H_KERNEL_START), table.header(table.H_KERNEL_END),
              PTE_R | PTE_W | PTE_X | PTE_G)
    return satp(spaces[index], u64(index) + 1)


def translate(s: MutRef[Space], va: u64) -> u64:
    """Walk `s` as the hart would: the PTE that maps `va`, or 0 (for tests and the debugger)."""
    t = root(s)
    level: u64 = 2
    while True:
        e = load64(t + ((va >> (12 + 9 * level)) & 511) * 8)
        if e & PTE_V == 0 or e & (PTE_R | PTE_W | PTE_X) != 0 or level == 0:
            return e if e & PTE_V != 0 else 0
        t = (e >> 10) << 12
        level -= 1
