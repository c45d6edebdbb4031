"""SBI Debug Console extension (EID "DBCN", chapter 12, new in v2.0): strings in and out of
the console by physical address. The buffer must lie in RAM outside the firmware: anything
else is SBI_ERR_INVALID_PARAM. Reads never wait: they return what the UART has."""

from downstairs.compiler.runtime import u8, u64, i64, TrapFrame, load8, store8
from sbi_spec import SUCCESS, NOT_SUPPORTED, INVALID_PARAM
import console
import hart
import hsm


def buffer_ok(base: u64, high: u64, count: u64) -> bool:
    return high == 0 and hart.firmware_end() <= base and base + count <= hsm.ram_end and base + count >= base


def call(frame: TrapFrame, fid: u64) -> i64:
    count = frame.regs[10]
    base = frame.regs[11]
    high = frame.regs[12]
    if fid == 2:                                    # write one byte
        console.putc(u8(count))
        frame.regs[11] = 0
        return SUCCESS
    if fid > 1:
        return NOT_SUPPORTED
    if not buffer_ok(base, high, count):
        return INVALID_PARAM
    done: u64 = 0
    while done < count:
        if fid == 0:
            console.putc(load8(base + done))
        else:
            c = console.getc()
            if c < 0:
                break
            store8(base + done, u8(c))
        done += 1
    frame.regs[11] = done
    return SUCCESS
