"""Loading programs into the machine's RAM: ELF files and raw images.

ELF follows the System V ABI's "Object Files" chapter with the RISC-V psABI: a 64-bit
little-endian file with e_machine = 243 (EM_RISCV). Each PT_LOAD segment is copied to its
physical address (p_paddr), and the zero fill up to p_memsz is cleared. The symbol table is
kept so that traces can name addresses: the full table (.symtab) when there is one, else
the dynamic one (.dynsym), which stripped position-independent images such as Debian's
OpenSBI and U-Boot ELF files still carry for their exported functions and objects.

Anything else is a raw image, copied byte for byte to the address the board chooses.
Linux's RISC-V "Image" header (Documentation/riscv/boot-image-header.rst) is recognised
for its load offset; images for other architectures are refused by their signatures.

Every problem with a file is a UsageError: one line for the user, never a traceback.
"""

import struct

from downstairs.errors import UsageError
from downstairs.host import read_input

EM_RISCV = 243
PT_LOAD = 1
SHT_SYMTAB = 2
SHT_DYNSYM = 11
ELF_MACHINES = {3: "x86", 40: "ARM", 62: "x86-64", 183: "AArch64", 8: "MIPS", 20: "PowerPC",
                21: "PowerPC64", 22: "s390", 258: "LoongArch"}


class Image:
    def __init__(self, path: str, entry: int, segments: list[tuple[int, bytes, int]],
                 symbols: dict[int, str] | None = None, is_elf: bool = False,
                 sizes: dict[int, int] | None = None):
        """A program to put in RAM: where it starts running, what goes where, and the names of
        its addresses (for traces)."""
        self.path = path
        self.entry = entry                       # where execution should begin
        self.segments = segments                 # (physical address, file bytes, memory size)
        self.symbols = {} if symbols is None else symbols
        self.is_elf = is_elf
        self.sizes = {} if sizes is None else sizes     # symbol sizes, where known

    @property
    def start(self) -> int:
        """The lowest address the image occupies."""
        return min(addr for addr, _, _ in self.segments)

    @property
    def end(self) -> int:
        """The address just past the image's highest byte (zero fill included)."""
        return max(addr + size for addr, _, size in self.segments)

    def symbol(self, name: str) -> int | None:
        """The address of the symbol called `name`, or None."""
        for addr, sym in self.symbols.items():
            if sym == name:
                return addr
        return None


def load_image(path: str, raw_address: int, limit: int) -> Image:
    """Parse `path` as ELF, or else as a raw image placed at `raw_address`; the file may
    be at most `limit` bytes."""
    data = read_input(path, "image", limit)
    if not data:
        raise UsageError(f"{path}: the file is empty")
    if data[:4] == b"\x7fELF":
        return parse_elf(path, data)
    refuse_foreign(path, data)
    return Image(path, raw_address, [(raw_address, data, len(data))])


def refuse_foreign(path: str, data: bytes) -> None:
    """A UsageError if a raw image is recognisably for another architecture (bzImage, ARM64
    Image, PE); a RISC-V Linux Image passes."""
    if len(data) >= 0x40 and data[0x38:0x3C] == b"RSC\x05":
        return                                   # a RISC-V Linux Image
    if len(data) > 0x206 and data[0x202:0x206] == b"HdrS":
        raise UsageError(f"{path}: an x86 Linux bzImage, not a RISC-V image")
    if len(data) >= 0x3C and data[0x38:0x3C] == b"ARM\x64":
        raise UsageError(f"{path}: an ARM64 Linux Image, not a RISC-V image")
    if data[:2] == b"MZ":
        raise UsageError(f"{path}: a PE/EFI executable, not a RISC-V image")


def parse_elf(path: str, data: bytes) -> Image:
    """The loadable segments, entry and symbols of an ELF64 RISC-V executable; every malformed
    field is a one-line UsageError."""
    def bad(why: str) -> UsageError:
        """The UsageError for a malformed file, saying why."""
        return UsageError(f"{path}: not a usable ELF file: {why}")

    if len(data) < 64:
        raise bad("truncated header")
    if data[4] != 2:
        raise bad("32-bit ELF; this machine is RV64")
    if data[5] != 1:
        raise bad("big-endian ELF; RISC-V is little-endian")
    (e_type, e_machine, _, e_entry, e_phoff, e_shoff, _, _, e_phentsize, e_phnum,
     e_shentsize, e_shnum, _) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if e_machine != EM_RISCV:
        arch = ELF_MACHINES.get(e_machine, f"machine {e_machine}")
        raise UsageError(f"{path}: an ELF file for {arch}, not RISC-V")
    if e_type not in (2, 3):
        raise bad("not an executable (ET_EXEC or ET_DYN)")
    if e_phnum == 0 or e_phentsize < 56 or e_phoff + e_phnum * e_phentsize > len(data):
        raise bad("program headers missing or truncated")
    segments = []
    for i in range(e_phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        if p_type != PT_LOAD or p_memsz == 0:
            continue
        if p_offset + p_filesz > len(data) or p_filesz > p_memsz:
            raise bad(f"segment {i} lies outside the file (truncated?)")
        segments.append((p_paddr, data[p_offset:p_offset + p_filesz], p_memsz))
    if not segments:
        raise bad("no loadable segments")
    sizes: dict[int, int] = {}
    symbols = parse_symbols(data, e_shoff, e_shnum, e_shentsize, SHT_SYMTAB, sizes) or \
        parse_symbols(data, e_shoff, e_shnum, e_shentsize, SHT_DYNSYM, sizes)
    return Image(path, e_entry, segments, symbols, is_elf=True, sizes=sizes)


def parse_symbols(data: bytes, shoff: int, shnum: int, shentsize: int, kind: int = SHT_SYMTAB,
                  sizes: dict[int, int] | None = None) -> dict[int, str]:
    """Function and object symbols by address from the tables of section type `kind` (their
    sizes into `sizes`); an unreadable table just yields none."""
    if shoff == 0 or shentsize < 64 or shoff + shnum * shentsize > len(data):
        return {}
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    symbols: dict[int, str] = {}
    for _, sh_type, _, _, offset, size, link, _, _, entsize in sections:
        if sh_type != kind or entsize < 24 or link >= len(sections):
            continue
        str_offset, str_size = sections[link][4], sections[link][5]
        strings = data[str_offset:str_offset + str_size]
        for pos in range(offset, min(offset + size, len(data) - 23), entsize):
            st_name, st_info, _, st_shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", data, pos)
            if st_name == 0 or st_shndx == 0 or st_info & 0xF > 2:
                continue                          # undefined, or not a notype/object/function
            end = strings.find(b"\0", st_name)
            name = strings[st_name:end if end >= 0 else None].decode("utf-8", "replace")
            if name and not name.startswith("$") and not name.startswith(".L"):
                symbols.setdefault(st_value, name)
                if sizes is not None and st_size:
                    sizes.setdefault(st_value, st_size)
    return symbols


def symbolize(symbols: dict[int, str], addr: int, sizes: dict[int, int] | None = None) -> str:
    """`name+0x12` for the nearest symbol at or below addr (empty if none, or if `sizes`
    says that symbol ends before addr)."""
    best = None
    for sym_addr in symbols:
        if sym_addr <= addr and (best is None or sym_addr > best):
            best = sym_addr
    if best is None or addr - best > 0x100000:
        return ""
    if sizes is not None and best in sizes and addr - best >= sizes[best]:
        return ""
    offset = addr - best
    return symbols[best] + (f"+{offset:#x}" if offset else "")
