"""The flattened device tree: how a board tells its firmware and kernel what hardware it has.

Devicetree Specification v0.4, chapter 5 ("Flattened Devicetree (DTB) Format"): a header,
a memory-reservation block, a structure block of tokens (BEGIN_NODE name, PROP len nameoff
value, END_NODE, END) and a strings block holding each property name once. Everything is
big-endian and 4-byte aligned. A node here is a `Node(name, props, children)`; property
values are bytes, strings, or lists of 32-bit cells (see `cells`).
"""

import struct

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_END = 1, 2, 3, 9


class Node:
    def __init__(self, name: str, props: dict | None = None, children: list | None = None):
        """A node: its name (unit address included), properties in order, children in order."""
        self.name = name
        self.props = {} if props is None else props
        self.children = [] if children is None else children

    def child(self, name: str) -> "Node":
        """The child called `name` (KeyError if none)."""
        for node in self.children:
            if node.name == name:
                return node
        raise KeyError(name)


def cells(*values: int) -> bytes:
    """A list of 32-bit cells; 64-bit numbers are given as two cells (high, low)."""
    return b"".join(struct.pack(">I", v & 0xFFFFFFFF) for v in values)


def u64_cells(*values: int) -> bytes:
    """64-bit numbers as big-endian pairs of cells (a `reg` with #address-cells = 2)."""
    return b"".join(struct.pack(">Q", v) for v in values)


def strings(*values: str) -> bytes:
    """A string-list property ("compatible"): each string NUL-terminated."""
    return b"".join(v.encode() + b"\0" for v in values)


def encode_value(value) -> bytes:
    """A property value as the DTB stores it: bytes as given, a string NUL-terminated, True as
    an empty flag property, an int as one cell."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode() + b"\0"
    if isinstance(value, bool):
        return b""                                   # a flag property: present, empty
    if isinstance(value, int):
        return cells(value)
    raise TypeError(f"unsupported property value {value!r}")


def build(root: Node, boot_cpu: int = 0) -> bytes:
    """Serialise a tree into a DTB blob."""
    struct_block = bytearray()
    string_block = bytearray()
    offsets: dict[str, int] = {}

    def name_offset(name: str) -> int:
        """The offset of a property name in the strings block (added the first time)."""
        if name not in offsets:
            offsets[name] = len(string_block)
            string_block.extend(name.encode() + b"\0")
        return offsets[name]

    def pad() -> None:
        """Pad the structure block to the 4-byte alignment every token needs."""
        while len(struct_block) % 4:
            struct_block.append(0)

    def emit(node: Node) -> None:
        """A node's tokens: BEGIN_NODE name, a PROP per property, its children, END_NODE."""
        struct_block.extend(struct.pack(">I", FDT_BEGIN_NODE))
        struct_block.extend(node.name.encode() + b"\0")
        pad()
        for key, value in node.props.items():
            data = encode_value(value)
            struct_block.extend(struct.pack(">III", FDT_PROP, len(data), name_offset(key)))
            struct_block.extend(data)
            pad()
        for child in node.children:
            emit(child)
        struct_block.extend(struct.pack(">I", FDT_END_NODE))

    emit(root)
    struct_block.extend(struct.pack(">I", FDT_END))
    header_size = 40
    rsvmap_offset = header_size
    rsvmap = bytes(16)                                # no reservations: one (0, 0) terminator
    struct_offset = rsvmap_offset + len(rsvmap)
    strings_offset = struct_offset + len(struct_block)
    total = strings_offset + len(string_block)
    header = struct.pack(">10I", FDT_MAGIC, total, struct_offset, strings_offset, rsvmap_offset,
                         17, 16, boot_cpu, len(string_block), len(struct_block))
    return header + rsvmap + bytes(struct_block) + bytes(string_block)
