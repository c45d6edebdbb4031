"""The firmware under plain CPython, for pytest and for a learner with a debugger.

load() runs the firmware's modules as the compiler runs any program under CPython
(compiler/cpython.py: every fixed-width result wrapped, the intrinsics acting on the board
model of compiler/runtime/host.py). Its @machine_trap handler is then what an ecall from S-mode calls,
exactly as on a hart, so

    fw = hosted.load()
    fw["hsm"].init(0, 0b11, 0x88000000)          # harts 0 and 1, RAM up to 0x88000000
    error, value = hosted.sbi_call(0x48534D, 2, 1)   # HSM get_status of hart 1

steps from the ecall through sbi.dispatch into hsm.py (break in either).
"""

from downstairs.compiler.cpython import checked, load_modules
from downstairs.compiler.runtime import host
from downstairs.firmware.build import HERE

S_MODE = 1
M_MODE = 3


def load() -> dict:
    """A fresh board model and fresh firmware modules (module-level state at its start)."""
    host.reset()
    return load_modules(*checked(str(HERE / "boot.py"), []))


def sbi_call(eid: int, fid: int, *args: int, hart: int = 0) -> tuple[int, int]:
    """An ecall from S-mode on `hart`: (error as a signed number, value)."""
    from downstairs.compiler import runtime

    machine = host.MACHINE
    machine.mode, machine.hart = S_MODE, hart
    regs = runtime.array(runtime.u64, 8)
    for k, arg in enumerate(args):
        regs[k] = runtime.u64(arg)
    regs[6], regs[7] = fid, eid
    runtime.ecall_regs(regs)
    return runtime.i64(regs[0]), regs[1]


def in_firmware(hart: int) -> None:
    """What follows runs as firmware code on `hart` (M-mode), as when a test calls a firmware
    function directly: hsm.wait_for_start() on a hart that was just started, say."""
    host.MACHINE.mode, host.MACHINE.hart = M_MODE, hart


def put_bytes(address: int, data: bytes) -> None:
    """Place bytes in the board model's memory (a device tree, an instruction, data)."""
    for k, byte in enumerate(data):
        host.MACHINE.memory[address + k] = byte


def get_bytes(address: int, length: int) -> bytes:
    return bytes(host.MACHINE.memory.get(address + k, 0) for k in range(length))
