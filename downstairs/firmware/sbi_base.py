"""SBI Base extension (EID 0x10, SBI spec v2.0 chapter 4): what the firmware is and what it
implements. Linux's sbi_init() asks for the spec version, the implementation, then probes the
extensions it uses (TIME, IPI, RFENCE; SRST from v0.3 on; HSM for starting secondary harts)."""

from downstairs.compiler.runtime import u64, i64, TrapFrame, csr_read
from csr import MVENDORID, MARCHID, MIMPID
from sbi_spec import (SUCCESS, NOT_SUPPORTED, SPEC_VERSION, IMPL_ID, IMPL_VERSION, EXT_BASE, EXT_TIME, EXT_IPI,
                      EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN, LEGACY_PUTCHAR, LEGACY_GETCHAR)


def probe(eid: u64) -> u64:
    """1 for an extension this firmware implements, 0 otherwise."""
    known = eid == EXT_BASE or eid == EXT_TIME or eid == EXT_IPI or eid == EXT_RFENCE or eid == EXT_HSM \
        or eid == EXT_SRST or eid == EXT_DBCN or eid == LEGACY_PUTCHAR or eid == LEGACY_GETCHAR
    return u64(known)


def call(frame: TrapFrame, fid: u64) -> i64:
    if fid == 0:
        value: u64 = SPEC_VERSION
    elif fid == 1:
        value = IMPL_ID
    elif fid == 2:
        value = IMPL_VERSION
    elif fid == 3:
        value = probe(frame.regs[10])
    elif fid == 4:
        value = csr_read(MVENDORID)
    elif fid == 5:
        value = csr_read(MARCHID)
    elif fid == 6:
        value = csr_read(MIMPID)
    else:
        return NOT_SUPPORTED
    frame.regs[11] = value
    return SUCCESS
