"""Loading Linux into guest memory: the PVH entry of an ELF vmlinux, or the 64-bit bzImage protocol.

PVH (Xen's xen/include/public/arch-x86/hvm/start_info.h, used by Linux's
arch/x86/platform/pvh/): the ELF's PT_LOAD segments go at their physical addresses; a note
of type XEN_ELFNOTE_PHYS32_ENTRY (18) holds the 32-bit entry point, entered in flat protected
mode with paging off and %ebx pointing at `struct hvm_start_info` (command line, initrd as
module 0, memory map).

bzImage (Documentation/arch/x86/boot.rst): the setup header at 0x1f1 is copied into a
zeroed `struct boot_params` ("zero page"), which gets the e820 memory map, command line and
initrd; the protected-mode kernel goes at its preferred address and is entered at +0x200 in
64-bit mode with %rsi = the zero page (the "64-bit boot protocol", XLF_KERNEL_64).

Guest-physical layout below 1 MiB (as Firecracker's):
    0x0500  GDT           0x6000  hvm_start_info, module list, memory map
    0x7000  boot_params   0x9000  identity page tables (set_long_mode)
    0x20000 command line  0x9fc00..0x100000 reserved (EBDA, BIOS area: ACPI tables go here)
"""

import struct

from downstairs.errors import UsageError
from downstairs.hypervisor import cpu

START_INFO_ADDR = 0x6000
MODLIST_ADDR = 0x6040
MEMMAP_ADDR = 0x6080
ZERO_PAGE_ADDR = 0x7000
CMDLINE_ADDR = 0x20000
CMDLINE_MAX = 2048
STACK_TOP = 0x8FF0
EBDA_START = 0x9FC00
HIGH_MEMORY = 0x100000

E820_RAM, E820_RESERVED = 1, 2
XEN_HVM_START_MAGIC = 0x336EC578
XEN_ELFNOTE_PHYS32_ENTRY = 18
XLF_KERNEL_64 = 1


def e820_map(mem_size: int) -> list[tuple[int, int, int]]:
    """(address, size, type): low RAM, the reserved BIOS hole, RAM from 1 MiB up."""
    return [(0, EBDA_START, E820_RAM),
            (EBDA_START, HIGH_MEMORY - EBDA_START, E820_RESERVED),
            (HIGH_MEMORY, mem_size - HIGH_MEMORY, E820_RAM)]


def kind_of(image: bytes) -> str:
    """"elf" or "bzimage" by the image's signature; anything else is a UsageError."""
    if image[:4] == b"\x7fELF":
        return "elf"
    if len(image) > 0x206 and image[0x202:0x206] == b"HdrS":
        return "bzimage"
    raise UsageError("the kernel is neither an ELF vmlinux (PVH) nor a bzImage")


def place_initrd(memory, mem_size: int, initrd: bytes, kernel_end: int, limit: int = 1 << 64) -> int:
    """Put the initrd page-aligned at the top of RAM (below `limit`), above the kernel."""
    top = min(mem_size, limit)
    addr = (top - len(initrd)) & ~0xFFF
    if addr < kernel_end:
        raise UsageError(f"not enough memory: the kernel and a {len(initrd) >> 10} KiB initrd do not fit "
                         f"in {mem_size >> 20} MiB")
    memory.write(addr, initrd)
    return addr


def write_cmdline(memory, cmdline: str) -> None:
    """Put the NUL-terminated command line at CMDLINE_ADDR (at most CMDLINE_MAX bytes)."""
    raw = cmdline.encode() + b"\0"
    if len(raw) > CMDLINE_MAX:
        raise UsageError(f"the kernel command line is longer than {CMDLINE_MAX - 1} bytes")
    memory.write(CMDLINE_ADDR, raw)


# ---- PVH ----------------------------------------------------------------------------------
def _elf_pvh(image: bytes):
    """PT_LOAD segments and the PHYS32 entry of a 64-bit x86 ELF kernel."""
    if image[4] != 2 or image[5] != 1 or struct.unpack_from("<H", image, 18)[0] != 62:
        raise UsageError("the ELF kernel is not 64-bit little-endian x86-64")
    phoff, = struct.unpack_from("<Q", image, 32)
    phentsize, phnum = struct.unpack_from("<HH", image, 54)
    loads, entry = [], None
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz, _ = \
            struct.unpack_from("<IIQQQQQQ", image, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_paddr, memoryview(image)[p_offset:p_offset + p_filesz], p_memsz))
        elif p_type == 4:                        # PT_NOTE: walk the notes
            at, end = p_offset, p_offset + p_filesz
            while at + 12 <= end:
                namesz, descsz, kind = struct.unpack_from("<III", image, at)
                name = image[at + 12:at + 12 + namesz].rstrip(b"\0")
                desc_at = at + 12 + ((namesz + 3) & ~3)
                if name == b"Xen" and kind == XEN_ELFNOTE_PHYS32_ENTRY:
                    entry = int.from_bytes(image[desc_at:desc_at + min(descsz, 8)], "little")
                at = desc_at + ((descsz + 3) & ~3)
    if entry is None:
        raise UsageError("the ELF kernel has no XEN_ELFNOTE_PHYS32_ENTRY note: it cannot boot with PVH")
    return loads, entry


def load_pvh(vm, image: bytes, initrd: bytes | None, cmdline: str) -> None:
    """Load an ELF vmlinux for the PVH entry: its segments at their physical addresses, the
    initrd, start_info with the command line and memory map, and the vCPU in 32-bit mode
    at the PHYS32_ENTRY note's address with %ebx = start_info."""
    memory, mem_size = vm.memory, vm.mem_size
    loads, entry = _elf_pvh(image)
    kernel_end = 0
    for paddr, data, memsz in loads:
        if paddr + memsz > mem_size:
            raise UsageError(f"not enough memory: the kernel needs RAM up to {(paddr + memsz) >> 20} MiB")
        memory.write(paddr, data)       # the rest (.bss) is already zero: RAM is fresh anonymous memory
        kernel_end = max(kernel_end, paddr + memsz)
    write_cmdline(memory, cmdline)
    nr_modules = 0
    if initrd is not None:
        addr = place_initrd(memory, mem_size, initrd, kernel_end)
        # struct hvm_modlist_entry { paddr, size, cmdline_paddr, reserved }
        memory.write(MODLIST_ADDR, struct.pack("<QQQQ", addr, len(initrd), 0, 0))
        nr_modules = 1
    e820 = e820_map(mem_size)
    # struct hvm_memmap_table_entry { addr, size, type, reserved }
    memory.write(MEMMAP_ADDR, b"".join(struct.pack("<QQII", a, s, t, 0) for a, s, t in e820))
    # struct hvm_start_info, version 1
    memory.write(START_INFO_ADDR, struct.pack(
        "<IIIIQQQQII", XEN_HVM_START_MAGIC, 1, 0, nr_modules, MODLIST_ADDR if nr_modules else 0,
        CMDLINE_ADDR, vm.rsdp_addr, MEMMAP_ADDR, len(e820), 0))
    vcpu = vm.vcpus[0]
    cpu.set_protected_mode(vcpu, memory)
    regs = vcpu.get_regs()
    regs.rip = entry
    regs.rbx = START_INFO_ADDR
    regs.rflags = 2
    vcpu.set_regs(regs)


# ---- bzImage ------------------------------------------------------------------------------
def load_bzimage(vm, image: bytes, initrd: bytes | None, cmdline: str) -> None:
    memory, mem_size = vm.memory, vm.mem_size
    version, = struct.unpack_from("<H", image, 0x206)
    if version < 0x020C:
        raise UsageError(f"bzImage boot protocol {version >> 8}.{version & 0xFF} has no 64-bit entry (2.12 needed)")
    xloadflags, = struct.unpack_from("<H", image, 0x236)
    if not xloadflags & XLF_KERNEL_64:
        raise UsageError("this bzImage has no 64-bit entry point (XLF_KERNEL_64)")
    setup_sects = image[0x1F1] or 4
    kernel = image[(setup_sects + 1) * 512:]
    pref_address, = struct.unpack_from("<Q", image, 0x258)
    init_size, = struct.unpack_from("<I", image, 0x260)
    load_at = pref_address if pref_address >= HIGH_MEMORY else HIGH_MEMORY
    kernel_end = load_at + max(init_size, len(kernel))
    if kernel_end > mem_size:
        raise UsageError(f"not enough memory: the kernel needs RAM up to {kernel_end >> 20} MiB")
    memory.write(load_at, kernel)
    write_cmdline(memory, cmdline)

    zero = bytearray(4096)
    header_end = 0x202 + image[0x201]            # the setup header's own length (jump at 0x200)
    zero[0x1F1:header_end] = image[0x1F1:header_end]
    zero[0x210] = 0xFF                           # type_of_loader: undefined boot loader
    zero[0x211] |= 0x01 | 0x80                   # loadflags: LOADED_HIGH, CAN_USE_HEAP
    struct.pack_into("<H", zero, 0x224, 0xFE00)  # heap_end_ptr
    struct.pack_into("<I", zero, 0x228, CMDLINE_ADDR)
    struct.pack_into("<I", zero, 0x238, CMDLINE_MAX - 1)
    struct.pack_into("<Q", zero, 0x70, vm.rsdp_addr)   # acpi_rsdp_addr
    if initrd is not None:
        limit, = struct.unpack_from("<I", image, 0x22C)   # initrd_addr_max
        addr = place_initrd(memory, mem_size, initrd, kernel_end, limit + 1)
        struct.pack_into("<II", zero, 0x218, addr, len(initrd))
    e820 = e820_map(mem_size)
    zero[0x1E8] = len(e820)
    for i, (a, s, t) in enumerate(e820):
        struct.pack_into("<QQI", zero, 0x2D0 + 20 * i, a, s, t)
    memory.write(ZERO_PAGE_ADDR, bytes(zero))

    vcpu = vm.vcpus[0]
    cpu.set_long_mode(vcpu, memory)
    regs = vcpu.get_regs()
    regs.rip = load_at + 0x200
    regs.rsi = ZERO_PAGE_ADDR
    regs.rsp = STACK_TOP
    regs.rflags = 2
    vcpu.set_regs(regs)


def load_kernel(vm, image: bytes, initrd: bytes | None, cmdline: str) -> str:
    """Load either kind of kernel; returns which protocol was used."""
    if kind_of(image) == "elf":
        load_pvh(vm, image, initrd, cmdline)
        return "pvh"
    load_bzimage(vm, image, initrd, cmdline)
    return "bzimage"
