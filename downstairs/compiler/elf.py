"""The ELF writer: an executable ELF64 for RISC-V, little-endian, with a symbol table.

Follows the System V gABI (ELF header, program header, section headers, symbol table) and the
RISC-V ELF psABI (EM_RISCV = 243, e_flags EF_RISCV_RVC = 1, soft-float ABI = 0).
One PT_LOAD segment holds code, read-only bytes and data, with the zero-filled .bss after it
(p_memsz > p_filesz); it sits at file offset 0x1000 so offset and address agree modulo the
page size. Sections: .text, .data, .bss, .symtab, .strtab, .shstrtab.
"""

import struct

EM_RISCV = 243
EF_RISCV_RVC = 0x1
PT_LOAD = 1
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_GLOBAL, STT_NOTYPE, STT_OBJECT, STT_FUNC = 1, 0, 1, 2


class Strings:
    """A string table (.strtab, .shstrtab): NUL-terminated names; `add` returns the offset."""

    def __init__(self):
        self.blob = bytearray(b"\0")

    def add(self, s: str) -> int:
        at = len(self.blob)
        self.blob += s.encode() + b"\0"
        return at


def write_elf(image) -> bytes:
    """`image` has: base, text (bytes), data_addr, data (bytes), bss_addr, bss_size, entry,
    symbols [(name, address, size, "func"|"object"|"label", section)] with section in
    "text"/"data"/"bss", and rvc (bool)."""
    seg_off = 0x1000
    text_off = seg_off
    data_off = seg_off + (image.data_addr - image.base)
    file_end = data_off + len(image.data)
    strtab, shstrtab = Strings(), Strings()
    shndx = {"text": 1, "data": 2, "bss": 3}
    symtab = bytearray(24)
    for name, addr, size, kind, section in image.symbols:
        stt = {"func": STT_FUNC, "object": STT_OBJECT}.get(kind, STT_NOTYPE)
        symtab += struct.pack("<IBBHQQ", strtab.add(name), (STB_GLOBAL << 4) | stt, 0, shndx[section], addr, size)
    sym_off = (file_end + 7) // 8 * 8
    str_off = sym_off + len(symtab)
    shstr_names = {n: shstrtab.add(n) for n in [".text", ".data", ".bss", ".symtab", ".strtab", ".shstrtab"]}
    shstr_off = str_off + len(strtab.blob)
    sh_off = (shstr_off + len(shstrtab.blob) + 7) // 8 * 8
    sections = [
        struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        struct.pack("<IIQQQQIIQQ", shstr_names[".text"], SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, image.base,
                    text_off, len(image.text), 0, 0, 4, 0),
        struct.pack("<IIQQQQIIQQ", shstr_names[".data"], SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, image.data_addr,
                    data_off, len(image.data), 0, 0, 16, 0),
        struct.pack("<IIQQQQIIQQ", shstr_names[".bss"], SHT_NOBITS, SHF_ALLOC | SHF_WRITE, image.bss_addr,
                    file_end, image.bss_size, 0, 0, 16, 0),
        struct.pack("<IIQQQQIIQQ", shstr_names[".symtab"], SHT_SYMTAB, 0, 0, sym_off, len(symtab), 5, 1, 8, 24),
        struct.pack("<IIQQQQIIQQ", shstr_names[".strtab"], SHT_STRTAB, 0, 0, str_off, len(strtab.blob), 0, 0, 1, 0),
        struct.pack("<IIQQQQIIQQ", shstr_names[".shstrtab"], SHT_STRTAB, 0, 0, shstr_off, len(shstrtab.blob),
                    0, 0, 1, 0),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, EM_RISCV, 1, image.entry, 64, sh_off,
                                 EF_RISCV_RVC if image.rvc else 0, 64, 56, 1, 64, len(sections), 6)
    memsz = image.bss_addr + image.bss_size - image.base
    phdr = struct.pack("<IIQQQQQQ", PT_LOAD, 7, seg_off, image.base, image.base,
                       file_end - seg_off, memsz, 0x1000)
    out = bytearray(header + phdr)
    out += bytes(seg_off - len(out))
    out += image.text
    out += bytes(data_off - len(out))
    out += image.data
    out += bytes(sym_off - len(out))
    out += symtab + strtab.blob + shstrtab.blob
    out += bytes(sh_off - len(out))
    for s in sections:
        out += s
    return bytes(out)


def flat_binary(image) -> bytes:
    """The memory image from the base address to the end of .data (the entry code zeroes .bss)."""
    return image.text + bytes(image.data_addr - image.base - len(image.text)) + image.data
