"""The loader reads ELF by hand (machine/loader.py: the format is part of what a reader of
this project learns); pyelftools, an independent reader, must see the same program: entry,
loadable segments and the symbols traces name."""

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from downstairs.machine.loader import load_image

FILES = [
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf",
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf",
    "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf",
]


def reference(path):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        segments = [(s["p_paddr"], s.data(), s["p_memsz"]) for s in elf.iter_segments()
                    if s["p_type"] == "PT_LOAD" and s["p_memsz"]]
        tables = [s for s in elf.iter_sections() if isinstance(s, SymbolTableSection)]
        full = [t for t in tables if t["sh_type"] == "SHT_SYMTAB"] or tables
        symbols = {}
        for table in full:
            for sym in table.iter_symbols():
                if (sym.name and sym["st_shndx"] != "SHN_UNDEF"
                        and sym["st_info"]["type"] in ("STT_NOTYPE", "STT_OBJECT", "STT_FUNC")
                        and not sym.name.startswith(("$", ".L"))):
                    symbols.setdefault(sym["st_value"], sym.name)
        return elf.header["e_entry"], segments, symbols


@pytest.mark.parametrize("path", FILES)
def test_our_reading_matches_pyelftools(path):
    image = load_image(path, 0, 1 << 30)
    entry, segments, symbols = reference(path)
    assert image.entry == entry
    assert image.segments == segments
    assert image.symbols == symbols
