"""The reset vector: the first instructions a hart runs, at 0x1000 in the boards' mask ROM.

Like QEMU's RISC-V boards (and real SoCs' boot ROMs), the ROM hands over to the firmware
in DRAM with the arguments the RISC-V boot conventions expect: a0 = this hart's id,
a1 = the device tree's address, a2 = the address of a `fw_dynamic_info` record (OpenSBI's
docs/firmware/fw_dynamic.md: magic "OSBI", version 2, the next stage's address and
privilege mode, options, the boot hart), then jumps to the start address.
"""

import struct

from downstairs.isa import encode as e

FW_DYNAMIC_MAGIC = 0x4942534F        # "OSBI"
FW_DYNAMIC_VERSION = 2
NEXT_MODE_S = 1


def reset_vector(start: int, fdt: int, next_addr: int, next_mode: int = NEXT_MODE_S) -> bytes:
    """The ROM's bytes: code that jumps to `start` with a0 = hartid, a1 = the device tree at
    `fdt` and a2 = a fw_dynamic_info block naming `next_addr` (the -kernel entry, 0 if none)
    and its mode, followed by the data the code loads."""
    t0, a0, a1, a2 = e.REG["t0"], e.REG["a0"], e.REG["a1"], e.REG["a2"]
    code = [
        e.auipc(t0, 0),                       # t0 = 0x1000
        e.i("addi", a2, t0, 0x28),            # a2 = &fw_dynamic_info
        e.csr("csrrs", a0, 0xF14, 0),         # a0 = mhartid
        e.i("ld", a1, t0, 0x20),              # a1 = the device tree
        e.i("ld", t0, t0, 0x18),              # t0 = the start address
        e.i("jalr", 0, t0, 0),                # jump
    ]
    rom = bytearray(e.to_bytes(code))
    rom += struct.pack("<QQ", start, fdt)     # at 0x1018 and 0x1020
    rom += struct.pack("<6Q", FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, next_addr, next_mode, 0, 0)
    return bytes(rom)
