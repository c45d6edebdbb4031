"""Names for what a tracer sees the hart do: trap causes (privileged spec table 3.6, and the
interrupts of 3.1.9) and SBI calls (the SBI specification v2.0's extension and function IDs,
chapter 3 onwards: a7 holds the extension, a6 the function, on an ecall from S-mode).

The machine does not implement SBI; its firmware does. These are only names, so that a
timeline or a narration can say "SBI TIME set_timer" instead of "ecall, a7 = 0x54494d45".
(Our own firmware has its copy of the numbers in firmware/sbi_spec.py: it implements them.)
"""

EXCEPTIONS = {
    0: "instruction address misaligned", 1: "instruction access fault", 2: "illegal instruction",
    3: "breakpoint", 4: "load address misaligned", 5: "load access fault",
    6: "store address misaligned", 7: "store access fault", 8: "ecall from U-mode",
    9: "ecall from S-mode", 11: "ecall from M-mode", 12: "instruction page fault",
    13: "load page fault", 15: "store page fault",
}
INTERRUPTS = {
    1: "supervisor software interrupt", 3: "machine software interrupt",
    5: "supervisor timer interrupt", 7: "machine timer interrupt",
    9: "supervisor external interrupt", 11: "machine external interrupt",
}
INTERRUPT_BIT = 1 << 63
MODES = {0: "U", 1: "S", 3: "M"}

# extension ID -> (name, {function ID: name}); legacy extensions 0-8 have one function each
SBI = {
    0x00: ("legacy", {0: "set_timer"}), 0x01: ("legacy", {0: "console_putchar"}),
    0x02: ("legacy", {0: "console_getchar"}), 0x03: ("legacy", {0: "clear_ipi"}),
    0x04: ("legacy", {0: "send_ipi"}), 0x05: ("legacy", {0: "remote_fence_i"}),
    0x06: ("legacy", {0: "remote_sfence_vma"}), 0x07: ("legacy", {0: "remote_sfence_vma_asid"}),
    0x08: ("legacy", {0: "shutdown"}),
    0x10: ("BASE", {0: "get_spec_version", 1: "get_impl_id", 2: "get_impl_version",
                    3: "probe_extension", 4: "get_mvendorid", 5: "get_marchid", 6: "get_mimpid"}),
    0x54494D45: ("TIME", {0: "set_timer"}),
    0x735049: ("IPI", {0: "send_ipi"}),
    0x52464E43: ("RFENCE", {0: "remote_fence_i", 1: "remote_sfence_vma", 2: "remote_sfence_vma_asid",
                            3: "remote_hfence_gvma_vmid", 4: "remote_hfence_gvma",
                            5: "remote_hfence_vvma_asid", 6: "remote_hfence_vvma"}),
    0x48534D: ("HSM", {0: "hart_start", 1: "hart_stop", 2: "hart_get_status", 3: "hart_suspend"}),
    0x53525354: ("SRST", {0: "system_reset"}),
    0x504D55: ("PMU", {}),
    0x4442434E: ("DBCN", {0: "console_write", 1: "console_read", 2: "console_write_byte"}),
    0x53555350: ("SUSP", {0: "system_suspend"}),
}


def trap_name(cause: int) -> str:
    """"supervisor timer interrupt", "store page fault", ... for an mcause/scause value."""
    if cause & INTERRUPT_BIT:
        code = cause & ~INTERRUPT_BIT
        return INTERRUPTS.get(code, f"interrupt {code}")
    return EXCEPTIONS.get(cause, f"exception {cause}")


def sbi_call(eid: int, fid: int) -> tuple[str, str]:
    """(extension, function) names of an SBI call: ("TIME", "set_timer"); numbers in hex for
    calls the table does not know."""
    extension, functions = SBI.get(eid, (f"{eid:#x}", {}))
    if eid <= 0x08:
        return extension, functions[0]
    return extension, functions.get(fid, f"function {fid}")
