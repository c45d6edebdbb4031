"""The task table as the kernel reads it: the binary form `downstairs kernel build` writes from
the TOML task table (downstairs/kernel/tasktable.py encodes it with the offsets below; docs/kernel.md,
"The task table"). It sits at the first page after the kernel's image, where boot.py finds it.

    header (128 bytes)                         a task (TASK_SIZE = 160 bytes, at 128 + 160 * i)
     +0  magic "DSTASKS1"          u64          +0  name, NUL-padded           16 bytes
     +8  task count                u32         +16  priority (0 most urgent)   u8
    +12  supervisor's index        u32         +17  flags (FLAG_POWER)         u8
    +16  kernel image start        u64         +20  may send/post to (mask)    u32
    +24  kernel image end          u64         +24  image: where its code and data wait   u64
    +32  first free frame          u64         +32  image size (bytes to copy)            u64
    +40  end of the free frames    u64         +40  memory base (= its entry's page, VA = PA) u64
    +48  PLIC                      u64         +48  memory size                           u64
                                               +56  text size (read+execute from base)    u64
                                               +64  data size (read+write after the text) u64
                                               +72  stack size (read+write at the top)    u64
                                               +80  entry point (main)                    u64
                                               +88  devices: 2 x (base u64, size u64)
                                              +120  their interrupts: 2 x (PLIC source u32, bits u32)

What panic.py needs sits on the page after the table's (LINES_OFFSET), so that a panic can
say where it happened even when the task table is what is wrong:

    +0  magic "DSLINES1" u64    +8  finisher device (0: none) u64    +16 entry count n u64
   +24  file count u64          +32 n entries: address - kernel start u32, file u16, line u16
        (sorted by address), then the file names, FILE_NAME bytes each

Send rights are resources: only this module makes them (from the table, at boot) or changes
them, so no other part of the kernel can grant a task a right it was not built with.
"""

from downstairs.compiler.runtime import u8, u32, u64, resource, array, Ref, load8, load32, load64

MAGIC = 0x31534B5341545344      # "DSTASKS1", little-endian
HEADER_SIZE = 128
TASK_SIZE = 160
MAX_TASKS = 16
MAX_DEVICES = 2
MAX_IRQS = 2
NAME_SIZE = 16
FLAG_POWER = 1
FILE_NAME = 64                  # the line table's file names
LINES_OFFSET = 4096             # the line table, from the task table
LINES_MAGIC = 0x3153454E494C5344    # "DSLINES1"
L_MAGIC = 0
L_FINISHER = 8
L_COUNT = 16
L_FILES = 24
L_ENTRIES = 32

# header fields
H_MAGIC = 0
H_COUNT = 8
H_SUPERVISOR = 12
H_KERNEL_START = 16
H_KERNEL_END = 24
H_FRAMES = 32
H_FRAMES_END = 40
H_PLIC = 48
# task fields
T_NAME = 0
T_PRIORITY = 16
T_FLAGS = 17
T_SENDS = 20
T_IMAGE = 24
T_IMAGE_SIZE = 32
T_BASE = 40
T_SIZE = 48
T_TEXT = 56
T_DATA = 64
T_STACK = 72
T_ENTRY = 80
T_DEVICES = 88          # 2 x (base u64 +0, size u64 +8)
T_IRQS = 120            # 2 x (PLIC source u32 +0, bits u32 +4): device k's interrupt


@resource
class Rights:
    """The tasks one task may send and post to: bit i for task i."""
    mask: u32


rights = array(Rights, MAX_TASKS)
where: u64 = 0                      # the table's address, once read


def read_header(address: u64) -> u32:
    """Check the table at `address` and remember it: the number of tasks (a kernel assertion
    if the magic number is wrong or there are too many)."""
    global where
    where = address
    assert load64(address + H_MAGIC) == MAGIC, "no task table after the kernel's image"
    count = load32(address + H_COUNT)
    assert 0 < count <= MAX_TASKS
    for i in range(count):
        rights[i].mask = load32(entry(u32(i)) + T_SENDS)
    return count


def header(offset: u64) -> u64:
    """A 64-bit header field (H_KERNEL_START ... H_PLIC)."""
    return load64(where + offset)


def lines() -> u64:
    """The line table, if the kernel has found its tables and the line table is whole; else 0."""
    if where == 0 or load64(where + LINES_OFFSET + L_MAGIC) != LINES_MAGIC:
        return 0
    return where + LINES_OFFSET


def supervisor() -> u32:
    return load32(where + H_SUPERVISOR)


def entry(index: u32) -> u64:
    """The address of task `index`'s entry in the table."""
    return where + HEADER_SIZE + u64(index) * TASK_SIZE


def field(index: u32, offset: u64) -> u64:
    """A 64-bit field of task `index` (T_IMAGE ... T_ENTRY, or a device's base and size)."""
    return load64(entry(index) + offset)


def priority(index: u32) -> u8:
    return load8(entry(index) + T_PRIORITY)


def may_power_off(index: u32) -> bool:
    return (load8(entry(index) + T_FLAGS) & FLAG_POWER) != 0


def device(index: u32, k: u32, size: bool) -> u64:
    """Base (or, with size, the length) of device k (0, 1) of task `index`; 0: none."""
    return load64(entry(index) + T_DEVICES + u64(k) * 16 + (8 if size else 0))


def irq(index: u32, k: u32) -> u32:
    """PLIC source of interrupt k (0, 1) of task `index`; 0: none."""
    return load32(entry(index) + T_IRQS + u64(k) * 8)


def irq_bits(index: u32, k: u32) -> u32:
    """The notification bits interrupt k of task `index` posts."""
    return load32(entry(index) + T_IRQS + u64(k) * 8 + 4)


def name_byte(index: u32, k: u32) -> u8:
    return load8(entry(index) + T_NAME + u64(k))


def may_send(r: Ref[Rights], target: u32) -> bool:
    """Whether the holder of `r` may send or post to task `target`."""
    return target < MAX_TASKS and (r.mask >> target) & 1 != 0


def allowed(sender: u32, target: u32) -> bool:
    """Whether task `sender` may send or post to task `target` (its rights from the table)."""
    return may_send(rights[sender], target)
