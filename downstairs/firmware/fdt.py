"""The device tree the firmware is given (a1) and passes on: read for what the firmware needs
to know, and edited to protect the firmware (Devicetree Specification v0.4, chapter 5; the
/reserved-memory binding of Linux's Documentation/devicetree/bindings/reserved-memory/).

    header (big-endian u32s)  0 magic d00dfeed  4 totalsize  8 off_dt_struct  12 off_dt_strings
                              32 size_dt_strings  36 size_dt_struct
    structure block: tokens   1 BEGIN_NODE name\\0 (padded to 4)   2 END_NODE
                              3 PROP len nameoff value (padded to 4)   4 NOP   9 END
    strings block: the property names, each \\0-terminated, found by nameoff

scan() walks the structure block once: the harts (the N of each /cpus/cpu@N: a node's unit
address is its reg), the memory (`reg` of /memory@..., two cells each of address and size, as on
virt), and where the root node and any /reserved-memory node end. It reads a token as the
little-endian word a load gives (BEGIN_NODE is 0x01000000), and skips every other subtree in one
tight loop: this walk is most of what the firmware costs before Linux starts. reserve() then inserts, before the end of
/reserved-memory (adding that node at the end of the root if there is none),

    reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
        mmode_resv0@80000000 { reg = <0x0 0x80000000 0x0 SIZE>; no-map; }; };

moving the rest of the structure block and the strings block up to make room, appending the
property names it uses to the strings block (repeating a name is allowed), and fixing the
header. The
blob grows in place: QEMU and our boards leave free RAM after it (it sits at a 2 MiB boundary
below the top of RAM), and the caller says how far it may grow.
"""

from downstairs.compiler.runtime import u8, u32, u64, record, load8, load32, store8, store32, load64, store64

MAGIC = 0xD00DFEED
BEGIN_NODE = 0x01000000           # the tokens as a little-endian load sees them
END_NODE = 0x02000000
PROP = 0x03000000
NOP = 0x04000000
OTHER = 0                         # what a child of the root is to the firmware
CPUS = 1
MEMORY = 2
RESERVED = 3
NODE_NAME = b"reserved-memory"
CHILD_NAME = b"mmode_resv0@"
NEW_NAMES = b"#address-cells\x00#size-cells\x00ranges\x00reg\x00no-map\x00"
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


def be32(where: u64) -> u64:
    """The big-endian word at `where`."""
    v = load32(where)
    return u64((v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)) & 0xFFFFFFFF


def be64(where: u64) -> u64:
    return (be32(where) << 32) | be32(where + 4)


def starts(where: u64, text: bytes) -> bool:
    for k in range(len(text)):
        if load8(where + k) != text[k]:
            return False
    return True


def name_is(where: u64, text: bytes) -> bool:
    """Whether the NUL-terminated string at `where` is `text`."""
    return starts(where, text) and load8(where + len(text)) == 0


def valid(fdt: u64) -> bool:
    return fdt != 0 and fdt & 3 == 0 and be32(fdt) == MAGIC


def skip_props(pos: u64) -> u64:
    """The first token at or after pos that is not a PROP."""
    while load32(pos) == PROP:
        pos += 12 + ((be32(pos + 4) + 3) & ~u64(3))
    return pos


def skip_node(pos: u64) -> u64:
    """The token after the node whose BEGIN_NODE is at pos, children and all: the walk's hot
    loop (a leaf), so every property length is swapped inline (one below 256 is its top byte)."""
    depth: u64 = 0
    while True:
        token = load32(pos)
        if token == PROP:
            size = load32(pos + 4)
            if size & 0xFFFFFF != 0:
                size = (size >> 24) | ((size >> 8) & 0xFF00) | ((size << 8) & 0xFF0000) | (size << 24)
            else:
                size = size >> 24
            pos += 12 + ((u64(size) + 3) & ~u64(3))
        elif token == BEGIN_NODE:
            depth += 1
            word = load32(pos + 4)        # the name: a word at a time to its NUL
            pos += 8
            while (word - 0x01010101) & ~word & 0x80808080 == 0:
                word = load32(pos)
                pos += 4
        elif token == END_NODE:
            pos += 4
            depth -= 1
            if depth == 0:
                return pos
        else:                             # NOP (END and broken trees do not reach here)
            pos += 4


def name_end(pos: u64) -> u64:
    """The token after the NUL-terminated name at pos (4-aligned)."""
    while True:
        word = load32(pos)
        pos += 4
        if (word - 0x01010101) & ~word & 0x80808080 != 0:
            return pos


def read_memory(pos: u64, strings: u64) -> None:
    """/memory's reg: its base and size (two cells each)."""
    while load32(pos) == PROP:
        length = be32(pos + 4)
        name = strings + be32(pos + 8)
        if length >= 16 and load8(name) == 114 and name_is(name, b"reg"):        # 'r'
            found.memory_base = be64(pos + 12)
            found.memory_size = be64(pos + 20)
        pos += 12 + ((length + 3) & ~u64(3))


def note_cpu(name: u64) -> None:
    """A /cpus/cpu@N node: N (hexadecimal, as its reg by the unit-address rule) is a hart id."""
    hartid: u64 = 0
    pos = name + 4
    while load8(pos) != 0:
        c = u64(load8(pos))
        hartid = hartid * 16 + (c - 48 if c <= 57 else (c | 32) - 87)
        pos += 1
    found.harts |= u64(1) << (hartid & 63)
    found.count += 1


def children(pos: u64) -> u64:
    """The first child of the node whose BEGIN_NODE is at pos (or its END_NODE)."""
    return skip_props(name_end(pos + 4))


def scan(fdt: u64) -> None:
    """Fill `found` from the tree at fdt (valid(fdt) holds): the children of the root one by
    one, looking inside /cpus and /memory only, skipping every other subtree whole."""
    strings = fdt + be32(fdt + 12)
    pos = children(fdt + be32(fdt + 8))
    while load32(pos) == BEGIN_NODE:
        kind = kind_of(pos + 4)
        if kind == CPUS:
            cpu = children(pos)
            while load32(cpu) == BEGIN_NODE:
                if starts(cpu + 4, b"cpu@"):
                    note_cpu(cpu + 4)
                cpu = skip_node(cpu)
            pos = cpu + 4                     # past /cpus's END_NODE
        else:
            if kind == MEMORY:
                read_memory(name_end(pos + 4), strings)
            pos = skip_node(pos)
            if kind == RESERVED:
                found.reserved_end = pos - 4
    found.root_end = pos


def kind_of(name: u64) -> u64:
    """What a child of the root named at `name` is to the firmware."""
    first = load8(name)
    if first == 99 and name_is(name, b"cpus"):                 # c
        return CPUS
    if first == 109 and starts(name, b"memory@"):              # m
        return MEMORY
    if first == 114 and name_is(name, NODE_NAME):              # r
        return RESERVED
    return OTHER


def put_word(pos: u64, value: u64) -> u64:
    """value as a big-endian word at pos; returns pos + 4."""
    v = u32(value)
    store32(pos, (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24))
    return pos + 4


def put_prop(pos: u64, length: u64, name: u64) -> u64:
    """A PROP token with its length and name offset; the value follows at the result."""
    store32(pos, u32(PROP))
    return put_word(put_word(pos + 4, length), name)


def put_name(pos: u64, text: bytes, number: u64, digits: u64) -> u64:
    """text, then `digits` hex digits of number (none if 0), a NUL, and zeros up to a word."""
    for k in range(len(text)):
        store8(pos + k, text[k])
    end = pos + len(text)
    for k in range(digits):
        nibble = u8((number >> (4 * (digits - 1 - k))) & 15)
        store8(end + k, nibble + 48 if nibble < 10 else nibble + 87)
    end += digits
    store32(end & ~u64(3), u32(load32(end & ~u64(3))) & u32((1 << (8 * (end & 3))) - 1))
    return (end + 4) & ~u64(3)


def move_up(start: u64, end: u64, by: u64) -> None:
    """Copy [start, end) to start + by (a multiple of 8), from the top down (the ranges
    overlap), 8 bytes at a time from the 8-byte boundary at or below start: what comes along
    below start lands in [start, start + by), which the caller overwrites, and up to 7 bytes
    past `end` (free space, or the blob's padding)."""
    low = start & ~u64(7)
    pos = low + ((end - low + 7) & ~u64(7))
    while pos > low:
        pos -= 8
        store64(pos + by, load64(pos))


def reserve(fdt: u64, base: u64, size: u64, room_end: u64) -> bool:
    """Add the reserved-memory child for [base, base + size) (see the module docstring; an
    existing /reserved-memory is taken to have two address and two size cells, as the root of
    virt). False if the blob's layout is unusual or growing it would pass room_end."""
    strings = fdt + be32(fdt + 12)
    strings_size = be32(fdt + 32)
    if strings < fdt + be32(fdt + 8) + be32(fdt + 36) or found.root_end == 0:
        return False
    whole = found.reserved_end == 0
    digits: u64 = 1
    while base >> (4 * digits) != 0:
        digits += 1
    name_size = (len(CHILD_NAME) + digits + 4) & ~u64(3)
    node = 4 + name_size + 12 + 16 + 12 + 4                   # BEGIN, name, reg, no-map, END
    if whole:
        node += 4 + 16 + 16 + 16 + 12 + 4                     # BEGIN, name, 2 cells x2, ranges, END
    grow = (node + 7) & ~u64(7)                               # a NOP pads it to 8 bytes: move_up
    total = strings + grow + strings_size + len(NEW_NAMES) - fdt
    if fdt + total > room_end:
        return False
    at = found.root_end if whole else found.reserved_end
    move_up(at, strings + strings_size, grow)
    pos = at
    if whole:
        store32(pos, u32(BEGIN_NODE))
        pos = put_name(pos + 4, NODE_NAME, 0, 0)
        pos = put_word(put_prop(pos, 4, strings_size + ADDRESS_CELLS), 2)
        pos = put_word(put_prop(pos, 4, strings_size + SIZE_CELLS), 2)
        pos = put_prop(pos, 0, strings_size + RANGES)
    store32(pos, u32(BEGIN_NODE))
    pos = put_name(pos + 4, CHILD_NAME, base, digits)
    pos = put_prop(pos, 16, strings_size + REG)
    pos = put_word(put_word(put_word(put_word(pos, base >> 32), base & 0xFFFFFFFF), size >> 32), size & 0xFFFFFFFF)
    pos = put_prop(pos, 0, strings_size + NO_MAP)
    store32(pos, u32(END_NODE))
    if whole:
        store32(pos + 4, u32(END_NODE))
    if grow != node:
        store32(at + node, u32(NOP))
    for k in range(len(NEW_NAMES)):
        store8(strings + grow + strings_size + k, NEW_NAMES[k])
    if total > be32(fdt + 4):
        put_word(fdt + 4, total)
    put_word(fdt + 12, strings + grow - fdt)
    put_word(fdt + 32, strings_size + len(NEW_NAMES))
    put_word(fdt + 36, be32(fdt + 36) + grow)
    found.root_end += grow
    if not whole:
        found.reserved_end += grow
    return True
