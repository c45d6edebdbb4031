"""The microVM board: which devices sit where, and how a guest's exit becomes the process's.

    ports 0x3f8-0x3ff  16550 UART (downstairs/devices/uart16550.py), IRQ 4
    ports 0x60, 0x64   i8042: 0xFE on 0x64 resets, which ends the VM with status 0
    ports 0x70, 0x71   CMOS RTC (reads zero); port 0x80 POST codes (ignored)
    0xd0000000 + 4 KiB * n   virtio-mmio slot n (block drives, the console, entropy), GSI 16 + n
    0xfec00000, 0xfee00000   IOAPIC and LAPIC, emulated inside KVM
Devices are announced to Linux through ACPI tables (acpi.py) in the BIOS area, like QEMU's
microvm: the Debian kernel is built without MP-table parsing and without
virtio_mmio.device= command-line devices, so ACPI is the one way it learns about them.
"""

import os
import sys
import threading
from dataclasses import dataclass, field

from downstairs.devices.uart16550 import Uart16550
from downstairs.devices.virtio.block import Block
from downstairs.devices.virtio.console import Console
from downstairs.devices.virtio.mmio import VirtioMmio
from downstairs.devices.virtio.rng import Entropy
from downstairs.errors import UsageError
from downstairs.hypervisor import acpi, boot
from downstairs.hypervisor.legacy import Cmos, I8042, Sink
from downstairs.hypervisor.vm import MAX_RAM, Vm

VIRTIO_BASE = 0xD0000000
VIRTIO_SIZE = 0x1000
VIRTIO_FIRST_GSI = 16
UART_PORT, UART_GSI = 0x3F8, 4
MIN_MEM = 32 << 20


@dataclass
class Drive:
    path: str
    read_only: bool = False


@dataclass
class Config:
    kernel: str
    initrd: str | None = None
    cmdline: str = "console=ttyS0"
    mem: int = 256 << 20
    cpus: int = 1
    drives: list[Drive] = field(default_factory=list)
    virtio_console: bool = True
    kvm_device: str = "/dev/kvm"


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist")
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a directory")
    except OSError as err:
        raise UsageError(f"cannot read {what} {path}: {err.strerror}")


class MicroVm:
    def __init__(self, config: Config, output=None):
        if config.mem < MIN_MEM:
            raise UsageError(f"too little memory: {config.mem >> 20} MiB (at least {MIN_MEM >> 20} MiB)")
        if config.mem > MAX_RAM:
            raise UsageError(f"too much memory: at most {MAX_RAM >> 20} MiB")
        if not 1 <= config.cpus <= 32:
            raise UsageError("--cpus must be between 1 and 32")
        kernel = _read(config.kernel, "kernel")
        kind = boot.kind_of(kernel)
        initrd = _read(config.initrd, "initrd") if config.initrd else None
        for d in config.drives:
            if not os.path.isfile(d.path):
                raise UsageError(f"drive {d.path} does not exist or is not a file")
        self.output = output or _stdout
        self.vm = vm = Vm(config.mem, config.cpus, config.kvm_device)
        self.uart = Uart16550(self.output, vm.irq(UART_GSI))
        vm.io_bus.map(UART_PORT, self.uart)
        vm.io_bus.map(0x60, I8042(lambda: vm.exit(vm.reset_status)))
        vm.io_bus.map(0x70, Cmos())
        vm.io_bus.map(0x80, Sink(1))
        self.transports = []
        models = [Block(d.path, d.read_only) for d in config.drives]
        if config.virtio_console:
            models.append(Console(self.output))
        models.append(Entropy())
        slots = []
        for n, model in enumerate(models):
            base, gsi = VIRTIO_BASE + n * VIRTIO_SIZE, VIRTIO_FIRST_GSI + n
            transport = VirtioMmio(model, vm.memory, vm.irq(gsi))
            vm.mmio_bus.map(base, transport)
            self.transports.append(transport)
            slots.append((base, VIRTIO_SIZE, gsi))
        tables = acpi.AcpiTables(config.cpus, slots, on_sleep=lambda: vm.exit(0))
        vm.rsdp_addr = tables.install(vm)
        self.protocol = boot.load_kernel(vm, kernel, initrd, config.cmdline)
        self.kind = kind

    def run(self, timeout: float | None = None, stdin: bool = False) -> int:
        """Run the guest; with `stdin`, the terminal's keystrokes go to the serial port."""
        if not stdin:
            return self.vm.run(timeout)
        restore = _raw_terminal(sys.stdin.fileno())
        reader = threading.Thread(target=self._feed_serial, args=(sys.stdin.fileno(),), daemon=True)
        reader.start()
        try:
            return self.vm.run(timeout)
        finally:
            restore()

    def _feed_serial(self, fd: int) -> None:
        """Host keyboard -> UART receive FIFO (the UART interrupts through KVM_IRQ_LINE)."""
        while not self.vm.stopped:
            try:
                data = os.read(fd, 256)
            except OSError:
                return
            if not data:
                return
            with self.vm.lock:
                self.uart.receive(data)


def _raw_terminal(fd: int):
    """Characters straight to the guest (it echoes them); Ctrl-C still stops the VMM."""
    import termios
    import tty
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return lambda: None
    tty.setcbreak(fd)
    mode = termios.tcgetattr(fd)
    mode[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    return lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _stdout(data: bytes) -> None:
    os.write(sys.stdout.fileno(), data)
