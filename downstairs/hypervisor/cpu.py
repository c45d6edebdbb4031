"""x86-64 CPU state a VMM writes before the first KVM_RUN: CPUID, MSRs, FPU, segments, paging.

Follows the Intel SDM vol. 3 (2.5 control registers, 3.4.5 segment descriptors, 4.5 4-level
paging, 9.8 "initializing IA-32e mode") and the entry states of the two boot protocols:
Documentation/arch/x86/boot.rst ("64-bit boot protocol") and Xen's PVH start
(xen/include/public/arch-x86/hvm/start_info.h: 32-bit protected mode, paging off).
"""

import ctypes

from downstairs.hypervisor import kvm

# control register and EFER bits
CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_PG = 1, 2, 0x10, 0x20, 1 << 16, 1 << 18, 1 << 31
CR4_PAE = 1 << 5
EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE = 1, 1 << 8, 1 << 10, 1 << 11

# MSRs set at reset (SDM vol. 4)
MSR_IA32_TSC = 0x10
MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP = 0x174, 0x175, 0x176
MSR_IA32_MISC_ENABLE = 0x1A0
MISC_ENABLE_FAST_STRING = 1
MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK = 0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084
MSR_KERNEL_GS_BASE = 0xC0000102

# Where the VMM puts the boot GDT and the identity page tables (below 1 MiB, as Firecracker).
GDT_ADDR = 0x500
PML4_ADDR = 0x9000        # then the PDPT at 0xA000 and four page directories at 0xB000..0xEFFF

# GDT entries: index 2 is __BOOT_CS, index 3 is __BOOT_DS in the 64-bit boot protocol.
GDT_CODE64 = 0x00AF9B000000FFFF     # present, ring 0, code, read/execute, L=1, 4 KiB granularity
GDT_CODE32 = 0x00CF9B000000FFFF     # the same with D=1, L=0: flat 32-bit code
GDT_DATA = 0x00CF93000000FFFF       # present, ring 0, data, read/write, flat 4 GiB
GDT_TSS32 = 0x00008B0000000067      # a busy 32-bit TSS at 0, limit 0x67 (TR must be valid)


def gdt_bytes(code: int) -> bytes:
    """The boot GDT: null, null, the given code segment, flat data, and a 32-bit TSS."""
    entries = [0, 0, code, GDT_DATA, GDT_TSS32]
    return b"".join(e.to_bytes(8, "little") for e in entries)


def segment(selector: int, descriptor: int) -> kvm.kvm_segment:
    """A kvm_segment that matches a GDT descriptor, as the CPU would cache it after a load."""
    s = kvm.kvm_segment()
    s.selector = selector
    s.base = ((descriptor >> 16) & 0xFFFFFF) | (((descriptor >> 56) & 0xFF) << 24)
    limit = (descriptor & 0xFFFF) | (((descriptor >> 48) & 0xF) << 16)
    s.g = (descriptor >> 55) & 1
    s.limit = (limit << 12) | 0xFFF if s.g else limit
    s.type = (descriptor >> 40) & 0xF
    s.s = (descriptor >> 44) & 1
    s.dpl = (descriptor >> 45) & 3
    s.present = (descriptor >> 47) & 1
    s.avl = (descriptor >> 52) & 1
    s.l = (descriptor >> 53) & 1
    s.db = (descriptor >> 54) & 1
    return s


def identity_page_tables(memory, gib: int = 4) -> None:
    """Map the first `gib` GiB 1:1 with 2 MiB pages (PML4 -> PDPT -> PD), present+writable."""
    pdpt = PML4_ADDR + 0x1000
    memory.write(PML4_ADDR, (pdpt | 0x3).to_bytes(8, "little") + bytes(4096 - 8))
    entries = b""
    for i in range(gib):
        pd = PML4_ADDR + 0x2000 + i * 0x1000
        entries += (pd | 0x3).to_bytes(8, "little")
        memory.write(pd, b"".join(((((i << 9) + j) << 21) | 0x83).to_bytes(8, "little")
                                  for j in range(512)))
    memory.write(pdpt, entries + bytes(4096 - len(entries)))


def set_long_mode(vcpu, memory) -> None:
    """64-bit mode with paging, as the 64-bit Linux boot protocol requires at entry."""
    memory.write(GDT_ADDR, gdt_bytes(GDT_CODE64))
    identity_page_tables(memory)
    sregs = vcpu.get_sregs()
    _load_segments(sregs, GDT_CODE64)
    sregs.cr3 = PML4_ADDR
    sregs.cr4 = CR4_PAE
    sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG
    sregs.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE
    vcpu.set_sregs(sregs)


def set_protected_mode(vcpu, memory) -> None:
    """Flat 32-bit protected mode with paging off: the PVH entry state."""
    memory.write(GDT_ADDR, gdt_bytes(GDT_CODE32))
    sregs = vcpu.get_sregs()
    _load_segments(sregs, GDT_CODE32)
    sregs.cr0 = CR0_PE | CR0_ET
    sregs.cr4 = 0
    sregs.efer = 0
    vcpu.set_sregs(sregs)


def _load_segments(sregs, code: int) -> None:
    """Point the vCPU's GDTR at the boot GDT and load CS (the given code descriptor) and the
    flat data segments (KVM takes the hidden parts from sregs, not from the table)."""
    sregs.gdt.base = GDT_ADDR
    sregs.gdt.limit = 5 * 8 - 1
    sregs.idt.base = 0
    sregs.idt.limit = 0
    sregs.cs = segment(2 * 8, code)
    data = segment(3 * 8, GDT_DATA)
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data
    sregs.tr = segment(4 * 8, GDT_TSS32)


def set_cpuid(vcpu, supported, index: int) -> None:
    """What KVM can virtualise, with this vCPU's APIC ID and the 'running under a hypervisor' bit."""
    n = supported.nent
    table = kvm.cpuid2(n)
    for i in range(n):
        e = supported.entries[i]
        ctypes.memmove(ctypes.addressof(table.entries[i]), ctypes.addressof(e), ctypes.sizeof(e))
        t = table.entries[i]
        if e.function == 1:
            t.ebx = (t.ebx & 0x00FFFFFF) | (index << 24)
            t.ecx |= 1 << 31                              # hypervisor present
        elif e.function in (0xB, 0x1F):
            t.edx = index                                 # x2APIC ID
    vcpu.ioctl(kvm.KVM_SET_CPUID2, table)


def set_boot_msrs(vcpu) -> None:
    """The MSRs Linux expects zero at entry (SYSENTER, syscall), the TSC at 0, fast strings on."""
    vcpu.ioctl(kvm.KVM_SET_MSRS, kvm.msrs([
        (MSR_IA32_SYSENTER_CS, 0), (MSR_IA32_SYSENTER_ESP, 0), (MSR_IA32_SYSENTER_EIP, 0),
        (MSR_STAR, 0), (MSR_CSTAR, 0), (MSR_KERNEL_GS_BASE, 0), (MSR_SYSCALL_MASK, 0),
        (MSR_LSTAR, 0), (MSR_IA32_TSC, 0), (MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING)]))


def set_fpu(vcpu) -> None:
    """The x87 and SSE control state after FNINIT: every exception masked."""
    fpu = kvm.kvm_fpu()
    fpu.fcw = 0x37F          # x87 control word after FNINIT
    fpu.mxcsr = 0x1F80       # SSE: all exceptions masked
    vcpu.ioctl(kvm.KVM_SET_FPU, fpu)


def describe(regs, sregs) -> str:
    """The vCPU's registers, for the message that ends a VM after a fault."""
    names = ["rip", "rflags", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    parts = [f"{n}={getattr(regs, n):#x}" for n in names]
    parts += [f"cs={sregs.cs.selector:#x}(l={sregs.cs.l},db={sregs.cs.db})",
              f"cr0={sregs.cr0:#x}", f"cr2={sregs.cr2:#x}", f"cr3={sregs.cr3:#x}",
              f"cr4={sregs.cr4:#x}", f"efer={sregs.efer:#x}",
              f"idt={sregs.idt.base:#x}/{sregs.idt.limit:#x}"]
    return " ".join(parts)
