"""What a system call's arguments and results look like in memory, per architecture.

x86-64 and riscv64 share most of Linux's user ABI: errno values, open/mmap flags, ioctl
numbers, signal numbers and the termios layout all come from the asm-generic headers on
both. What differs, and so lives here:

- the system-call numbers (numbers.py) and the registers that carry them;
- `struct stat`: x86-64 has its own (arch/x86/include/uapi/asm/stat.h, 144 bytes: nlink is
  64 bits and comes before mode); riscv64 uses asm-generic/stat.h (128 bytes);
- clone's argument order: riscv64 is CONFIG_CLONE_BACKWARDS (tls before child_tid);
- the ELF machine number and what uname() calls the machine.

Everything else is packed the same way on both, by the helpers below.
"""

import struct

from downstairs.sandbox.numbers import NUMBERS

# struct timespec / struct timeval: two 64-bit fields on both 64-bit ABIs.
TIMESPEC = struct.Struct("<qq")
# struct statx (include/uapi/linux/stat.h), the same everywhere: 256 bytes.
STATX = struct.Struct("<IIQIIIHHQQQQ" + "qIi" * 4 + "IIII" + "QII" + "12Q")
# struct linux_dirent64: ino, off, reclen, type, then the NUL-terminated name.
DIRENT64 = struct.Struct("<QqHB")
# struct rlimit / rlimit64
RLIMIT = struct.Struct("<QQ")
# struct winsize: rows, columns, x pixels, y pixels
WINSIZE = struct.Struct("<HHHH")
# struct pollfd
POLLFD = struct.Struct("<ihh")
# struct utsname: six fields of 65 bytes
UTSNAME_FIELD = 65


def s32(value: int) -> int:
    """A C int argument (fd, whence, flags that may be negative) from the 64-bit register
    that carries it: the low 32 bits, signed."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def s64(value: int) -> int:
    """A signed 64-bit argument (an off_t, a length) from its register's unsigned value."""
    return value - (1 << 64) if value & (1 << 63) else value


def cstring(page_rest, addr: int, limit: int) -> bytes:
    """The NUL-terminated string at `addr` in a program's memory, where `page_rest(addr)`
    gives the bytes from addr to the end of its page (raising EFAULT where there are none);
    ENAMETOOLONG once it is `limit` bytes long without its NUL."""
    from downstairs.sandbox.waits import SysError
    out = b""
    while True:
        data = page_rest(addr)
        end = data.find(b"\0")
        out += data if end < 0 else data[:end]
        if len(out) >= limit:
            raise SysError(36)                      # ENAMETOOLONG
        if end >= 0:
            return out
        addr += len(data)


class Stat:
    """What the stat family reports about a file (the fields of struct stat/statx)."""

    def __init__(self, dev: int, ino: int, mode: int, nlink: int, uid: int, gid: int,
                 rdev: int, size: int, blksize: int, blocks: int,
                 atime: int, mtime: int, ctime: int):
        self.dev = dev
        self.ino = ino
        self.mode = mode
        self.nlink = nlink
        self.uid = uid
        self.gid = gid
        self.rdev = rdev
        self.size = size
        self.blksize = blksize
        self.blocks = blocks
        self.atime = atime              # nanoseconds since the epoch
        self.mtime = mtime
        self.ctime = ctime


def split_ns(ns: int) -> tuple[int, int]:
    return ns // 1_000_000_000, ns % 1_000_000_000


def dev_major(dev: int) -> int:
    """The major number of a dev_t in the kernel's new encoding (new_encode_dev)."""
    return ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)


def dev_minor(dev: int) -> int:
    return (dev & 0xFF) | ((dev >> 12) & ~0xFF)


def pack_statx(st: Stat) -> bytes:
    """struct statx with the basic fields (STATX_BASIC_STATS = 0x7ff) filled."""
    times = []
    for ns in (st.atime, 0, st.ctime, st.mtime):           # atime, btime, ctime, mtime
        sec, nsec = split_ns(ns)
        times += [sec, nsec, 0]
    return STATX.pack(0x7FF, st.blksize, 0, st.nlink, st.uid, st.gid,
                      st.mode, 0, st.ino, st.size, st.blocks, 0, *times,
                      dev_major(st.rdev), dev_minor(st.rdev), dev_major(st.dev), dev_minor(st.dev),
                      0, 0, 0, *([0] * 12))


def pack_dirent64(ino: int, offset: int, dtype: int, name: bytes) -> bytes:
    """One linux_dirent64 record, padded to 8 bytes."""
    length = (DIRENT64.size + len(name) + 1 + 7) & ~7
    return DIRENT64.pack(ino, offset, length, dtype) + name + bytes(length - DIRENT64.size - len(name))


class Arch:
    """One architecture's system-call ABI."""

    def __init__(self, name: str, column: int, elf_machine: int, machine: str,
                 stat_format: str, stat_fields: tuple[str, ...], clone_tls_before_ctid: bool):
        self.name = name
        self.elf_machine = elf_machine        # e_machine of its ELF programs
        self.machine = machine                # uname's machine field
        self.stat = struct.Struct(stat_format)
        self.stat_fields = stat_fields        # the order of struct stat's fields
        self.clone_tls_before_ctid = clone_tls_before_ctid
        # number -> name and name -> number, from the generated table
        self.names = {nums[column]: name for name, nums in NUMBERS.items() if nums[column] is not None}
        self.numbers = {name: nr for nr, name in self.names.items()}

    def pack_stat(self, st: Stat) -> bytes:
        a_sec, a_ns = split_ns(st.atime)
        m_sec, m_ns = split_ns(st.mtime)
        c_sec, c_ns = split_ns(st.ctime)
        values = {"dev": st.dev, "ino": st.ino, "nlink": st.nlink, "mode": st.mode, "uid": st.uid,
                  "gid": st.gid, "rdev": st.rdev, "size": st.size, "blksize": st.blksize,
                  "blocks": st.blocks, "atime": a_sec, "atime_ns": a_ns, "mtime": m_sec,
                  "mtime_ns": m_ns, "ctime": c_sec, "ctime_ns": c_ns, "pad": 0}
        return self.stat.pack(*[values[f] for f in self.stat_fields])

    def clone_args(self, a: tuple) -> tuple[int, int, int, int, int]:
        """(flags, stack, parent_tid pointer, child_tid pointer, tls) from clone's arguments."""
        if self.clone_tls_before_ctid:
            return a[0], a[1], a[2], a[4], a[3]
        return a[0], a[1], a[2], a[3], a[4]


# arch/x86/include/uapi/asm/stat.h: struct stat (144 bytes)
X86_64 = Arch("x86_64", 0, 62, "x86_64", "<QQQIIIiQqqqqqqqqq24x",
              ("dev", "ino", "nlink", "mode", "uid", "gid", "pad", "rdev", "size", "blksize",
               "blocks", "atime", "atime_ns", "mtime", "mtime_ns", "ctime", "ctime_ns"),
              clone_tls_before_ctid=False)
# include/uapi/asm-generic/stat.h: struct stat (128 bytes)
RISCV64 = Arch("riscv64", 1, 243, "riscv64", "<QQIIIIQ8xqi4xqqqqqqq8x",
               ("dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize",
                "blocks", "atime", "atime_ns", "mtime", "mtime_ns", "ctime", "ctime_ns"),
               clone_tls_before_ctid=True)
