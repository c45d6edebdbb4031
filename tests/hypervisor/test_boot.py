"""Boot-time data built without running a guest: cpio archives, ACPI tables, the vmlinux
extractor, the PVH start info and the bzImage zero page (checked in a real VM's memory)."""

import gzip
import struct
import subprocess

import pytest

from downstairs.hypervisor import acpi, boot, cpu, extract, initramfs
from downstairs.hypervisor.vm import Vm

KERNEL = initramfs.default_kernel()


def test_cpio_archive_lists_with_the_cpio_tool(tmp_path):
    archive = initramfs.Cpio()
    archive.directory("dev")
    archive.char_device("dev/console", 5, 1)
    archive.file("init", b"#!/bin/sh\necho hi\n", 0o755)
    archive.symlink("sh", "busybox")
    data = archive.finish()
    assert len(data) % 4 == 0 and data.startswith(b"070701")
    out = subprocess.run(["cpio", "-itv"], input=data, capture_output=True, check=True).stdout.decode()
    assert "dev/console" in out and "init" in out and "sh -> busybox" in out
    subprocess.run(["cpio", "-idm", "--quiet"], input=data, cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "init").read_bytes() == b"#!/bin/sh\necho hi\n"


def test_vm_initramfs_is_cached_and_holds_busybox_and_modules():
    path = initramfs.vm_initramfs(initramfs.kernel_release(KERNEL))
    assert initramfs.vm_initramfs(initramfs.kernel_release(KERNEL)) == path
    names = subprocess.run(["cpio", "-it", "--quiet"], input=gzip.decompress(path.read_bytes()),
                           capture_output=True, check=True).stdout.decode().split()
    assert {"init", "bin/busybox", "lib/modules/virtio_mmio.ko", "lib/modules/virtio_blk.ko"} <= set(names)


def test_lz4_legacy_matches_the_lz4_tool(tmp_path):
    data = (b"downstairs " * 500 + bytes(range(256)) * 40 + b"a" * 3000)
    src = tmp_path / "x"
    src.write_bytes(data)
    subprocess.run(["lz4", "-l", "-q", "-f", str(src), str(tmp_path / "x.lz4")], check=True)
    assert extract.lz4_legacy((tmp_path / "x.lz4").read_bytes()) == data


def test_extract_vmlinux_from_debian_bzimage():
    with open(KERNEL, "rb") as f:
        elf = extract.extract_vmlinux(f.read())
    assert elf[:4] == b"\x7fELF"
    loads, entry = boot._elf_pvh(elf)
    assert loads and 0x1000000 <= entry < 0x2000000


def test_acpi_tables_checksum_and_aml():
    tables = acpi.AcpiTables(2, [(0xD0000000, 0x1000, 16), (0xD0001000, 0x1000, 17)], lambda: None)
    for t in (tables.dsdt(), tables.madt(), tables.fadt(0x1234)):
        assert sum(t) & 0xFF == 0
        assert struct.unpack_from("<I", t, 4)[0] == len(t)
    dsdt = tables.dsdt()
    assert dsdt.count(b"LNRO0005") == 2 and b"PNP0501" in dsdt and b"_S5_" in dsdt
    madt = tables.madt()
    assert madt[44:46] == b"\x00\x08" and madt[52:54] == b"\x00\x08"    # two local APICs
    assert acpi.pkg_length(10) == b"\x0b"
    assert acpi.pkg_length(100) == bytes((0x40 | (102 & 0xF), 102 >> 4))


def test_sleep_register_powers_off_only_for_s5():
    events = []
    reg = acpi.SleepControl(lambda: events.append("off"))
    reg.write(0, 1, (3 << 2) | acpi.SLP_EN)      # S3: ignored
    reg.write(0, 1, 5 << 2)                      # no SLP_EN: ignored
    assert events == []
    reg.write(0, 1, (5 << 2) | acpi.SLP_EN)
    assert events == ["off"]


@pytest.fixture
def vm():
    machine = Vm(256 << 20)
    yield machine
    machine.close()


def test_pvh_start_info_in_guest_memory(vm):
    vmlinux = extract.cached_vmlinux(KERNEL)
    with open(vmlinux, "rb") as f:
        image = f.read()
    initrd = b"\x42" * 10000
    boot.load_pvh(vm, image, initrd, "console=ttyS0 x=1")
    m = vm.memory
    magic, version, flags, nr_modules, modlist, cmdline, rsdp, memmap, entries, _ = \
        struct.unpack("<IIIIQQQQII", m.read(boot.START_INFO_ADDR, 56))
    assert (magic, version, nr_modules, entries) == (0x336EC578, 1, 1, 3)
    assert m.read(cmdline, 18) == b"console=ttyS0 x=1\0"
    addr, size, _, _ = struct.unpack("<QQQQ", m.read(modlist, 32))
    assert size == len(initrd) and m.read(addr, size) == initrd and addr % 4096 == 0
    assert addr + size <= 256 << 20
    regs, sregs = vm.vcpus[0].get_regs(), vm.vcpus[0].get_sregs()
    assert regs.rbx == boot.START_INFO_ADDR and 0x1000000 <= regs.rip < 0x2000000
    assert sregs.cr0 & cpu.CR0_PE and not sregs.cr0 & cpu.CR0_PG and sregs.cs.db == 1


def test_bzimage_zero_page_in_guest_memory(vm):
    with open(KERNEL, "rb") as f:
        image = f.read()
    boot.load_bzimage(vm, image, b"\x17" * 5000, "console=ttyS0")
    zp = vm.memory.read(boot.ZERO_PAGE_ADDR, 4096)
    assert zp[0x202:0x206] == b"HdrS" and zp[0x210] == 0xFF
    assert struct.unpack_from("<I", zp, 0x228)[0] == boot.CMDLINE_ADDR
    ramdisk, ramdisk_size = struct.unpack_from("<II", zp, 0x218)
    assert ramdisk_size == 5000 and vm.memory.read(ramdisk, 5000) == b"\x17" * 5000
    assert zp[0x1E8] == 3
    e820 = [struct.unpack_from("<QQI", zp, 0x2D0 + 20 * i) for i in range(3)]
    assert e820[2] == (0x100000, (256 << 20) - 0x100000, 1)
    regs, sregs = vm.vcpus[0].get_regs(), vm.vcpus[0].get_sregs()
    assert regs.rsi == boot.ZERO_PAGE_ADDR and regs.rip == 0x1000000 + 0x200
    assert sregs.cs.l == 1 and sregs.efer & cpu.EFER_LMA and sregs.cs.selector == 0x10
