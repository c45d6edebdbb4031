"""The two kernel configurations, as explicit data: tinyconfig plus a list of options.

Both start from `make tinyconfig` (everything optional off) and turn on what a console guest
with a virtio disk needs on QEMU's `virt` board (see /work/shared/guests/README.md, section B,
for how each was found):

- "tiny": RV64IMA kernel (no FPU, no compressed instructions), so RV64IMA + Zicsr + Zifencei
  runs it; it runs on any rv64imac machine. /init is rv64ima/lp64.
- "gc": the same with SMP=y (Linux brings up every hart, through SBI HSM), FPU=y and
  RISCV_ISA_C=y: the kernel and /init (rv64gc/lp64d) use C, F, D.

Debian's 6.1 backports CONFIG_PORTABLE, which selects EFI, and EFI selects RISCV_ISA_C:
NONPORTABLE=y and EFI=n are needed, or compressed instructions come back. `check()` reads the
final .config and refuses a build where any option here did not end up as asked.
"""

import pathlib

def common(smp: str) -> tuple[tuple[str, str], ...]:
    """The options both configs share; `smp` ("y" or "n") is whether Linux uses several harts."""
    return MACHINE + (("SMP", smp),) + DEVICES


# (option without CONFIG_, value): "y", "n", or a string for string options.
MACHINE = (
    # the machine: 64-bit, MMU, QEMU virt
    ("NONPORTABLE", "y"), ("EFI", "n"), ("64BIT", "y"), ("ARCH_RV64I", "y"), ("MMU", "y"),
    ("SOC_VIRT", "y"))
DEVICES = (
    ("RISCV_ISA_ZICBOM", "n"), ("RISCV_ISA_SVPBMT", "n"),
    ("SIFIVE_PLIC", "y"), ("RISCV_SBI_V01", "y"),
    # console: the 16550A UART at 0x10000000 (ttyS0), and the SBI console (hvc0, earlycon=sbi)
    ("PRINTK", "y"), ("PRINTK_TIME", "y"), ("TTY", "y"), ("SERIAL_EARLYCON", "y"),
    ("SERIAL_8250", "y"), ("SERIAL_8250_CONSOLE", "y"), ("SERIAL_OF_PLATFORM", "y"),
    ("HVC_DRIVER", "y"), ("HVC_RISCV_SBI", "y"), ("SERIAL_EARLYCON_RISCV_SBI", "y"),
    # /init comes from an uncompressed initramfs linked into the Image (INITRAMFS_SOURCE is
    # set per build by kernel.py); ELF executables; /proc, /sys, devtmpfs
    ("BLK_DEV_INITRD", "y"), ("INITRAMFS_COMPRESSION_NONE", "y"), ("RD_GZIP", "n"),
    ("RD_BZIP2", "n"), ("RD_LZMA", "n"), ("RD_XZ", "n"), ("RD_LZO", "n"), ("RD_LZ4", "n"),
    ("RD_ZSTD", "n"), ("BINFMT_ELF", "y"), ("PROC_FS", "y"), ("SYSFS", "y"),
    ("DEVTMPFS", "y"), ("MULTIUSER", "y"), ("BUG", "y"),
    # the disk: virtio-mmio transport, virtio-blk, ext2
    ("BLOCK", "y"), ("BLK_DEV", "y"), ("VIRTIO_MENU", "y"), ("VIRTIO", "y"), ("VIRTIO_MMIO", "y"),
    ("VIRTIO_BLK", "y"), ("VIRTIO_CONSOLE", "y"), ("EXT2_FS", "y"),
    # power-off: SBI SRST first; the sifive_test syscon (0x100000) as the fallback
    ("POWER_RESET", "y"), ("POWER_RESET_SYSCON", "y"), ("POWER_RESET_SYSCON_POWEROFF", "y"),
    ("MFD_SYSCON", "y"),
)


class Config:
    def __init__(self, name: str, summary: str, options: tuple[tuple[str, str], ...],
                 init_march: str, init_mabi: str):
        """A kernel configuration: the options on top of allnoconfig, and how /init is built."""
        self.name = name                 # the guest's name is "linux-" + name
        self.summary = summary
        self.options = options
        self.init_march = init_march     # -march/-mabi for /init
        self.init_mabi = init_mabi

    def describe(self) -> str:
        """Every input of the configuration as text (part of the cache key)."""
        lines = [f"{self.name} march={self.init_march} mabi={self.init_mabi}"]
        lines += [f"CONFIG_{opt}={value}" for opt, value in self.options]
        return "\n".join(lines)


CONFIGS = {
    "tiny": Config("tiny", "RV64IMA kernel, one hart, no FPU, no compressed instructions (runs on rv64imac)",
                   common("n") + (("FPU", "n"), ("RISCV_ISA_C", "n")), "rv64ima", "lp64"),
    "gc": Config("gc", "RV64GC SMP kernel: the tiny config with several harts, FPU and compressed instructions",
                 common("y") + (("FPU", "y"), ("RISCV_ISA_C", "y")), "rv64gc", "lp64d"),
}


def _line(opt: str, value: str) -> str:
    """One .config line: `# CONFIG_X is not set` for n, `CONFIG_X=y`, or a quoted string value."""
    if value == "n":
        return f"# CONFIG_{opt} is not set"
    if value == "y":
        return f"CONFIG_{opt}=y"
    return f'CONFIG_{opt}="{value}"'


def _option_of(line: str) -> str | None:
    """The option a .config line sets ("CONFIG_X=..." or "# CONFIG_X is not set"), or None."""
    if line.startswith("CONFIG_"):
        return line.split("=", 1)[0][len("CONFIG_"):]
    if line.startswith("# CONFIG_") and line.endswith(" is not set"):
        return line[len("# CONFIG_"):-len(" is not set")]
    return None


def apply(dot_config: pathlib.Path, options: tuple[tuple[str, str], ...]) -> None:
    """Set `options` in a .config file: replace the option's line, or add it at the end.
    `make olddefconfig` afterwards fills in what the new values make visible."""
    wanted = dict(options)
    out = []
    for line in dot_config.read_text().splitlines():
        opt = _option_of(line)
        if opt in wanted:
            line = _line(opt, wanted.pop(opt))
        out.append(line)
    out += [_line(opt, value) for opt, value in wanted.items()]
    dot_config.write_text("\n".join(out) + "\n")


def read(dot_config: pathlib.Path) -> dict[str, str]:
    """The options of a .config file: {"FPU": "y", "EFI": "n", "CMDLINE": "..."}."""
    values = {}
    for line in dot_config.read_text().splitlines():
        opt = _option_of(line)
        if opt is None:
            continue
        value = "n" if line.startswith("#") else line.split("=", 1)[1]
        values[opt] = value.strip('"')
    return values


def check(dot_config: pathlib.Path, options: tuple[tuple[str, str], ...]) -> None:
    """Raise ValueError listing the options whose final value differs from the one asked for
    (an option Kconfig dropped because a dependency is missing counts as "n")."""
    have = read(dot_config)
    wrong = [f"{opt}={have.get(opt, 'n')} (wanted {value})" for opt, value in options
             if have.get(opt, "n") != value]
    if wrong:
        raise ValueError("kernel config did not take: " + ", ".join(wrong))
