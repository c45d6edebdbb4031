"""Every trap into M-mode (privileged spec 3.1.15 for the causes): the compiler's trap entry
saves the trapped code's registers in this hart's TrapFrame and calls handle() with it.

    from S or U   ecall from S (9)             -> SBI call (sbi.py), then past the ecall
                  misaligned load/store (4, 6) -> emulated (misaligned.py)
                  anything else                -> handed to S-mode, as if delegated (hart.py)
    interrupts    M software (3)               -> this hart's IPI mailbox (ipi.py)
                  M timer (7)                  -> S-mode's timer, without Sstc (sbi.py)
    from M        a fault the firmware expected (hart.expect_fault: probing a CSR, reading
                  the trapped code's memory); anything else is a firmware bug:
                  a one-line report on the console and a power-off with status 3
"""

from downstairs.compiler.runtime import TrapFrame, machine_trap, hart_id
from board import power_off, INTERRUPT, IRQ_MSI, IRQ_MTI, ECALL_S, LOAD_MISALIGNED, STORE_MISALIGNED, MPP_SHIFT, PRV_M
import console
import hart
import ipi
import misaligned
import sbi


@machine_trap
def handle(frame: TrapFrame) -> None:
    cause = frame.cause
    if cause & INTERRUPT != 0:
        if cause & 0xFF == IRQ_MSI:
            ipi.serve(hart_id())
        elif cause & 0xFF == IRQ_MTI:
            sbi.timer_interrupt()
        return
    if (frame.status >> MPP_SHIFT) & 3 == PRV_M:
        if not hart.fault_taken(frame):
            crash(frame)
    elif cause == ECALL_S:
        frame.pc += 4
        sbi.dispatch(frame)
    elif cause == LOAD_MISALIGNED or cause == STORE_MISALIGNED:
        misaligned.emulate(frame)
    else:
        hart.redirect(frame, cause, frame.tval)


def crash(frame: TrapFrame) -> None:
    console.puts(b"downstairs-sbi: trap in the firmware: mcause ")
    console.put_hex(frame.cause)
    console.puts(b" mepc ")
    console.put_hex(frame.pc)
    console.puts(b" mtval ")
    console.put_hex(frame.tval)
    console.puts(b"\n")
    power_off(3)
