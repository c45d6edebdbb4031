"""The two legacy (v0.1) calls this firmware keeps: console putchar (EID 0x01) and getchar
(EID 0x02), which `earlycon=sbi` and Linux's hvc0 console use. Legacy calls answer in a0
only: getchar gives the byte or -1. The other v0.1 calls are SBI_ERR_NOT_SUPPORTED."""

from downstairs.compiler.runtime import u8, u64, i64, TrapFrame
from sbi_spec import LEGACY_PUTCHAR
import console


def call(frame: TrapFrame, eid: u64) -> i64:
    if eid == LEGACY_PUTCHAR:
        console.putc(u8(frame.regs[10]))
        return 0
    return console.getc()
