"""Minimal ACPI tables for the microVM: RSDP, XSDT, FADT, MADT and a DSDT with a few lines of AML.

Follows the ACPI Specification 6.4: 5.2.5 RSDP, 5.2.8 XSDT, 5.2.9 FADT (here "hardware
reduced", 4.1, so there are no PM1 blocks and no SCI, only a sleep control register),
5.2.12 MADT (one local APIC per vCPU, the IOAPIC, the usual IRQ0 -> GSI2 override), 6.4
resource descriptors, and 20 (AML encoding) for the DSDT, which declares:

    Scope (\\_SB) { Device (COM1) { _HID "PNP0501", _CRS { IO (0x3f8, 8), Interrupt (Edge, High) {4} } }
                     Device (VRnn) { _HID "LNRO0005", _UID n,
                                   _CRS { Memory32Fixed (base, 0x1000), Interrupt (Level, High) {gsi} } } }
    Name (\\_S5, Package () { 5, 0 })

LNRO0005 is the ACPI ID Linux's virtio_mmio driver matches. With \\_S5 present Linux powers off
by writing SLP_TYP=5 | SLP_EN to the FADT's sleep control register, which we place at I/O
port 0x600 and turn into the end of the VM. The FADT's reset register is the i8042's 0xFE.
The tables live in the reserved BIOS area at 0xE0000 (see boot.py's e820 map).
"""

import struct

TABLES_ADDR = 0xE0000
LAPIC_ADDR, IOAPIC_ADDR = 0xFEE00000, 0xFEC00000
SLEEP_PORT = 0x600
SLP_EN = 0x20
OEM_ID, OEM_TABLE = b"DSTAIR", b"DSMICROV"


def checksum(data: bytes) -> int:
    """The byte that makes `data` sum to zero (mod 256), as every ACPI table must."""
    return (-sum(data)) & 0xFF


def table(signature: bytes, revision: int, body: bytes) -> bytes:
    """An ACPI table: the 36-byte standard header (signature, length, revision, checksum, OEM
    ids) before `body`, checksummed."""
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sI4sI", signature, length, revision, 0, OEM_ID, OEM_TABLE, 1, b"DSTR", 1)
    data = bytearray(header + body)
    data[9] = checksum(data)
    return bytes(data)


def gas(space: int, bits: int, address: int, access: int = 1) -> bytes:
    """Generic Address Structure (5.2.3.2): space 0 = memory, 1 = system I/O."""
    return struct.pack("<BBBBQ", space, bits, 0, access, address)


# ---- AML (chapter 20) ---------------------------------------------------------------------
def pkg_length(body_len: int) -> bytes:
    """PkgLength counts itself: one byte up to 63, else a lead byte with the count of bytes."""
    for extra in range(4):
        total = body_len + 1 + extra
        if extra == 0 and total < 0x40:
            return bytes((total,))
        if extra and total < 1 << (4 + 8 * extra):
            out = [(extra << 6) | (total & 0xF)]
            out += [(total >> (4 + 8 * i)) & 0xFF for i in range(extra)]
            return bytes(out)
    raise ValueError("AML package too long")


def aml_int(value: int) -> bytes:
    """An AML integer: ZeroOp/OneOp, or the shortest of Byte/Word/DWord/QWordPrefix that holds it."""
    if value in (0, 1):
        return bytes((value,))                       # ZeroOp, OneOp
    for prefix, fmt in ((0x0A, "<B"), (0x0B, "<H"), (0x0C, "<I"), (0x0E, "<Q")):
        if value < 1 << (8 * struct.calcsize(fmt)):
            return bytes((prefix,)) + struct.pack(fmt, value)
    raise ValueError(value)


def aml_string(text: str) -> bytes:
    """An AML string: StringPrefix, the ASCII text, NUL."""
    return b"\x0D" + text.encode() + b"\0"


def aml_name(name: str, value: bytes) -> bytes:
    """Name(name, value): NameOp, a 4-character NameString, the value."""
    return b"\x08" + name.encode() + value          # NameOp NameString DataRefObject


def aml_buffer(data: bytes) -> bytes:
    """Buffer(data): BufferOp, PkgLength, the size, the bytes."""
    body = aml_int(len(data)) + data
    return b"\x11" + pkg_length(len(body)) + body


def aml_package(items: list[bytes]) -> bytes:
    """Package { items }: PackageOp, PkgLength, the element count, the elements."""
    body = bytes((len(items),)) + b"".join(items)
    return b"\x12" + pkg_length(len(body)) + body


def aml_scope(name: str, terms: bytes) -> bytes:
    """Scope(name) { terms }."""
    body = name.encode() + terms
    return b"\x10" + pkg_length(len(body)) + body


def aml_device(name: str, terms: bytes) -> bytes:
    """Device(name) { terms }: ExtOpPrefix DeviceOp, PkgLength, name, terms."""
    body = name.encode() + terms
    return b"\x5B\x82" + pkg_length(len(body)) + body


def virtio_device(n: int, base: int, size: int, gsi: int) -> bytes:
    """Device VRnn for virtio-mmio slot n: _HID LNRO0005 (Linux's virtio-mmio ACPI id) and a
    _CRS with its 32-bit memory window and its level-triggered, active-high GSI."""
    resources = (struct.pack("<BHBII", 0x86, 9, 1, base, size)        # Memory32Fixed, read/write
                 + struct.pack("<BHBBI", 0x89, 6, 0x01, 1, gsi)       # Interrupt: consumer, level, high
                 + b"\x79\x00")                                       # End tag
    terms = (aml_name("_HID", aml_string("LNRO0005")) + aml_name("_UID", aml_int(n))
             + aml_name("_CRS", aml_buffer(resources)))
    return aml_device(f"VR{n:02X}", terms)


def serial_device(port: int, gsi: int) -> bytes:
    """COM1 as an ACPI device. Needed: a hardware-reduced ACPI kernel has no legacy PIC, so the
    ISA IRQs are not mapped until a device's _CRS asks for them (this one: edge, active high)."""
    resources = (struct.pack("<BBHHBB", 0x47, 1, port, port, 1, 8)      # I/O, 16-bit decode, 8 ports
                 + struct.pack("<BHBBI", 0x89, 6, 0x03, 1, gsi)       # Interrupt: consumer, edge, high
                 + b"\x79\x00")
    terms = (aml_name("_HID", aml_string("PNP0501")) + aml_name("_UID", aml_int(1))
             + aml_name("_CRS", aml_buffer(resources)))
    return aml_device("COM1", terms)


class SleepControl:
    """The FADT sleep control register (4.8.3.7): SLP_EN with SLP_TYP 5 (S5) powers off."""
    size = 2

    def __init__(self, on_power_off):
        """The sleep control register; `on_power_off()` ends the VM."""
        self.on_power_off = on_power_off

    def read(self, offset: int, size: int) -> int:
        """The register reads as zero (no wake status)."""
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """SLP_EN with SLP_TYP 5 (S5, \\_S5_ in the DSDT): the guest powers off."""
        if offset == 0 and value & SLP_EN and (value >> 2) & 7 == 5:
            self.on_power_off()


class AcpiTables:
    def __init__(self, cpus: int, virtio_slots: list[tuple[int, int, int]], on_sleep):
        """Tables for `cpus` vCPUs and the virtio slots [(base, size, gsi)]; `on_sleep()` is
        called when the guest enters S5."""
        self.cpus = cpus
        self.slots = virtio_slots
        self.sleep = SleepControl(on_sleep)

    def dsdt(self) -> bytes:
        """The DSDT: the COM1 UART and the virtio-mmio slots under \\_SB_, and \\_S5_ for power-off."""
        devices = serial_device(0x3F8, 4)
        devices += b"".join(virtio_device(n, base, size, gsi) for n, (base, size, gsi) in enumerate(self.slots))
        aml = aml_scope("\\_SB_", devices) + aml_name("\\_S5_", aml_package([aml_int(5), aml_int(0)]))
        return table(b"DSDT", 2, aml)

    def madt(self) -> bytes:
        """The MADT: one enabled local APIC per vCPU, the IOAPIC at GSI 0, and the PC's IRQ0 -> GSI 2
        override."""
        body = struct.pack("<II", LAPIC_ADDR, 1)                      # PCAT_COMPAT: 8259s present
        for i in range(self.cpus):
            body += struct.pack("<BBBBI", 0, 8, i, i, 1)              # Processor Local APIC, enabled
        body += struct.pack("<BBBBII", 1, 12, self.cpus, 0, IOAPIC_ADDR, 0)   # I/O APIC, GSI base 0
        body += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)             # ISA IRQ0 -> GSI 2
        return table(b"APIC", 4, body)

    def fadt(self, dsdt_addr: int) -> bytes:
        """The FADT of a hardware-reduced ACPI machine: the DSDT's address, no VGA, the reset
        register (the i8042) and the sleep control and status registers."""
        body = bytearray(276 - 36)
        def put(offset, fmt, *values):
            """Pack `values` at `offset` of the whole table (the header's 36 bytes included)."""
            struct.pack_into(fmt, body, offset - 36, *values)
        put(40, "<I", dsdt_addr)
        put(109, "<H", 1 << 2)                                        # IAPC_BOOT_ARCH: no VGA
        put(112, "<I", (1 << 20) | (1 << 10))                         # HW_REDUCED_ACPI, RESET_REG_SUP
        body[116 - 36:128 - 36] = gas(1, 8, 0x64)                     # reset register: i8042
        put(128, "<B", 0xFE)
        put(131, "<B", 4)                                             # FADT minor version 6.4
        put(140, "<Q", dsdt_addr)                                     # X_DSDT
        body[244 - 36:256 - 36] = gas(1, 8, SLEEP_PORT)               # sleep control register
        body[256 - 36:268 - 36] = gas(1, 8, SLEEP_PORT + 1)           # sleep status register
        put(268, "<Q", int.from_bytes(b"DSTRVMM\0", "little"))        # hypervisor vendor identity
        return table(b"FACP", 6, bytes(body))

    def install(self, vm) -> int:
        """Write the tables into guest memory, claim the sleep port; returns the RSDP address."""
        vm.io_bus.map(SLEEP_PORT, self.sleep)
        rsdp_addr = TABLES_ADDR
        at = rsdp_addr + 64
        dsdt_addr, dsdt = at, self.dsdt()
        at = (at + len(dsdt) + 15) & ~15
        fadt_addr, fadt = at, self.fadt(dsdt_addr)
        at = (at + len(fadt) + 15) & ~15
        madt_addr, madt = at, self.madt()
        at = (at + len(madt) + 15) & ~15
        xsdt_addr, xsdt = at, table(b"XSDT", 1, struct.pack("<QQ", fadt_addr, madt_addr))
        rsdp = bytearray(struct.pack("<8sB6sBIIQB3s", b"RSD PTR ", 0, OEM_ID, 2, 0, 36, xsdt_addr, 0, b"\0" * 3))
        rsdp[8] = checksum(rsdp[:20])
        rsdp[32] = checksum(rsdp)
        for addr, data in ((rsdp_addr, bytes(rsdp)), (dsdt_addr, dsdt), (fadt_addr, fadt),
                           (madt_addr, madt), (xsdt_addr, xsdt)):
            vm.memory.write(addr, data)
        return rsdp_addr
