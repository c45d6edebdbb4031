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

from downstairs.devices.uart16550 import Uart16550
from downstairs.devices.virtio.block import Block
from downstairs.devices.virtio.console import Console
from downstairs.devices.virtio.mmio import VirtioMmio
from downstairs.devices.virtio.rng import Entropy
from downstairs.errors import UsageError
from downstairs.host import Disk, Terminal, read_input
from downstairs.hypervisor import acpi, boot
from downstairs.hypervisor.legacy import Cmos, I8042, Sink
from downstairs.hypervisor.vm import MAX_RAM, Vm

VIRTIO_BASE = 0xD0000000
VIRTIO_SIZE = 0x1000
VIRTIO_FIRST_GSI = 16
UART_PORT, UART_GSI = 0x3F8, 4
MIN_MEM = 32 << 20
MAX_CPUS = 32


class Config:
    def __init__(self, kernel: str, initrd: str | None = None, cmdline: str = "console=ttyS0",
                 mem: int = 256 << 20, cpus: int = 1, drives: list[Disk] | None = None,
                 virtio_console: bool = True, kvm_device: str = "/dev/kvm"):
        """What `downstairs vm` was asked for (its options or a Firecracker-style file)."""
        self.kernel = kernel                     # a path: ELF vmlinux (PVH) or bzImage
        self.initrd = initrd                     # a path, or None
        self.cmdline = cmdline
        self.mem = mem                           # bytes of guest RAM
        self.cpus = cpus
        self.drives = [] if drives is None else drives   # virtio-blk disks, in slot order
        self.virtio_console = virtio_console     # a virtio console besides the 16550
        self.kvm_device = kvm_device


class MicroVm:
    def __init__(self, config: Config, output=None):
        """Check every input, then build the VM: KVM is touched only once the files are
        known to be good. Bad input is a UsageError; KVM's refusal a KvmError."""
        if config.mem < MIN_MEM:
            raise UsageError(f"too little memory: {config.mem >> 20} MiB (at least {MIN_MEM >> 20} MiB)")
        if config.mem > MAX_RAM:
            raise UsageError(f"too much memory: at most {MAX_RAM >> 20} MiB")
        if not 1 <= config.cpus <= MAX_CPUS:
            raise UsageError(f"--cpus must be between 1 and {MAX_CPUS}")
        kernel = read_input(config.kernel, "kernel", config.mem)
        kind = boot.kind_of(kernel)
        initrd = read_input(config.initrd, "initrd", config.mem) if config.initrd else None
        self.output = output or _stdout
        models = []
        try:
            models += [Block(d.path, d.read_only) for d in config.drives]   # checked and locked
            self.vm = vm = Vm(config.mem, config.cpus, config.kvm_device)
        except BaseException:
            for model in models:
                model.close()
            raise
        self.uart = Uart16550(self.output, vm.irq(UART_GSI))
        vm.io_bus.map(UART_PORT, self.uart)
        vm.io_bus.map(0x60, I8042(lambda: vm.exit(vm.reset_status)))
        vm.io_bus.map(0x70, Cmos())
        vm.io_bus.map(0x80, Sink(1))
        self.transports = []
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
        """Run the guest; with `stdin`, the terminal's keystrokes go to the serial port
        (Ctrl-C still stops the VMM), and the terminal comes back however the run ends."""
        if not stdin:
            return self.vm.run(timeout)
        terminal = Terminal(sys.stdin.fileno(), keys_to_guest=False)
        reader = threading.Thread(target=self._feed_serial, args=(sys.stdin.fileno(),), daemon=True)
        reader.start()
        try:
            return self.vm.run(timeout)
        finally:
            terminal.restore()

    def close(self) -> None:
        """The run is over: the disks sync and let go of their images and locks."""
        for transport in self.transports:
            transport.close()

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


def _stdout(data: bytes) -> None:
    """Guest console output straight to stdout (unbuffered: the guest's pace is the terminal's)."""
    os.write(sys.stdout.fileno(), data)
