"""A virtual machine on /dev/kvm: guest RAM, the in-kernel irqchip and PIT, vCPUs and their exit loop.

The order of ioctls follows Documentation/virt/kvm/api.rst: KVM_CREATE_VM on /dev/kvm; on
the VM, KVM_SET_TSS_ADDR, KVM_CREATE_IRQCHIP (a PIC pair, an IOAPIC and per-vCPU LAPICs, all
in the kernel), KVM_CREATE_PIT2, KVM_SET_USER_MEMORY_REGION for RAM, KVM_CREATE_VCPU; on
each vCPU, mmap of its `struct kvm_run`, then KVM_RUN in a loop. KVM_RUN returns whenever
the guest does something the kernel leaves to user space -- a port or MMIO access to a
device we model, a shutdown, an error -- and the loop below handles it and re-enters.
"""

import ctypes
import mmap
import os
import signal
import threading

from downstairs.host import guest_memory
from downstairs.devices.memory import BufferMemory
from downstairs.hypervisor import cpu, kvm
from downstairs.devices.bus import Bus

TSS_ADDR = 0xFFFBD000          # three pages the kernel needs for real mode on Intel VMX
MAX_RAM = 0xC0000000           # RAM stays below 3 GiB; the hole above holds MMIO, IOAPIC, LAPIC
MAP_NORESERVE = 0x4000         # <sys/mman.h>; Python 3.11 does not export it


class VmError(Exception):
    """The guest stopped in a way that is an error (triple fault, emulation failure, ...)."""


class Vcpu:
    def __init__(self, vm: "Vm", index: int):
        """vCPU `index` of `vm`: created, its kvm_run page mapped, CPUID, boot MSRs and FPU set."""
        self.vm = vm
        self.index = index
        self.fd = kvm.ioctl(vm.fd, kvm.KVM_CREATE_VCPU, index)
        size = kvm.ioctl(vm.kvm_fd, kvm.KVM_GET_VCPU_MMAP_SIZE)
        self.run_page = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.run = kvm.kvm_run.from_buffer(self.run_page)
        self.run_address = ctypes.addressof(self.run)
        self.thread_id: int | None = None
        cpu.set_cpuid(self, vm.cpuid, index)
        cpu.set_boot_msrs(self)
        cpu.set_fpu(self)

    def ioctl(self, request: int, arg=None) -> int:
        """An ioctl on this vCPU's descriptor."""
        return kvm.ioctl(self.fd, request, arg)

    def get_regs(self) -> kvm.kvm_regs:
        """The general registers (KVM_GET_REGS)."""
        regs = kvm.kvm_regs()
        self.ioctl(kvm.KVM_GET_REGS, regs)
        return regs

    def set_regs(self, regs: kvm.kvm_regs) -> None:
        """Set the general registers (KVM_SET_REGS)."""
        self.ioctl(kvm.KVM_SET_REGS, regs)

    def get_sregs(self) -> kvm.kvm_sregs:
        """The special registers: segments, control registers, EFER (KVM_GET_SREGS)."""
        sregs = kvm.kvm_sregs()
        self.ioctl(kvm.KVM_GET_SREGS, sregs)
        return sregs

    def set_sregs(self, sregs: kvm.kvm_sregs) -> None:
        """Set the special registers (KVM_SET_SREGS)."""
        self.ioctl(kvm.KVM_SET_SREGS, sregs)

    def state(self) -> str:
        """One line describing the vCPU's registers, for error messages."""
        return f"vCPU {self.index}: " + cpu.describe(self.get_regs(), self.get_sregs())

    def loop(self) -> None:
        """Run the guest until the VM stops. Errors end the whole VM with a message."""
        self.thread_id = threading.get_ident()
        run, vm = self.run, self.vm
        io, mmio = run.exit.io, run.exit.mmio
        io_bus, mmio_bus = vm.io_bus, vm.mmio_bus
        page = self.run_page
        fd, KVM_RUN = self.fd, kvm.KVM_RUN
        while not vm.stopped:
            try:
                kvm.ioctl(fd, KVM_RUN)
            except kvm.KvmError as err:
                if err.errno == 4:          # EINTR: a signal asked us to look at vm.stopped
                    run.immediate_exit = 0
                    continue
                if err.errno == 11:         # EAGAIN: an AP got INIT/SIPI while waiting; run again
                    continue
                vm.fail(f"KVM_RUN failed: {err}; {self.state()}")
                return
            reason = run.exit_reason
            if reason == kvm.KVM_EXIT_IO:
                size, port, offset = io.size, io.port, io.data_offset
                with vm.lock:
                    for i in range(io.count):
                        at = offset + i * size
                        if io.direction == kvm.KVM_EXIT_IO_OUT:
                            io_bus.write(port, size, int.from_bytes(page[at:at + size], "little"))
                        else:
                            page[at:at + size] = io_bus.read(port, size).to_bytes(size, "little")
            elif reason == kvm.KVM_EXIT_MMIO:
                n = mmio.len
                with vm.lock:
                    if mmio.is_write:
                        mmio_bus.write(mmio.phys_addr, n, int.from_bytes(bytes(mmio.data)[:n], "little"))
                    else:
                        value = mmio_bus.read(mmio.phys_addr, n)
                        ctypes.memmove(mmio.data, value.to_bytes(8, "little"), 8)
            elif reason == kvm.KVM_EXIT_INTR:
                continue
            elif reason == kvm.KVM_EXIT_HLT:
                vm.fail(f"the guest halted with interrupts off; {self.state()}")
            elif reason == kvm.KVM_EXIT_SHUTDOWN:
                state = self.state()
                if "rip=0xfff0 " in state and "cs=0xf000" in state:
                    state += " (the reset state: KVM on AMD resets the vCPU on a shutdown)"
                vm.fail(f"the guest triple-faulted (KVM_EXIT_SHUTDOWN); {state}")
            elif reason == kvm.KVM_EXIT_INTERNAL_ERROR:
                internal = run.exit.internal
                data = " ".join(f"{internal.data[i]:#x}" for i in range(min(internal.ndata, 16)))
                what = "emulation failure" if internal.suberror == 1 else f"suberror {internal.suberror}"
                vm.fail(f"KVM internal error: {what} [{data}]; {self.state()}")
            elif reason == kvm.KVM_EXIT_FAIL_ENTRY:
                code = run.exit.fail_entry.hardware_entry_failure_reason
                vm.fail(f"VM entry failed, hardware reason {code:#x}; {self.state()}")
            elif reason == kvm.KVM_EXIT_SYSTEM_EVENT:
                kind = run.exit.system_event.type
                if kind == kvm.KVM_SYSTEM_EVENT_SHUTDOWN:
                    vm.exit(0)
                elif kind == kvm.KVM_SYSTEM_EVENT_RESET:
                    vm.exit(vm.reset_status)
                else:
                    vm.fail(f"unexpected KVM system event {kind}; {self.state()}")
            else:
                name = kvm.EXIT_NAMES.get(reason, str(reason))
                vm.fail(f"unexpected exit {name}; {self.state()}")


def _ignore(signum, frame):
    """SIGUSR1's handler: the signal only has to interrupt KVM_RUN (EINTR)."""
    pass


class Vm:
    def __init__(self, mem_size: int, cpus: int = 1, kvm_path: str = "/dev/kvm"):
        """A VM with `mem_size` bytes of RAM at guest-physical 0 and `cpus` vCPUs, on the KVM device
        at `kvm_path` (KvmError if KVM refuses; ValueError above MAX_RAM)."""
        if mem_size > MAX_RAM:
            raise ValueError(f"at most {MAX_RAM >> 20} MiB of RAM")
        self.kvm_fd = kvm.open_kvm(kvm_path)
        self.fd = kvm.ioctl(self.kvm_fd, kvm.KVM_CREATE_VM, 0)
        self.cpuid = kvm.supported_cpuid(self.kvm_fd)
        kvm.ioctl(self.fd, kvm.KVM_SET_TSS_ADDR, TSS_ADDR)
        kvm.ioctl(self.fd, kvm.KVM_CREATE_IRQCHIP)
        pit = kvm.kvm_pit_config()
        pit.flags = kvm.KVM_PIT_SPEAKER_DUMMY
        kvm.ioctl(self.fd, kvm.KVM_CREATE_PIT2, pit)

        self.ram = guest_memory(mem_size, "--mem", mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
        region = kvm.kvm_userspace_memory_region()
        region.slot = 0
        region.guest_phys_addr = 0
        region.memory_size = mem_size
        region.userspace_addr = ctypes.addressof(ctypes.c_char.from_buffer(self.ram))
        kvm.ioctl(self.fd, kvm.KVM_SET_USER_MEMORY_REGION, region)
        self.memory = BufferMemory(self.ram)
        self.mem_size = mem_size

        self.io_bus = Bus("port", unclaimed=0xFFFFFFFF, partial=True)
        self.mmio_bus = Bus("mmio", unclaimed=0, partial=True)
        self.lock = threading.Lock()
        self.stopped = False
        self.status = 0
        self.error: str | None = None
        self.reset_status = 0          # what a guest reset means as an exit status
        self.rsdp_addr = 0             # ACPI root pointer, if the board wrote ACPI tables
        self.vcpus = [Vcpu(self, i) for i in range(cpus)]

    # ---- interrupts -------------------------------------------------------------------------
    def irq_line(self, gsi: int, level: bool) -> None:
        """Drive an interrupt line of the in-kernel PIC and IOAPIC (KVM_IRQ_LINE)."""
        line = kvm.kvm_irq_level()
        line.irq = gsi
        line.level = int(level)
        kvm.ioctl(self.fd, kvm.KVM_IRQ_LINE, line)

    def irq(self, gsi: int):
        """The `irq(level)` callable a device model is given for line `gsi`."""
        return lambda level: self.irq_line(gsi, level)

    # ---- stopping ---------------------------------------------------------------------------
    def exit(self, status: int) -> None:
        """The guest asked to end the VM (reset, power-off): the process exits with `status`."""
        if not self.stopped:
            self.status = status
            self.stopped = True
            self._kick()

    def fail(self, message: str) -> None:
        """The guest stopped in an error (a crash, a failed KVM_RUN): the run raises VmError(message)."""
        if not self.stopped:
            self.error = message
            self.status = 1
            self.stopped = True
            self._kick()

    def _kick(self) -> None:
        """Make every vCPU thread leave KVM_RUN: immediate_exit plus a signal (api.rst 4.135)."""
        me = threading.get_ident()
        for vcpu in self.vcpus:
            vcpu.run.immediate_exit = 1
            if vcpu.thread_id is not None and vcpu.thread_id != me:
                try:
                    signal.pthread_kill(vcpu.thread_id, signal.SIGUSR1)
                except (ProcessLookupError, OSError):
                    pass

    # ---- running ----------------------------------------------------------------------------
    def run(self, timeout: float | None = None) -> int:
        """Run all vCPUs until the guest ends the VM; vCPU 0 runs in the calling thread.

        Returns the exit status; raises VmError if the guest crashed or the timeout passed."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGUSR1, _ignore)
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda: self.fail(f"timed out after {timeout} s"))
            timer.daemon = True
            timer.start()
        threads = []
        for vcpu in self.vcpus[1:]:
            t = threading.Thread(target=vcpu.loop, daemon=True)
            t.start()
            threads.append(t)
        try:
            self.vcpus[0].loop()
        finally:
            if timer:
                timer.cancel()
            self.stopped = True
            self._kick()
            for t in threads:
                t.join(1.0)
        if self.error:
            raise VmError(self.error)
        return self.status

    def close(self) -> None:
        """Close the vCPUs', the VM's and /dev/kvm's descriptors."""
        for vcpu in self.vcpus:
            os.close(vcpu.fd)
        os.close(self.fd)
        os.close(self.kvm_fd)
