"""Build Sv39/Sv48 page tables in a test machine's RAM (privileged spec 4.3-4.4).

A page-table entry holds the physical page number in bits 53:10 and the flags V R W X U G
A D in bits 7:0. `PageTables.map` walks down from the root, creating the intermediate
tables it needs, and writes one leaf at the level asked for (0: 4 KiB, 1: 2 MiB,
2: 1 GiB). The identity map of the first 2 MiB of RAM (code, trap vectors, data, tables)
lets S-mode programs run with translation on.
"""

from tests.machine.harness import RAM_BASE, TABLES, Bench

V, R, W, X, U, G, A, D = 1, 2, 4, 8, 16, 32, 64, 128
SV39, SV48 = 8, 9


class PageTables:
    def __init__(self, bench: Bench, mode: int = SV39, base: int = TABLES):
        self.bench = bench
        self.levels = 3 if mode == SV39 else 4
        self.mode = mode
        self.next = base
        self.root = self.allocate()

    def allocate(self) -> int:
        table = self.next
        self.next += 0x1000
        self.bench.write(table, bytes(0x1000))
        return table

    def pte_address(self, va: int, level: int = 0) -> int:
        """The address of the PTE for `va` at `level`, creating tables on the way."""
        table = self.root
        for lvl in range(self.levels - 1, level, -1):
            slot = table + ((va >> (12 + 9 * lvl)) & 0x1FF) * 8
            pte = self.bench.read_u64(slot)
            if not pte & V:
                child = self.allocate()
                self.bench.write_u64(slot, ((child >> 12) << 10) | V)
                table = child
            else:
                table = ((pte >> 10) & ((1 << 44) - 1)) << 12
        return table + ((va >> (12 + 9 * level)) & 0x1FF) * 8

    def map(self, va: int, pa: int, flags: int, level: int = 0) -> int:
        """Write a leaf (or any raw flags); returns the PTE's physical address."""
        slot = self.pte_address(va, level)
        self.bench.write_u64(slot, ((pa >> 12) << 10) | flags)
        return slot

    def identity(self) -> None:
        """RAM's first 2 MiB at its own address: a 2 MiB superpage, R W X, A and D set."""
        self.map(RAM_BASE, RAM_BASE, V | R | W | X | A | D, level=1)

    def satp(self) -> int:
        return (self.mode << 60) | (self.root >> 12)

    def install(self) -> None:
        self.bench.hart.satp = self.satp()
        self.bench.hart.flush_tlb()
