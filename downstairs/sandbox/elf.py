"""Reading a program's ELF header and program headers (System V ABI, "Object Files").

execve needs to know, before anything runs: is this an ELF executable for the platform's
machine (e_machine 62 is x86-64, 243 RISC-V), is it static (no PT_INTERP: the sandbox runs
no dynamic loader), and, for the hart's loader, its PT_LOAD segments, entry point and where
its program headers are in memory (auxv's AT_PHDR). Only 64-bit little-endian files exist
on both platforms.
"""

import struct

ELF_MAGIC = b"\x7fELF"
HEADER_READ = 4096                     # enough for the header and the usual program headers
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
MACHINES = {62: "x86-64", 243: "RISC-V", 3: "x86", 40: "ARM", 183: "AArch64", 258: "LoongArch"}


class Segment:
    """One PT_LOAD: file bytes [offset, offset+filesz) at vaddr, zero-filled to memsz."""

    def __init__(self, vaddr: int, offset: int, filesz: int, memsz: int, flags: int):
        self.vaddr = vaddr
        self.offset = offset
        self.filesz = filesz
        self.memsz = memsz
        self.flags = flags


class Header:
    def __init__(self, kind: int, machine: int, entry: int, phoff: int, phnum: int,
                 segments: list[Segment], interpreter: tuple[int, int] | None, phdr: int | None):
        self.kind = kind                  # e_type
        self.machine = machine            # e_machine
        self.entry = entry
        self.phoff = phoff
        self.phnum = phnum
        self.segments = segments
        self.interpreter = interpreter    # PT_INTERP's (offset, size): dynamically linked
        self.phdr = phdr                  # PT_PHDR's address, if the file has one

    def executable(self) -> bool:
        return self.kind in (ET_EXEC, ET_DYN) and bool(self.segments)

    def machine_name(self) -> str:
        return MACHINES.get(self.machine, f"machine {self.machine}")

    def phdr_address(self, bias: int = 0) -> int:
        """Where the program headers are once loaded (AT_PHDR)."""
        if self.phdr is not None:
            return self.phdr + bias
        for seg in self.segments:
            if seg.offset <= self.phoff < seg.offset + seg.filesz:
                return seg.vaddr + self.phoff - seg.offset + bias
        return 0


def read_header(data: bytes) -> Header | None:
    """The header of a 64-bit little-endian ELF file from its first bytes; None if `data`
    is not one (or its program headers lie beyond `data`)."""
    if len(data) < EHDR.size or not data.startswith(ELF_MAGIC) or data[4] != 2 or data[5] != 1:
        return None
    (_, kind, machine, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = EHDR.unpack_from(data)
    if phentsize != PHDR.size or phoff + phnum * PHDR.size > len(data):
        return None
    segments = []
    interpreter = None
    phdr = None
    for i in range(phnum):
        ptype, flags, offset, vaddr, _, filesz, memsz, _ = PHDR.unpack_from(data, phoff + i * PHDR.size)
        if ptype == PT_LOAD:
            segments.append(Segment(vaddr, offset, filesz, memsz, flags))
        elif ptype == PT_INTERP:
            interpreter = (offset, filesz)
        elif ptype == PT_PHDR:
            phdr = vaddr
    return Header(kind, machine, entry, phoff, phnum, segments, interpreter, phdr)


def describe_problem(data: bytes, machine: int) -> str | None:
    """Why a file cannot run on a platform for `machine` (None: it can), in words."""
    header = read_header(data)
    if header is None:
        return "not an ELF executable"
    if header.machine != machine:
        return f"an ELF file for {header.machine_name()}, not {MACHINES.get(machine, machine)}"
    if not header.executable():
        return "an ELF file that is not an executable"
    if header.interpreter:
        return "dynamically linked (the sandbox runs static programs only)"
    return None
