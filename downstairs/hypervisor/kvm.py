"""The KVM API, named as in Linux's `include/uapi/linux/kvm.h` and `arch/x86/include/uapi/asm/kvm.h`.

This file is the only place that knows ioctl numbers and structure layouts. Everything else
in the hypervisor calls `ioctl(fd, NAME, struct)` with the names below. The API is described
in the kernel's Documentation/virt/kvm/api.rst: three kinds of file descriptor (the system
`/dev/kvm`, a VM, a vCPU), each driven by ioctls, and a `struct kvm_run` page shared with
each vCPU through mmap.
"""

import ctypes
import errno
import os

from downstairs.errors import UsageError

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_libc.ioctl.restype = ctypes.c_int

# ---- ioctl number encoding (include/uapi/asm-generic/ioctl.h) --------------------------
_IOC_NONE, _IOC_WRITE, _IOC_READ = 0, 1, 2
KVMIO = 0xAE


def _IOC(direction: int, nr: int, size: int) -> int:
    """An ioctl number as <asm-generic/ioctl.h> builds it: direction (2 bits), size (14),
    type (KVMIO), number (8)."""
    return (direction << 30) | (size << 16) | (KVMIO << 8) | nr


def _IO(nr: int) -> int:
    """An ioctl that passes no argument struct."""
    return _IOC(_IOC_NONE, nr, 0)


def _IOR(nr: int, struct) -> int:
    """An ioctl that reads `struct` back from the kernel."""
    return _IOC(_IOC_READ, nr, ctypes.sizeof(struct))


def _IOW(nr: int, struct) -> int:
    """An ioctl that passes `struct` to the kernel."""
    return _IOC(_IOC_WRITE, nr, ctypes.sizeof(struct))


def _IOWR(nr: int, struct) -> int:
    """An ioctl that passes `struct` and gets it back."""
    return _IOC(_IOC_READ | _IOC_WRITE, nr, ctypes.sizeof(struct))


# ---- structures -----------------------------------------------------------------------
class kvm_userspace_memory_region(ctypes.Structure):
    _fields_ = [("slot", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("guest_phys_addr", ctypes.c_uint64), ("memory_size", ctypes.c_uint64),
                ("userspace_addr", ctypes.c_uint64)]


class kvm_regs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags")]


class kvm_segment(ctypes.Structure):
    _fields_ = [("base", ctypes.c_uint64), ("limit", ctypes.c_uint32), ("selector", ctypes.c_uint16),
                ("type", ctypes.c_uint8), ("present", ctypes.c_uint8), ("dpl", ctypes.c_uint8),
                ("db", ctypes.c_uint8), ("s", ctypes.c_uint8), ("l", ctypes.c_uint8),
                ("g", ctypes.c_uint8), ("avl", ctypes.c_uint8), ("unusable", ctypes.c_uint8),
                ("padding", ctypes.c_uint8)]


class kvm_dtable(ctypes.Structure):
    _fields_ = [("base", ctypes.c_uint64), ("limit", ctypes.c_uint16), ("padding", ctypes.c_uint16 * 3)]


KVM_NR_INTERRUPTS = 256


class kvm_sregs(ctypes.Structure):
    _fields_ = [("cs", kvm_segment), ("ds", kvm_segment), ("es", kvm_segment), ("fs", kvm_segment),
                ("gs", kvm_segment), ("ss", kvm_segment), ("tr", kvm_segment), ("ldt", kvm_segment),
                ("gdt", kvm_dtable), ("idt", kvm_dtable),
                ("cr0", ctypes.c_uint64), ("cr2", ctypes.c_uint64), ("cr3", ctypes.c_uint64),
                ("cr4", ctypes.c_uint64), ("cr8", ctypes.c_uint64), ("efer", ctypes.c_uint64),
                ("apic_base", ctypes.c_uint64),
                ("interrupt_bitmap", ctypes.c_uint64 * ((KVM_NR_INTERRUPTS + 63) // 64))]


class kvm_cpuid_entry2(ctypes.Structure):
    _fields_ = [("function", ctypes.c_uint32), ("index", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("eax", ctypes.c_uint32), ("ebx", ctypes.c_uint32), ("ecx", ctypes.c_uint32),
                ("edx", ctypes.c_uint32), ("padding", ctypes.c_uint32 * 3)]


KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1   # (sic) the kernel's spelling


class kvm_cpuid2(ctypes.Structure):
    """Header only; the entries follow it (see `cpuid2(n)`)."""
    _fields_ = [("nent", ctypes.c_uint32), ("padding", ctypes.c_uint32)]


def cpuid2(n: int):
    """A `struct kvm_cpuid2` with room for n entries."""
    class kvm_cpuid2_n(ctypes.Structure):
        _fields_ = [("nent", ctypes.c_uint32), ("padding", ctypes.c_uint32),
                    ("entries", kvm_cpuid_entry2 * n)]
    value = kvm_cpuid2_n()
    value.nent = n
    return value


class kvm_msr_entry(ctypes.Structure):
    _fields_ = [("index", ctypes.c_uint32), ("reserved", ctypes.c_uint32), ("data", ctypes.c_uint64)]


class kvm_msrs(ctypes.Structure):
    _fields_ = [("nmsrs", ctypes.c_uint32), ("pad", ctypes.c_uint32)]


def msrs(pairs: list[tuple[int, int]]):
    """A `struct kvm_msrs` holding (index, data) pairs."""
    class kvm_msrs_n(ctypes.Structure):
        _fields_ = [("nmsrs", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                    ("entries", kvm_msr_entry * len(pairs))]
    value = kvm_msrs_n()
    value.nmsrs = len(pairs)
    for i, (index, data) in enumerate(pairs):
        value.entries[i].index = index
        value.entries[i].data = data
    return value


class kvm_irq_level(ctypes.Structure):
    _fields_ = [("irq", ctypes.c_uint32), ("level", ctypes.c_uint32)]


class kvm_pit_config(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint32), ("pad", ctypes.c_uint32 * 15)]


KVM_PIT_SPEAKER_DUMMY = 1


class kvm_fpu(ctypes.Structure):
    _fields_ = [("fpr", ctypes.c_uint8 * 128), ("fcw", ctypes.c_uint16), ("fsw", ctypes.c_uint16),
                ("ftwx", ctypes.c_uint8), ("pad1", ctypes.c_uint8), ("last_opcode", ctypes.c_uint16),
                ("last_ip", ctypes.c_uint64), ("last_dp", ctypes.c_uint64),
                ("xmm", ctypes.c_uint8 * 256), ("mxcsr", ctypes.c_uint32), ("pad2", ctypes.c_uint32)]


class kvm_vcpu_events(ctypes.Structure):
    _fields_ = [("exception_injected", ctypes.c_uint8), ("exception_nr", ctypes.c_uint8),
                ("exception_has_error_code", ctypes.c_uint8), ("exception_pending", ctypes.c_uint8),
                ("exception_error_code", ctypes.c_uint32),
                ("interrupt", ctypes.c_uint8 * 4), ("nmi", ctypes.c_uint8 * 4),
                ("sipi_vector", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("smi", ctypes.c_uint8 * 4), ("triple_fault", ctypes.c_uint8 * 1),
                ("reserved", ctypes.c_uint8 * 26), ("exception_has_payload", ctypes.c_uint8),
                ("exception_payload", ctypes.c_uint64)]


# struct kvm_run: the page shared with a vCPU. The exit-specific union starts at offset 32.
class _kvm_run_io(ctypes.Structure):
    _fields_ = [("direction", ctypes.c_uint8), ("size", ctypes.c_uint8), ("port", ctypes.c_uint16),
                ("count", ctypes.c_uint32), ("data_offset", ctypes.c_uint64)]


class _kvm_run_mmio(ctypes.Structure):
    _fields_ = [("phys_addr", ctypes.c_uint64), ("data", ctypes.c_uint8 * 8),
                ("len", ctypes.c_uint32), ("is_write", ctypes.c_uint8)]


class _kvm_run_internal(ctypes.Structure):
    _fields_ = [("suberror", ctypes.c_uint32), ("ndata", ctypes.c_uint32), ("data", ctypes.c_uint64 * 16)]


class _kvm_run_fail_entry(ctypes.Structure):
    _fields_ = [("hardware_entry_failure_reason", ctypes.c_uint64), ("cpu", ctypes.c_uint32)]


class _kvm_run_system_event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("ndata", ctypes.c_uint32), ("data", ctypes.c_uint64 * 16)]


class _kvm_run_exit(ctypes.Union):
    _fields_ = [("io", _kvm_run_io), ("mmio", _kvm_run_mmio), ("internal", _kvm_run_internal),
                ("fail_entry", _kvm_run_fail_entry), ("system_event", _kvm_run_system_event),
                ("padding", ctypes.c_char * 256)]


class kvm_run(ctypes.Structure):
    _fields_ = [("request_interrupt_window", ctypes.c_uint8), ("immediate_exit", ctypes.c_uint8),
                ("padding1", ctypes.c_uint8 * 6), ("exit_reason", ctypes.c_uint32),
                ("ready_for_interrupt_injection", ctypes.c_uint8), ("if_flag", ctypes.c_uint8),
                ("flags", ctypes.c_uint16), ("cr8", ctypes.c_uint64), ("apic_base", ctypes.c_uint64),
                ("exit", _kvm_run_exit)]


# ---- ioctls ---------------------------------------------------------------------------
# on /dev/kvm
KVM_GET_API_VERSION = _IO(0x00)
KVM_CREATE_VM = _IO(0x01)
KVM_CHECK_EXTENSION = _IO(0x03)
KVM_GET_VCPU_MMAP_SIZE = _IO(0x04)
KVM_GET_SUPPORTED_CPUID = _IOWR(0x05, kvm_cpuid2)
# on a VM
KVM_CREATE_VCPU = _IO(0x41)
KVM_SET_USER_MEMORY_REGION = _IOW(0x46, kvm_userspace_memory_region)
KVM_SET_TSS_ADDR = _IO(0x47)
KVM_SET_IDENTITY_MAP_ADDR = _IOW(0x48, ctypes.c_uint64)
KVM_CREATE_IRQCHIP = _IO(0x60)
KVM_IRQ_LINE = _IOW(0x61, kvm_irq_level)
KVM_CREATE_PIT2 = _IOW(0x77, kvm_pit_config)
# on a vCPU
KVM_RUN = _IO(0x80)
KVM_GET_REGS = _IOR(0x81, kvm_regs)
KVM_SET_REGS = _IOW(0x82, kvm_regs)
KVM_GET_SREGS = _IOR(0x83, kvm_sregs)
KVM_SET_SREGS = _IOW(0x84, kvm_sregs)
KVM_GET_MSRS = _IOWR(0x88, kvm_msrs)
KVM_SET_MSRS = _IOW(0x89, kvm_msrs)
KVM_SET_FPU = _IOW(0x8D, kvm_fpu)
KVM_SET_CPUID2 = _IOW(0x90, kvm_cpuid2)
KVM_GET_VCPU_EVENTS = _IOR(0x9F, kvm_vcpu_events)
KVM_SET_VCPU_EVENTS = _IOW(0xA0, kvm_vcpu_events)

KVM_API_VERSION = 12

# capabilities (KVM_CHECK_EXTENSION)
KVM_CAP_IRQCHIP = 0
KVM_CAP_HLT = 1
KVM_CAP_USER_MEMORY = 3
KVM_CAP_SET_TSS_ADDR = 4
KVM_CAP_EXT_CPUID = 7
KVM_CAP_PIT2 = 33
KVM_CAP_SET_IDENTITY_MAP_ADDR = 37
KVM_CAP_VCPU_EVENTS = 41
KVM_CAP_IMMEDIATE_EXIT = 136

REQUIRED_CAPS = {
    "KVM_CAP_IRQCHIP": KVM_CAP_IRQCHIP, "KVM_CAP_HLT": KVM_CAP_HLT,
    "KVM_CAP_USER_MEMORY": KVM_CAP_USER_MEMORY, "KVM_CAP_SET_TSS_ADDR": KVM_CAP_SET_TSS_ADDR,
    "KVM_CAP_EXT_CPUID": KVM_CAP_EXT_CPUID, "KVM_CAP_PIT2": KVM_CAP_PIT2,
    "KVM_CAP_IMMEDIATE_EXIT": KVM_CAP_IMMEDIATE_EXIT,
}

# exit reasons (kvm_run.exit_reason)
KVM_EXIT_UNKNOWN = 0
KVM_EXIT_EXCEPTION = 1
KVM_EXIT_IO = 2
KVM_EXIT_HYPERCALL = 3
KVM_EXIT_DEBUG = 4
KVM_EXIT_HLT = 5
KVM_EXIT_MMIO = 6
KVM_EXIT_IRQ_WINDOW_OPEN = 7
KVM_EXIT_SHUTDOWN = 8
KVM_EXIT_FAIL_ENTRY = 9
KVM_EXIT_INTR = 10
KVM_EXIT_INTERNAL_ERROR = 17
KVM_EXIT_SYSTEM_EVENT = 24
EXIT_NAMES = {v: k for k, v in globals().items() if k.startswith("KVM_EXIT_")}

KVM_EXIT_IO_IN, KVM_EXIT_IO_OUT = 0, 1
KVM_SYSTEM_EVENT_SHUTDOWN, KVM_SYSTEM_EVENT_RESET = 1, 2


class KvmError(OSError):
    """An ioctl that failed: carries the ioctl's name."""


_NAMES = {v: k for k, v in globals().items() if k.startswith("KVM_") and isinstance(v, int)
          and (v >> 8) & 0xFF == KVMIO}


def ioctl(fd: int, request: int, arg=None) -> int:
    """Issue one ioctl. `arg` is a ctypes structure (passed by address), an int, or None."""
    if arg is None:
        pointer = None
    elif isinstance(arg, int):
        pointer = arg
    else:
        pointer = ctypes.addressof(arg)
    while True:
        result = _libc.ioctl(fd, request, pointer)
        if result >= 0:
            return result
        err = ctypes.get_errno()
        if err == errno.EINTR and request != KVM_RUN:
            continue
        name = _NAMES.get(request, hex(request))
        raise KvmError(err, f"{name}: {os.strerror(err)}")


def open_kvm(path: str = "/dev/kvm") -> int:
    """Open the KVM system device and check the API version and the capabilities we use.

    Every failure a user can meet here becomes a one-line UsageError."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: this host has no KVM (load kvm_intel or kvm_amd)")
    except PermissionError:
        raise UsageError(f"no permission to open {path} (add yourself to the 'kvm' group)")
    except OSError as err:
        raise UsageError(f"cannot open {path}: {err.strerror}")
    try:
        version = ioctl(fd, KVM_GET_API_VERSION)
    except KvmError:
        os.close(fd)
        raise UsageError(f"{path} is not a KVM device")
    if version != KVM_API_VERSION:
        os.close(fd)
        raise UsageError(f"{path} speaks KVM API version {version}, we need {KVM_API_VERSION}")
    for name, cap in REQUIRED_CAPS.items():
        if ioctl(fd, KVM_CHECK_EXTENSION, cap) <= 0:
            os.close(fd)
            raise UsageError(f"this KVM is too old: it lacks {name}")
    return fd


def supported_cpuid(kvm_fd: int):
    """KVM_GET_SUPPORTED_CPUID, growing the buffer until the kernel's list fits."""
    n = 64
    while True:
        table = cpuid2(n)
        try:
            ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, table)
            return table
        except KvmError as err:
            if err.errno != errno.E2BIG:
                raise
            n *= 2
