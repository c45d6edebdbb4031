"""Downstairs' own SBI firmware, the first layer of our own software (docs/firmware.md).

The firmware is written in the compiler's typed subset of Python (docs/compiler-language.md)
and compiled by `downstairs compile`; each of its source files is one idea:

    boot.py         the entry: boot hart and the others, the banner, entering the next stage
    hart.py         a hart's M-mode set-up (PMP, delegation, counters, Sstc), entering S-mode,
                    redirecting a trap to S-mode
    trap.py         every trap into M-mode
    sbi.py          SBI dispatch, and the BASE, TIME and SRST extensions; sbi_spec.py: the
                    spec's numbers
    hsm.py          the hart state machine (start, stop, suspend), and the HSM, IPI and
                    RFENCE extensions: the calls about other harts
    ipi.py          requests between harts (supervisor IPIs, remote fences)
    fdt.py          reading the device tree and adding /reserved-memory to it
    misaligned.py   emulated misaligned loads and stores
    console.py      the UART, and the DBCN and legacy console calls
    board.py        the virt board's devices and memory map, the CSRs and their bits

The Python modules around it run on the host: build.py compiles it into the cache,
command.py is `downstairs firmware build|path`, hosted.py loads it into CPython for tests and
the debugger; `downstairs bench --own-firmware` (bench/own_firmware.py) measures what it costs.
"""

SOURCES = ["boot", "hart", "trap", "sbi", "sbi_spec", "hsm", "ipi", "fdt", "misaligned", "console", "board"]
