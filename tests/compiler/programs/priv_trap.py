"""Traps and privilege, the way firmware uses them: an M-mode program with a @machine_trap
handler enters S-mode with trap_return, serves the S-mode code's ecalls (ecall_regs, all eight
argument registers both ways), reads S-mode memory with mprv_load8, takes a nested trap from
M-mode inside the handler (an access that faults), sees an S-mode CSR access trap as an
illegal instruction, and keeps every register of the interrupted code."""

from downstairs.compiler.runtime import u64, u32, u8, load16, array, csr_read, csr_write, csr_set, csr_clear
from downstairs.compiler.runtime import TrapFrame, entry, machine_trap
from downstairs.compiler.runtime import trap_return, ecall_regs, addr, hart_id, mprv_load8, mprv_store8, record
from downstairs.compiler.runtime import image_start, image_end, load8, store8
from uart import puts, put_u64, put_hex, newline
from virt import exit

MSTATUS = 0x300
SSCRATCH = 0x140
PMPCFG0 = 0x3A0
PMPADDR0 = 0x3B0
MPP_S = 1 << 11
CAUSE_ILLEGAL = 2
CAUSE_ECALL_S = 9
CALL_SUM = 1
CALL_PEEK = 2
CALL_POKE = 3
CALL_EXIT = 4


@record
class Hart:
    frame: TrapFrame          # what the S-mode code had when it trapped: mscratch points here
    faults: u64               # nested traps from M-mode (an mprv access that failed)
    nested: u64


harts = array(Hart, 1)
supervisor_stack = array(u64, 512)
MESSAGE = 0x80030000                          # S-mode memory the handler reads and writes


@machine_trap
def trap(frame: TrapFrame) -> None:
    """Every trap into M-mode. From M itself (a faulting mprv access): count it and step over
    the access. From S: an ecall asks for one of the CALL_* services."""
    me = harts[hart_id()]
    if (frame.status >> 11) & 3 == 3:
        me.faults += 1
        frame.pc += u64(4) if load16(frame.pc) & 3 == 3 else u64(2)     # step over the faulting access
        return
    if frame.cause == CAUSE_ILLEGAL:            # a CSR access: it reads 0 (rd is bits 11:7)
        puts(b"illegal instruction from S\n")
        frame.regs[(frame.tval >> 7) & 31] = 0
        frame.pc += 4
        return
    if frame.cause != CAUSE_ECALL_S:
        puts(b"unexpected cause ")
        put_u64(frame.cause)
        newline()
        exit(3)
    call = frame.regs[17]
    if call == CALL_SUM:
        total: u64 = 0
        for k in range(10, 17):
            total += frame.regs[k]
        frame.regs[10] = total
        frame.regs[11] = frame.regs[16] * 2
    elif call == CALL_PEEK:                       # a0 = an S-mode address: read its first bytes
        frame.regs[10] = u64(mprv_load8(frame.regs[10])) | (u64(mprv_load8(frame.regs[10] + 1)) << 8)
        frame.regs[11] = me.faults
    elif call == CALL_POKE:
        mprv_store8(frame.regs[10], u8(frame.regs[11]))
        frame.regs[10] = me.faults
    elif call == CALL_EXIT:
        exit(u32(frame.regs[10]))
    frame.pc += 4


def many_live_values(seed: u64) -> u64:
    """Twenty values live in registers across a trap that is not a call (an illegal CSR
    access in the middle): the trap entry must bring every one of them back."""
    v0 = seed
    v1 = seed * 3
    v2 = seed + 5
    v3 = seed * 7
    v4 = seed ^ 9
    v5 = seed + 11
    v6 = seed * 13
    v7 = seed + 15
    v8 = seed * 17
    v9 = seed + 19
    w0 = v0 * v1
    w1 = v1 + v2
    w2 = v2 * v3
    w3 = v3 + v4
    w4 = v4 * v5
    w5 = v5 + v6
    w6 = v6 * v7
    w7 = v7 + v8
    w8 = v8 * v9
    w9 = v9 + v0
    trapped = csr_read(MSTATUS)
    return v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9 + w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8 + w9 \
        + trapped


def supervisor(first: u64, second: u64) -> None:
    """Runs in S-mode, entered by trap_return with a0 and a1 from the frame."""
    puts(b"S-mode: a0=")
    put_u64(first)
    puts(b" a1=")
    put_u64(second)
    newline()
    regs = array(u64, 8)
    for k in range(7):
        regs[k] = u64(k + 1) * 100
    regs[7] = CALL_SUM
    ecall_regs(regs)
    puts(b"sum ")
    put_u64(regs[0])
    puts(b" a6*2 ")
    put_u64(regs[1])
    puts(b" a2 kept ")
    put_u64(regs[2])
    newline()
    store8(MESSAGE, 0x4F)
    store8(MESSAGE + 1, 0x4B)
    regs[0] = MESSAGE
    regs[7] = CALL_PEEK
    ecall_regs(regs)
    puts(b"peek ")
    put_hex(regs[0], 4)
    puts(b" faults ")
    put_u64(regs[1])
    newline()
    regs[0] = 8                                  # page 0: no memory there
    regs[7] = CALL_PEEK
    ecall_regs(regs)
    puts(b"peek at 8: faults ")
    put_u64(regs[1])
    newline()
    regs[0] = MESSAGE + 2
    regs[1] = 0x21
    regs[7] = CALL_POKE
    ecall_regs(regs)
    puts(b"poked ")
    put_u64(u64(load8(MESSAGE + 2)))
    newline()
    status = csr_read(MSTATUS)                   # an M-mode CSR from S: illegal instruction
    puts(b"mstatus read as ")
    put_u64(status)
    newline()
    puts(b"registers kept across a trap: ")
    put_u64(many_live_values(3))
    newline()
    regs[0] = 0
    regs[7] = CALL_EXIT
    ecall_regs(regs)


@entry(harts=1, stack=0x2000)
def main(hartid: u64, fdt: u64, info: u64) -> None:
    puts(b"M-mode hart ")
    put_u64(hartid)
    puts(b" image ")
    put_hex(image_start(), 8)
    puts(b" < end: ")
    put_u64(u64(image_end() > image_start()))
    newline()
    csr_write(SSCRATCH, 0x0F)
    csr_set(SSCRATCH, 0x30)
    csr_clear(SSCRATCH, 0x05)
    puts(b"csr set and clear: ")
    put_hex(csr_read(SSCRATCH), 2)
    newline()
    csr_write(PMPADDR0, 0x3FFFFFFFFFFFFF)        # S-mode may use all memory (xv6's start.c)
    csr_write(PMPCFG0, 0xF)
    frame = harts[hart_id()].frame
    frame.pc = addr(supervisor)
    frame.status = (csr_read(MSTATUS) & ~u64(3 << 11)) | MPP_S
    frame.regs[2] = addr(supervisor_stack) + 8 * 512      # sp: S-mode code needs its own stack
    frame.regs[10] = 7
    frame.regs[11] = 35
    trap_return(frame)
