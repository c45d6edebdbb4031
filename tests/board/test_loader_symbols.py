"""Symbols for traces: the full table when an ELF has one, else its dynamic symbols (Debian's
stripped OpenSBI and U-Boot ELF files keep those), with sizes so that an address past the end
of the nearest symbol is not named after it."""

from downstairs.machine.loader import load_image, symbolize

UBOOT_ELF = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"


def test_stripped_uboot_keeps_dynamic_symbols():
    image = load_image(UBOOT_ELF, 0, 1 << 30)
    assert image.symbols[0x802125FA] == "board_init_r"
    assert symbolize(image.symbols, 0x802125FA + 4, image.sizes) == "board_init_r+0x4"
    size = image.sizes[0x802125FA]
    assert not symbolize(image.symbols, 0x802125FA + size, image.sizes).startswith("board_init_r")
