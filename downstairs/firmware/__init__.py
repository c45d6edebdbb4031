"""Downstairs' own SBI firmware, the first layer of our own software (docs/firmware.md).

The firmware is written in the compiler's typed subset of Python (docs/compiler-language.md)
and compiled by `downstairs compile`; each of its source files is one idea:

    boot.py         the entry: boot hart and the others, the banner, entering the next stage
    hart.py         a hart's M-mode set-up (PMP, delegation, counters, Sstc), entering S-mode,
                    redirecting a trap to S-mode
    trap.py         every trap into M-mode
    sbi.py          SBI dispatch; sbi_base.py, sbi_time.py, sbi_ipi.py, sbi_rfence.py,
                    sbi_hsm.py, sbi_srst.py, sbi_dbcn.py, sbi_legacy.py: one extension each;
                    sbi_spec.py: the spec's numbers
    hsm.py          the hart state machine (start, stop, suspend)
    ipi.py          requests between harts (supervisor IPIs, remote fences)
    fdt.py          reading the device tree and adding /reserved-memory to it
    misaligned.py   emulated misaligned loads and stores
    console.py      the UART;  board.py: the virt board's devices;  csr.py: CSR numbers

The Python modules around it run on the host: build.py compiles it into the cache,
command.py is `downstairs firmware build|path`, hosted.py loads it into CPython for tests and
the debugger, bench.py measures what it costs.
"""

SOURCES = ["boot", "hart", "trap", "sbi", "sbi_spec", "sbi_base", "sbi_time", "sbi_ipi", "sbi_rfence",
           "sbi_hsm", "sbi_srst", "sbi_dbcn", "sbi_legacy", "hsm", "ipi", "fdt", "misaligned", "console",
           "board", "csr"]
