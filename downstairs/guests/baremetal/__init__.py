"""Bare-metal RISC-V programs that judge a machine emulator: the same ELF files run on QEMU and on
Downstairs, and their console output and exit status must agree.

How QEMU starts them (qemu-system-riscv64 7.2, checked on both boards):

    qemu-system-riscv64 -M virt  -m 128M -bios none -kernel PROG.elf -nographic
    qemu-system-riscv64 -M spike -m 128M -bios none -kernel PROG.elf -nographic

With `-bios none` QEMU loads the ELF's segments at their addresses (RAM starts at 0x80000000 on
both boards) and hart 0 starts in M-mode in the boot ROM at 0x1000, which sets a0 = mhartid,
a1 = the device tree address and jumps to 0x80000000: so every program is linked with _start
there.  (`-bios PROG.elf` alone also works on both boards; we use `-bios none -kernel` everywhere.)
On spike, QEMU finds the HTIF words by the ELF symbols `tohost` and `fromhost`, which must be
8-byte objects (QEMU checks st_size); they sit alone in their own page.

Console and exit:
    virt   16550 UART at 0x10000000 (poll LSR.THRE, write THR); exit through the sifive_test
           device at 0x100000: 0x5555 = status 0, 0x3333 | status << 16 = status.
    spike  HTIF: tohost = 1 << 56 | 1 << 48 | byte prints a byte, then the guest waits for
           fromhost != 0 and clears it; tohost = status << 1 | 1 exits with status.
Both boards have the CLINT at 0x2000000 (msip 0x0, mtimecmp 0x4000, mtime 0xbff8, 10 MHz).

Layout:
    runtime/   start.S (entry, stacks, .bss), trap.S (M/S trap entry, vectored mtvec table,
               run_in_mode/s_run_in_user), trap.c (record and skip exceptions, silence
               interrupts), lib.c (printf, check), crt.c, mmu.c (Sv39 identity map and PMP),
               board_virt.c, board_spike.c, virt.ld, spike.ld, bare.h, bench.h
    tests/     test programs: print "PASS name" / "FAIL name: got .. expected .." per check,
               then "N checks, M failed" and "RESULT PASS|FAIL"; exit status 0 or 1
               (exitcode.c exits with 42 on purpose)
    bench/     benchmarks: print a checksum, check it, exit 0; also built "MMU on" (main runs
               in S-mode under Sv39, 2 MiB pages for RAM, 4 KiB pages for the UART and test
               device), and in a small size (defines=("BENCH_SMALL",), about 1 M instructions)
    build.py   build(name, board="virt", mmu=False, defines=()) -> cached ELF path;
               list_programs(); variants() = every build the tests run; variant_name()
    runner.py  run(emulator_prefix, elf, board, timeout) -> (output, exit status or None)

QEMU 7.2 behaviours the programs rely on or work around (the emulator should match):
    - mret to S or U while no PMP entry is set raises an illegal instruction, so the runtime
      always opens PMP entry 7 (NAPOT over everything, RWX) first, as OpenSBI does;
    - A and D bits are set by hardware on access; misaligned ordinary loads/stores just work;
    - mtval is the instruction bits on illegal instructions and 0 on ebreak;
    - a misaligned AMO raises "load address misaligned" (4), not 6 (either is accepted);
    - the spike board has no `time` CSR (reads trap); virt has one.
"""
