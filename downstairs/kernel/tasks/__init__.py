"""The tasks of our system, each a program in the typed subset that runs in U-mode in its own
address space (docs/kernel.md):

    supervisor.py   told of every fault; restarts the task that faulted
    uart.py         owns the 16550 UART and its interrupt: serves writes and reads
    blk.py          owns a virtio-mmio block device: serves sector reads and writes
    virtio.py       the virtio-mmio transport and virtqueue logic blk.py drives (no IPC in it:
                    a boot loader can drive a disk with it too)
    store.py        records by key on the disk, served to the other tasks
    crasher.py      a server that faults every few requests, for the supervisor to restart
    app.py          prints, reads its record, writes one, asks the crasher, powers off

userlib.py is the tasks' side of the system calls; protocol.py the servers' operations and codes.
Each task also imports `slots`, which the build generates from the task table (task indexes).
"""
