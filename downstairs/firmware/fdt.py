"""The device tree the firmware is given (a1) and passes on: read for what the firmware needs
to know, and edited to protect the firmware (Devicetree Specification v0.4, chapter 5; the
/reserved-memory binding of Linux's Documentation/devicetree/bindings/reserved-memory/).

    header (big-endian u32s)  0 magic d00dfeed  4 totalsize  8 off_dt_struct  12 off_dt_strings
                              32 size_dt_strings  36 size_dt_struct
    structure block: tokens   1 BEGIN_NODE name\\0 (zeros to a word)   2 END_NODE   4 NOP   9 END
                              3 PROP len nameoff value (zeros to a word)
    strings block: the property names, each \\0-terminated, found by nameoff

scan() walks the structure block once, token by token (this walk is most of what the firmware
costs before Linux starts): the harts (the N of each /cpus/cpu@N: a node's unit address is its
reg), the memory (/memory@...'s reg, two cells each of address and size, as on virt), and where
the root node and any /reserved-memory node end. reserve() then inserts, before the end of
/reserved-memory (adding that node at the end of the root if there is none),

    reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
        mmode_resv0@80000000 { reg = <0x0 0x80000000 0x0 SIZE>; no-map; }; };

moving the strings block up to make room, appending the property names it uses (repeating a
name is allowed) and fixing the header. The blob grows in place: QEMU and our boards leave free
RAM after it (it sits at a 2 MiB boundary below the top of RAM); the caller says how far.
"""

from downstairs.compiler.runtime import u32, u64, addr, record, load8, load32, store8, store32, load64, store64

MAGIC = 0xD00DFEED
BEGIN_NODE = 0x01000000           # the tokens as a little-endian load sees them
END_NODE = 0x02000000
PROP = 0x03000000
NOP = 0x04000000
OTHER = 0                         # what a child of the root is to the firmware
CPUS = 1
MEMORY = 2
RESERVED = 3
NODE_NAME = b"reserved-memory\x00"    # names as the blob holds them: whole words (copy())
CHILD_NAME = b"mmode_resv0@"          # then the unit address: the base in hex
HEX = b"0123456789abcdef"
NEW_NAMES = b"#address-cells\x00#size-cells\x00ranges\x00reg\x00no-map\x00\x00\x00"
ADDRESS_CELLS = 0                 # offsets in NEW_NAMES
SIZE_CELLS = 15
RANGES = 27
REG = 34
NO_MAP = 38


@record
class Tree:
    harts: u64                    # a bit per hart id found under /cpus
    count: u64
    memory_base: u64
    memory_size: u64
    root_end: u64                 # the address of the root node's END_NODE token
    reserved_end: u64             # of /reserved-memory's, or 0


found = Tree()


def swap(v: u32) -> u32:
    """v with its four bytes in the opposite order (big-endian <-> little-endian)."""
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)


def be32(where: u64) -> u64:
    """The big-endian word at `where`."""
    return u64(swap(load32(where)))


def begins(where: u64, text: bytes) -> bool:
    """Whether the node name at `where` begins with text, a word at a time (names are padded
    with zeros to a word: text that ends in the NUL matches the whole name)."""
    start = addr(text)
    whole = len(text) & ~u64(3)
    for k in range(0, whole, 4):
        if load32(where + k) != load32(start + k):
            return False
    tail = u32((u64(1) << (8 * (len(text) & 3))) - 1)          # the bytes of a last part-word
    return (load32(where + whole) ^ load32(start + whole)) & tail == 0


def kind_of(name: u64) -> u64:
    """What the child of the root named at `name` is to the firmware."""
    first = load8(name)
    if first == 99 and begins(name, b"cpus\x00"):                # c
        return CPUS
    if first == 109 and begins(name, b"memory@"):                 # m
        return MEMORY
    if first == 114 and begins(name, NODE_NAME):                  # r
        return RESERVED
    return OTHER


def read_memory(pos: u64, strings: u64) -> None:
    """/memory's properties from pos: its reg's base and size (two cells each)."""
    while load32(pos) == PROP:
        name = strings + be32(pos + 8)
        if load8(name) == 114 and load8(name + 1) == 101 and load8(name + 2) == 103 and load8(name + 3) == 0:
            found.memory_base = (be32(pos + 12) << 32) | be32(pos + 16)        # "reg"
            found.memory_size = (be32(pos + 20) << 32) | be32(pos + 24)
        pos += (be32(pos + 4) + 15) & ~u64(3)


def note_cpu(unit: u64) -> None:
    """A /cpus/cpu@N node: N (hexadecimal at `unit`, as its reg by the unit-address rule) is a
    hart id."""
    hartid: u64 = 0
    while load8(unit) != 0:
        c = u64(load8(unit))
        hartid = hartid * 16 + (c - 48 if c <= 57 else (c | 32) - 87)
        unit += 1
    found.harts |= u64(1) << (hartid & 63)
    found.count += 1


def scan(fdt: u64) -> bool:
    """Fill `found` from the tree at fdt in one pass over the structure block, token by token:
    the names of the root's children and of /cpus's, /memory's reg; everything else is stepped
    over. False if there is no tree at fdt or its root does not end."""
    if fdt == 0 or fdt & 3 != 0 or be32(fdt) != MAGIC:
        return False
    strings = fdt + be32(fdt + 12)
    pos = fdt + be32(fdt + 8)
    depth: u64 = 0                                    # 1 in the root, 2 in a child of it, ...
    kind: u64 = OTHER                                 # what that child is
    token = load32(pos)
    while True:
        while token == PROP:                          # the hot loop
            size = u64(load8(pos + 7))                # a length below 256 is its last byte
            if load32(pos + 4) & 0xFFFFFF != 0:
                size |= (u64(load8(pos + 4)) << 24) | (u64(load8(pos + 5)) << 16) | (u64(load8(pos + 6)) << 8)
            pos += (size + 15) & ~u64(3)              # token, length, nameoff, the value's words
            token = load32(pos)
        if token == BEGIN_NODE:
            depth += 1
            name = pos + 4
            pos += 8                                  # the name's last word ends in a zero byte
            while load8(pos - 1) != 0:                # (its NUL, or the zeros after it: 5.4.1)
                pos += 4
            if depth == 2:
                kind = OTHER
                first = load8(name)                   # c, m, r: /cpus, /memory@, /reserved-memory?
                if first == 99 or first == 109 or first == 114:
                    kind = kind_of(name)
                if kind == MEMORY:
                    read_memory(pos, strings)
            elif depth == 3 and kind == CPUS and begins(name, b"cpu@"):
                note_cpu(name + 4)
        elif token == END_NODE:
            depth -= 1
            if depth == 0:
                found.root_end = pos
                return True
            if depth == 1 and kind == RESERVED:
                found.reserved_end = pos
            pos += 4
        elif token == NOP:
            pos += 4
        else:
            return False
        token = load32(pos)


def put(pos: u64, value: u64) -> u64:
    """value as a big-endian word at pos; returns pos + 4."""
    store32(pos, swap(u32(value)))
    return pos + 4


def put_prop(pos: u64, length: u64, name: u64) -> u64:
    """A PROP token, its length (below 256) and name offset; the value follows at the result."""
    store32(pos, u32(PROP))
    store32(pos + 4, u32(length << 24))               # big-endian: the length is the last byte
    return put(pos + 8, name)


def copy(to: u64, text: bytes) -> u64:
    """text (whole words) at `to` (4-aligned), a word at a time; returns the address after it."""
    start = addr(text)
    for k in range(0, len(text), 4):
        store32(to + k, load32(start + k))
    return to + len(text)


def move_up(start: u64, end: u64, by: u64) -> None:
    """Copy [start, end) to start + by (a multiple of 8), from the top down (the ranges
    overlap), 16 bytes at a time from the 16-byte boundary at or below start: what comes along
    below start lands in [start, start + by), which the caller overwrites, and up to 15 bytes
    past `end` (free space, or the blob's padding: the caller allows for them)."""
    low = start & ~u64(15)
    pos = low + ((end - low + 15) & ~u64(15))
    while pos > low:
        pos -= 16
        high = load64(pos + 8)
        store64(pos + by, load64(pos))
        store64(pos + by + 8, high)


def reserve(fdt: u64, base: u64, size: u64, room_end: u64) -> bool:
    """Add the reserved-memory child for [base, base + size) to the tree scan() has just read,
    once (see the module docstring; an existing /reserved-memory is taken to have two address
    and two size cells, as the root of virt). False if the blocks are not in the usual order
    (structure, then strings) or growing the blob would pass room_end."""
    strings = fdt + be32(fdt + 12)
    end = strings + be32(fdt + 32)                            # of the strings block
    if strings < fdt + be32(fdt + 8) + be32(fdt + 36):
        return False
    whole = found.reserved_end == 0
    at = found.root_end if whole else found.reserved_end
    digits: u64 = 1                                           # of the unit address
    while base >> (4 * digits) != 0:
        digits += 1
    node = 4 + len(CHILD_NAME) + ((digits + 4) & ~u64(3)) + 12 + 16 + 12 + 4   # BEGIN, name, reg, no-map, END
    if whole:
        node += 4 + len(NODE_NAME) + 16 + 16 + 12 + 4                # BEGIN, name, 2 cells x2, ranges, END
    grow = (node + 7) & ~u64(7)                               # a NOP pads it to 8 bytes: move_up
    names = (end + 3) & ~u64(3)                               # the new names, word-aligned after
    if names + grow + len(NEW_NAMES) > room_end:              # zeros (empty names)
        return False
    move_up(at, end, grow)
    for pad in range(end, names):
        store8(pad + grow, 0)
    copy(names + grow, NEW_NAMES)
    names -= strings                                          # now their offset in the block
    pos = at
    if whole:
        store32(pos, u32(BEGIN_NODE))
        pos = copy(pos + 4, NODE_NAME)
        store32(put_prop(pos, 4, names + ADDRESS_CELLS), u32(2 << 24))      # <2>, big-endian
        store32(put_prop(pos + 16, 4, names + SIZE_CELLS), u32(2 << 24))
        pos = put_prop(pos + 32, 0, names + RANGES)
    store32(pos, u32(BEGIN_NODE))
    pos = copy(pos + 4, CHILD_NAME)
    store32(pos + (digits & ~u64(3)), 0)                      # the NUL and zeros to a word,
    for k in range(digits):                                   # after the unit address
        store8(pos + digits - 1 - k, HEX[(base >> (4 * k)) & 15])
    pos += (digits + 4) & ~u64(3)
    pos = put(put(put(put(put_prop(pos, 16, names + REG), base >> 32), base), size >> 32), size)
    pos = put_prop(pos, 0, names + NO_MAP)
    store32(pos, u32(END_NODE))
    if whole:
        pos += 4
        store32(pos, u32(END_NODE))
    if grow != node:
        store32(pos + 4, u32(NOP))
    if names + strings + grow + len(NEW_NAMES) - fdt > be32(fdt + 4):
        put(fdt + 4, names + strings + grow + len(NEW_NAMES) - fdt)
    put(fdt + 12, strings + grow - fdt)
    put(fdt + 32, names + len(NEW_NAMES))
    put(fdt + 36, be32(fdt + 36) + grow)
    return True
