"""Downstairs' own kernel: a fixed set of tasks, message passing as the only interface, drivers in
user mode (docs/kernel.md is the tour). Hubris and seL4 are its models.

The kernel is written in the compiler's typed subset of Python (docs/compiler-language.md) and
runs in S-mode under SBI firmware. One file per idea, as xv6:

    boot.py       the entry: the task table, the address spaces, the first task
    trap.py       every trap, and the way back out to a task
    syscall.py    the five system calls (abi.py: their numbers and register shapes, shared with tasks)
    ipc.py        SEND, RECV, REPLY, BORROW, POST: messages between tasks
    lease.py      memory lent with a message, checked against the lender's memory
    notify.py     notification bits, and the timers that post them
    irq.py        device interrupts (the PLIC) become notifications
    scheduler.py  strict priorities, round robin among equals, idle in wfi
    task.py       a task's record, its states, starting one afresh
    table.py      the task table as the kernel reads it (and send rights)
    vm.py         page frames and Sv39 address spaces
    fault.py      a faulting task stops; the supervisor protocol
    panic.py      a kernel assertion: file:line on the console, power off with status 1
    sbi.py        the SBI calls the kernel makes

The tasks, in U-mode, are in tasks/ (their own package). Around them, on the host: system.toml
(the task table), tasktable.py (reads and checks it, and writes its binary form), build.py
(compiles everything into one cached image), command.py (`downstairs kernel build|path`),
hosted.py (the kernel's modules under CPython, for tests and a debugger), bench.py (its costs).
"""
