"""An own 64-bit guest on /dev/kvm: long mode set by the VMM, port and MMIO exits, an IOAPIC interrupt.

This runs directly on any /dev/kvm, including the nested-PVM one on the development machines
(docs/hypervisor.md, "Testing"), because it needs none of what PVM cannot do.
"""

import pytest

from downstairs.devices.uart16550 import Uart16550
from downstairs.hypervisor import cpu, kvm
from downstairs.hypervisor.vm import Vm, VmError
from tests.hypervisor.asm import assemble

BASE = 0x100000

GUEST = r"""
.code64
.set BASE, 0x100000
.text
start:
    lidt idtr(%rip)
    mov $0xff, %al              # mask both 8259s: interrupts come through the IOAPIC
    out %al, $0x21
    out %al, $0xa1
    mov $0x3f8, %dx             # "hello" through the 16550 model, one port exit per byte
    lea msg(%rip), %rsi
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  mov $0xd0000000, %ebx       # MMIO exits: a 4-byte store, an 8-byte load
    movl $0x12345678, (%rbx)
    mov 8(%rbx), %rax
    mov $0x601, %dx
    out %eax, %dx
    shr $32, %rax
    out %eax, %dx
    mov $0xfee000f0, %ebx       # LAPIC spurious-vector register: software enable
    movl $0x1ff, (%rbx)
    mov $0xfec00000, %ebx       # IOAPIC redirection entry 5 -> vector 0x30, edge, unmasked
    movl $0x1a, (%rbx)
    movl $0x30, 0x10(%rbx)
    movl $0x1b, (%rbx)
    movl $0, 0x10(%rbx)
    mov $0x600, %dx             # ask the VMM to pulse IRQ 5
    mov $5, %al
    out %al, %dx
    sti
3:  hlt
    cmpb $0, seen(%rip)
    je 3b
    cli
    mov $0x602, %dx             # done: exit status 42
    mov $42, %al
    out %al, %dx
4:  hlt
    jmp 4b

.org 0x200
handler:
    push %rax
    push %rdx
    movb $1, seen(%rip)
    mov $0x3f8, %dx
    mov $'I', %al
    out %al, %dx
    mov $0xfee000b0, %eax       # LAPIC end of interrupt
    movl $0, (%rax)
    pop %rdx
    pop %rax
    iretq

msg: .asciz "hello from the guest\n"
seen: .byte 0
.balign 16
idt:
    .fill 0x30*16, 1, 0
    .word (handler - start + BASE) & 0xffff
    .word 0x10
    .byte 0, 0x8e
    .word ((handler - start + BASE) >> 16) & 0xffff
    .long 0
    .long 0
idtr:
    .word 0x31*16 - 1
    .quad idt - start + BASE
"""


class Scratch:
    """An MMIO test device: remembers a 32-bit store; offset 8 reads it back doubled, as 64 bits."""
    size = 0x1000

    def __init__(self):
        self.value = 0
        self.accesses = []

    def read(self, offset, size):
        self.accesses.append(("r", offset, size))
        return (self.value * 2) | (0xABCD << 40) if offset == 8 else 0

    def write(self, offset, size, value):
        self.accesses.append(("w", offset, size, value))
        self.value = value


class Ports:
    """Test ports: 0x600 pulses an IRQ, 0x601 records values, 0x602 ends the VM."""
    size = 3

    def __init__(self, vm):
        self.vm = vm
        self.recorded = []

    def read(self, offset, size):
        return 0

    def write(self, offset, size, value):
        if offset == 0:
            self.vm.irq_line(value, True)
            self.vm.irq_line(value, False)
        elif offset == 1:
            self.recorded.append(value)
        else:
            self.vm.exit(value)


def start_vm(code: bytes):
    vm = Vm(16 << 20)
    vm.memory.write(BASE, code)
    vcpu = vm.vcpus[0]
    cpu.set_long_mode(vcpu, vm.memory)
    regs = vcpu.get_regs()
    regs.rip = BASE
    regs.rsp = 0x80000
    regs.rflags = 2
    vcpu.set_regs(regs)
    return vm


def test_long_mode_guest_port_mmio_and_interrupt():
    vm = start_vm(assemble(GUEST))
    out = bytearray()
    vm.io_bus.map(0x3F8, Uart16550(out.extend, vm.irq(4)))
    ports = Ports(vm)
    vm.io_bus.map(0x600, ports)
    scratch = Scratch()
    vm.mmio_bus.map(0xD0000000, scratch)
    status = vm.run(timeout=60)
    vm.close()
    assert out == b"hello from the guest\nI"
    assert scratch.accesses == [("w", 0, 4, 0x12345678), ("r", 8, 8)]
    assert ports.recorded == [0x2468ACF0, 0xABCD << 8]
    assert status == 42


def test_triple_fault_ends_vm_with_registers():
    # No IDT: ud2 raises #UD, which cannot be delivered -> #DF -> shutdown.
    vm = start_vm(assemble(".code64\n mov $0x1234, %rbx\n ud2\n"))
    with pytest.raises(VmError) as info:
        vm.run(timeout=60)
    vm.close()
    message = str(info.value)
    assert "triple-fault" in message or "emulation failure" in message
    if "reset state" in message:
        # KVM on AMD SVM resets the vCPU on a shutdown intercept before returning to us
        assert "rip=0xfff0" in message and "cs=0xf000" in message
    else:
        assert "rbx=0x1234" in message and "cr3=0x9000" in message


def test_timeout_stops_a_spinning_guest():
    vm = start_vm(assemble(".code64\n1: jmp 1b\n"))
    with pytest.raises(VmError, match="timed out"):
        vm.run(timeout=0.5)
    vm.close()


def test_missing_kvm_device_is_a_usage_error(tmp_path):
    from downstairs.errors import UsageError
    with pytest.raises(UsageError, match="does not exist"):
        kvm.open_kvm(str(tmp_path / "kvm"))
    with pytest.raises(UsageError, match="not a KVM device"):
        kvm.open_kvm("/dev/null")   # opens, but is not KVM


@pytest.mark.parametrize("code", [
    "mov $0xfe, %al\n out %al, $0x64",                    # i8042: pulse the reset line
    "mov $0x600, %dx\n mov $0x34, %al\n out %al, %dx",    # ACPI sleep control: SLP_TYP=5 | SLP_EN
])
def test_guest_ends_the_vm_by_reset_or_acpi_power_off(code):
    from downstairs.hypervisor.acpi import SLEEP_PORT, SleepControl
    from downstairs.hypervisor.legacy import I8042
    vm = start_vm(assemble(f".code64\n {code}\n1: jmp 1b\n"))
    vm.io_bus.map(0x60, I8042(lambda: vm.exit(0)))
    vm.io_bus.map(SLEEP_PORT, SleepControl(lambda: vm.exit(0)))
    vm.status = 99
    assert vm.run(timeout=60) == 0
    vm.close()
