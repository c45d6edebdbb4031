"""An address space on the hart: areas in Python, Sv48 page tables in the machine's RAM.

On the hart there is no host kernel to map memory, so this is the layer's own mm (Linux's
mm/mmap.c and mm/memory.c, small): a sorted list of areas (start, end, protection, name),
and for each page the program has touched, a 4 KiB frame of the machine's RAM that the page
tables map it to. The hart walks those tables itself (privileged spec 4.3.2 with Sv48's four
levels, 4.5); Python keeps `pages` (virtual page -> frame, protection) to copy system-call
buffers in and out without walking them.

A Sv48 page-table entry (privileged spec 4.4.1):

    63   54 53                      10 9  8 7 6 5 4 3 2 1 0
    | 0    | physical page number    |RSW|D|A|G|U|X|W|R|V|

Every user page has U, A and D set (so the hart never needs to update them), R/W/X from
the area's protection (W alone is reserved, so a write-only area is R+W), and V unless the
protection is PROT_NONE. Anonymous memory (the stack, the heap, anonymous mmap) gets its
frames on first touch, from the page fault the hart raises; an ELF segment or a file mapping
gets its bytes when mapped. fork copies every populated page; a vfork child shares the
space. After any unmap or protection change the hart's TLB and decoded instructions are
flushed, as sfence.vma would.
"""

import bisect
import errno
import struct

from downstairs.sandbox.abi import cstring
from downstairs.sandbox.waits import SysError

PAGE = 4096
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D = 1, 2, 4, 8, 16, 64, 128
SATP_SV48 = 9 << 60
LEVELS = 4
USER_TOP = 1 << 47                    # Sv48: user addresses are below 0x800000000000
MAP_SHARED, MAP_PRIVATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x0F, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
ZERO_PAGE = bytes(PAGE)
# madvise advice that concerns only the caller's pages (mm/madvise.c): NORMAL, RANDOM,
# SEQUENTIAL, WILLNEED, DONTNEED, FREE, REMOVE, DONTFORK, DOFORK, HUGEPAGE, NOHUGEPAGE,
# DONTDUMP, DODUMP, WIPEONFORK, KEEPONFORK, COLD, PAGEOUT, POPULATE_READ, POPULATE_WRITE
SAFE_ADVICE = {0, 1, 2, 3, 4, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}
MADV_DONTNEED = 4


def page_up(addr: int) -> int:
    return (addr + PAGE - 1) & ~(PAGE - 1)


def pte_bits(prot: int) -> int:
    """The R/W/X/U/A/D/V bits of a page with this protection (0: no valid entry)."""
    if not prot & (PROT_READ | PROT_WRITE | PROT_EXEC):
        return 0
    bits = PTE_V | PTE_U | PTE_A | PTE_D
    if prot & (PROT_READ | PROT_WRITE):
        bits |= PTE_R
    if prot & PROT_WRITE:
        bits |= PTE_W
    if prot & PROT_EXEC:
        bits |= PTE_X
    return bits


class Frames:
    """The machine's RAM as 4 KiB frames, handed out zeroed and taken back. The frames
    below `first` hold the platform's own code (the trap vector)."""

    def __init__(self, machine, base: int, first: int, size: int):
        self.machine = machine
        self.ram = machine.ram
        self.base = base
        self.next = first                        # frames never used yet start here
        self.end = base + size
        self.free: list[int] = []

    def alloc(self) -> int:
        """A zeroed frame's physical address (ENOMEM when RAM is used up)."""
        if self.free:
            paddr = self.free.pop()
        elif self.next < self.end:
            paddr = self.next
            self.next += PAGE
        else:
            raise SysError(errno.ENOMEM)
        offset = paddr - self.base
        self.ram[offset:offset + PAGE] = ZERO_PAGE
        return paddr

    def release(self, paddr: int) -> None:
        self.free.append(paddr)


class Area:
    """A VMA: [start, end) with a protection and a name ([heap], [stack], or empty)."""

    def __init__(self, start: int, end: int, prot: int, name: str = ""):
        self.start = start
        self.end = end
        self.prot = prot
        self.name = name


class AddressSpace:
    def __init__(self, frames: Frames, hart):
        self.frames = frames
        self.hart = hart
        self.ram = frames.ram
        self.base = frames.base
        self.root = frames.alloc()
        self.tables: dict[tuple[int, int], int] = {}   # (level, vpn >> 9*(level+1)) -> table
        self.pages: dict[int, tuple[int, int]] = {}    # virtual page number -> (frame, prot)
        self.areas: list[Area] = []                     # sorted by start, never overlapping
        self.brk_start = 0
        self.brk = 0
        self.mmap_base = 0
        self.users = 1                                  # processes using it (vfork shares it)

    def satp(self) -> int:
        return SATP_SV48 | (self.root >> 12)

    # ---- page tables ------------------------------------------------------------------------

    def leaf_table(self, vpn: int) -> int:
        """The level-0 table holding `vpn`'s entry, with the tables above it made on the way."""
        table = self.root
        for level in range(LEVELS - 1, 0, -1):
            key = (level - 1, vpn >> (9 * level))
            below = self.tables.get(key)
            if below is None:
                below = self.frames.alloc()
                self.tables[key] = below
                index = (vpn >> (9 * level)) & 0x1FF
                struct.pack_into("<Q", self.ram, table - self.base + 8 * index, ((below >> 12) << 10) | PTE_V)
            table = below
        return table

    def map_page(self, vpn: int, frame: int, prot: int) -> None:
        self.pages[vpn] = (frame, prot)
        bits = pte_bits(prot)
        pte = ((frame >> 12) << 10) | bits if bits else 0
        struct.pack_into("<Q", self.ram, self.leaf_table(vpn) - self.base + 8 * (vpn & 0x1FF), pte)

    def unmap_pages(self, start: int, end: int) -> None:
        """Give back the frames of [start, end) and clear their entries."""
        for vpn in [v for v in self.pages if start >> 12 <= v < end >> 12]:
            frame, _ = self.pages.pop(vpn)
            table = self.tables.get((0, vpn >> 9))
            if table is not None:
                struct.pack_into("<Q", self.ram, table - self.base + 8 * (vpn & 0x1FF), 0)
            self.frames.release(frame)

    def flush(self) -> None:
        self.hart.flush_tlb()

    # ---- areas ---------------------------------------------------------------------------------

    def area_at(self, addr: int) -> Area | None:
        i = bisect.bisect_right(self.areas, addr, key=lambda a: a.start) - 1
        if i >= 0 and addr < self.areas[i].end:
            return self.areas[i]
        return None

    def overlaps(self, start: int, end: int) -> bool:
        return any(a.start < end and start < a.end for a in self.areas)

    def carve(self, start: int, end: int) -> list[Area]:
        """Cut [start, end) out of the areas, splitting those across its edges; return the
        pieces cut out, so a caller can put them back changed."""
        kept, removed = [], []
        for area in self.areas:
            if area.end <= start or area.start >= end:
                kept.append(area)
                continue
            if area.start < start:
                kept.append(Area(area.start, start, area.prot, area.name))
            if area.end > end:
                kept.append(Area(end, area.end, area.prot, area.name))
            removed.append(Area(max(area.start, start), min(area.end, end), area.prot, area.name))
        kept.sort(key=lambda a: a.start)
        self.areas = kept
        return removed

    def add_area(self, area: Area) -> None:
        bisect.insort(self.areas, area, key=lambda a: a.start)

    def merge(self) -> None:
        """Join neighbouring areas that have the same protection and name."""
        merged: list[Area] = []
        for area in self.areas:
            last = merged[-1] if merged else None
            if last and last.end == area.start and last.prot == area.prot and last.name == area.name:
                last.end = area.end
            else:
                merged.append(area)
        self.areas = merged

    def free_range(self, length: int, hint: int = 0) -> int:
        """The lowest gap of `length` bytes at or above the hint and the mmap base."""
        start = max(page_up(hint), self.mmap_base)
        for area in self.areas:
            if area.end <= start:
                continue
            if area.start >= start + length:
                break
            start = area.end
        if start + length > USER_TOP:
            raise SysError(errno.ENOMEM)
        return start

    # ---- what the program's calls do -------------------------------------------------------------

    def map(self, addr: int, length: int, prot: int, flags: int, data: bytes = b"",
            name: str = "") -> int:
        """mmap of private memory: anonymous, or with `data` (a file's bytes) copied in.
        Returns where it went."""
        if length <= 0 or length >= USER_TOP:
            raise SysError(errno.EINVAL if length <= 0 else errno.ENOMEM)
        length = page_up(length)
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            if addr & (PAGE - 1) or addr + length > USER_TOP:
                raise SysError(errno.EINVAL)
            if flags & MAP_FIXED_NOREPLACE and self.overlaps(addr, addr + length):
                raise SysError(errno.EEXIST)
            self.unmap(addr, length)
            start = addr
        else:
            start = self.free_range(length, addr)
        self.add_area(Area(start, start + length, prot, name))
        if data:
            self.fill(start, data, prot)
        return start

    def fill(self, start: int, data: bytes, prot: int) -> None:
        """Put `data` at page-aligned `start` now, giving the pages frames."""
        for at in range(0, len(data), PAGE):
            vpn = (start + at) >> 12
            entry = self.pages.get(vpn)
            frame = entry[0] if entry else self.frames.alloc()
            chunk = data[at:at + PAGE]
            offset = frame - self.base
            self.ram[offset:offset + len(chunk)] = chunk
            self.map_page(vpn, frame, prot)

    def unmap(self, addr: int, length: int) -> None:
        if addr & (PAGE - 1) or length <= 0:
            raise SysError(errno.EINVAL)
        end = page_up(addr + length)
        if self.carve(addr, end):
            self.unmap_pages(addr, end)
            self.flush()

    def protect(self, addr: int, length: int, prot: int) -> None:
        if addr & (PAGE - 1):
            raise SysError(errno.EINVAL)
        end = page_up(addr + length)
        covered = sum(min(a.end, end) - max(a.start, addr) for a in self.areas
                      if a.start < end and addr < a.end)
        if covered != end - addr:
            raise SysError(errno.ENOMEM)
        for piece in self.carve(addr, end):
            self.add_area(Area(piece.start, piece.end, prot, piece.name))
        for vpn in range(addr >> 12, end >> 12):
            entry = self.pages.get(vpn)
            if entry is not None:
                self.map_page(vpn, entry[0], prot)
        self.flush()

    def set_brk(self, new: int) -> int:
        """brk(2): move the end of the heap; the end it has afterwards."""
        if new < self.brk_start:
            return self.brk
        old_top, new_top = page_up(self.brk), page_up(new)
        if new_top > old_top:
            if self.overlaps(old_top, new_top):
                return self.brk
            self.add_area(Area(old_top, new_top, PROT_READ | PROT_WRITE, "[heap]"))
            self.merge()
        elif new_top < old_top:
            self.unmap(new_top, old_top - new_top)
        self.brk = new
        return new

    def remap(self, old: int, old_length: int, new_length: int, flags: int, new: int) -> int:
        """mremap(2): shrink or grow an area in place, or move its pages elsewhere."""
        if old & (PAGE - 1) or new_length <= 0:
            raise SysError(errno.EINVAL)
        old_length, new_length = page_up(old_length), page_up(new_length)
        area = self.area_at(old)
        if area is None or old + old_length > area.end:
            raise SysError(errno.EFAULT)
        if new_length <= old_length and not flags & MREMAP_FIXED:
            if new_length < old_length:
                self.unmap(old + new_length, old_length - new_length)
            return old
        if not flags & MREMAP_FIXED and not self.overlaps(old + old_length, old + new_length):
            self.add_area(Area(old + old_length, old + new_length, area.prot, area.name))
            self.merge()
            return old
        if not flags & MREMAP_MAYMOVE:
            raise SysError(errno.ENOMEM)
        if flags & MREMAP_FIXED:
            self.unmap(new, new_length)
            target = new
        else:
            target = self.free_range(new_length)
        moved = {}
        for vpn in range(old >> 12, (old + min(old_length, new_length)) >> 12):
            entry = self.pages.pop(vpn, None)
            if entry is not None:
                moved[vpn - (old >> 12) + (target >> 12)] = entry
        self.carve(old, old + old_length)
        self.unmap_pages(old, old + old_length)
        self.add_area(Area(target, target + new_length, area.prot, area.name))
        for vpn, (frame, prot) in moved.items():
            self.map_page(vpn, frame, prot)
        self.flush()
        return target

    def discard(self, addr: int, length: int) -> None:
        """madvise(MADV_DONTNEED): the pages read as zero again (their frames go back)."""
        self.unmap_pages(addr, page_up(addr + length))
        self.flush()

    # ---- faults and copies ----------------------------------------------------------------------

    def fault(self, addr: int, write: bool, execute: bool) -> bool:
        """The hart could not translate `addr`: give the page a frame if an area allows the
        access (True); otherwise the program gets SIGSEGV (False)."""
        area = self.area_at(addr)
        if area is None:
            return False
        want = PROT_WRITE if write else (PROT_EXEC if execute else PROT_READ)
        if not area.prot & want or (addr >> 12) in self.pages:
            return False
        self.map_page(addr >> 12, self.frames.alloc(), area.prot)
        return True

    def frame_of(self, addr: int, write: bool) -> int:
        """The RAM address behind a user address, for the layer's copies: EFAULT unless the
        program could make that access itself."""
        entry = self.pages.get(addr >> 12)
        if entry is None:
            if addr >= USER_TOP or not self.fault(addr, write, False):
                raise SysError(errno.EFAULT)
            entry = self.pages[addr >> 12]
        frame, prot = entry
        if not prot & (PROT_WRITE if write else PROT_READ | PROT_WRITE):
            raise SysError(errno.EFAULT)
        return frame + (addr & (PAGE - 1))

    def read(self, addr: int, size: int) -> bytes:
        out = bytearray()
        while size > 0:
            chunk = min(size, PAGE - (addr & (PAGE - 1)))
            offset = self.frame_of(addr, False) - self.base
            out += self.ram[offset:offset + chunk]
            addr += chunk
            size -= chunk
        return bytes(out)

    def write(self, addr: int, data: bytes) -> None:
        """Copy out to the program; writes from outside the hart go through the machine,
        which forgets any instruction the hart had decoded there."""
        at = 0
        while at < len(data):
            chunk = min(len(data) - at, PAGE - (addr & (PAGE - 1)))
            self.frames.machine.write_memory(self.frame_of(addr, True), data[at:at + chunk])
            addr += chunk
            at += chunk

    def page_rest(self, addr: int) -> bytes:
        """The bytes from addr to the end of its page."""
        offset = self.frame_of(addr, False) - self.base
        return bytes(self.ram[offset:offset + PAGE - (addr & (PAGE - 1))])

    def cstring(self, addr: int, limit: int) -> bytes:
        return cstring(self.page_rest, addr, limit)

    # ---- whole spaces -----------------------------------------------------------------------------

    def fork(self) -> "AddressSpace":
        """The copy a fork child gets: the same areas, every populated page copied."""
        child = AddressSpace(self.frames, self.hart)
        child.areas = [Area(a.start, a.end, a.prot, a.name) for a in self.areas]
        child.brk_start, child.brk, child.mmap_base = self.brk_start, self.brk, self.mmap_base
        for vpn, (frame, prot) in self.pages.items():
            copy = self.frames.alloc()
            src, dst = frame - self.base, copy - self.base
            self.ram[dst:dst + PAGE] = self.ram[src:src + PAGE]
            child.map_page(vpn, copy, prot)
        return child

    def release(self) -> None:
        """Give every frame back: the last process using this space exec'd or exited."""
        for frame, _ in self.pages.values():
            self.frames.release(frame)
        for table in self.tables.values():
            self.frames.release(table)
        self.frames.release(self.root)
        self.pages, self.tables, self.areas = {}, {}, []
