"""The Linux guests (downstairs/guests/linux): built from Debian's packages, cached, and booted.

The kernels are built into the user's cache (`$DOWNSTAIRS_CACHE`, default ~/.cache/downstairs),
so only the first run pays for the builds (about 80-100 s per config on 2 cores). Each kernel
is checked statically (Image header, ELF flags, disassembly: the tiny one has no compressed and
no floating-point instructions) and booted on QEMU with a copy of the disk image: the guest must
print its marker, the disk's file, its final line, write a file that debugfs reads back out of
the image, and power off with status 0. The boots without a disk run on QEMU and on our machine
(`downstairs run` takes QEMU's options); the boots with a disk on the emulators in DISK_EMULATORS.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from elftools.elf.elffile import ELFFile

from downstairs.errors import UsageError
from downstairs.guests import cache
from downstairs.guests.linux import boot, config, disk, init_program, kernel, tools
from downstairs.guests.linux.init_program import MARKER

DOWNSTAIRS = [sys.executable, "-m", "downstairs"]
EMULATORS = {"qemu": [boot.QEMU], "downstairs": [*DOWNSTAIRS, "run"]}
# emulators that take -drive/-device virtio-blk-device
DISK_EMULATORS = ["qemu", "downstairs"]
BOOT_TIMEOUT = 120
EF_RISCV_RVC = 0x1
EF_RISCV_FLOAT_ABI = 0x6          # 0 soft, 2 single, 4 double
FLOAT_ABI_DOUBLE = 0x4
# RISC-V Image header (Documentation/riscv/boot-image-header.rst): "RISCV\0\0\0" at 48 (deprecated),
# "RSC\x05" at 56.
IMAGE_MAGIC = (48, b"RISCV\0\0\0")
IMAGE_MAGIC2 = (56, b"RSC\x05")


def require(program: str) -> None:
    if shutil.which(program) is None:
        pytest.fail(f"{program} is not installed (setup.sh installs it)")


@pytest.fixture(scope="module", params=["tiny", "gc"])
def built(request) -> tuple[str, kernel.Built]:
    return request.param, kernel.build(request.param, show_progress=False)


@pytest.fixture(scope="module")
def tiny() -> kernel.Built:
    return kernel.build("tiny", show_progress=False)


@pytest.fixture(scope="module")
def gc() -> kernel.Built:
    return kernel.build("gc", show_progress=False)


def elf_flags(path: pathlib.Path) -> int:
    with open(path, "rb") as f:
        return ELFFile(f).header["e_flags"]


def disassembly(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """(address, raw hex, mnemonic) of every instruction objdump finds in the code sections."""
    require(f"{tools.CROSS}objdump")
    out = subprocess.run([f"{tools.CROSS}objdump", "-d", "-M", "no-aliases", str(path)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)", line)
        if m:
            rows.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return rows


def header_range(vmlinux: pathlib.Path) -> tuple[int, int]:
    """Addresses of the Image header at the start of .head.text (data, not instructions): the
    header runs from _start to the first instruction of the kernel proper, `_start_kernel`."""
    symbols = subprocess.run([f"{tools.CROSS}nm", str(vmlinux)], capture_output=True, text=True,
                             check=True).stdout
    addr = {parts[2]: int(parts[0], 16) for parts in map(str.split, symbols.splitlines()) if len(parts) == 3}
    return addr["_start"], addr["_start_kernel"]


FP_MNEMONIC = re.compile(r"^f(?!ence)")      # fld, fsd, fadd.d, fmv.x.d, fcvt..., not fence
FP_CSRS = ("fcsr", "frm", "fflags")


# --- static checks -----------------------------------------------------------------------------

def test_image_has_the_riscv_header(built):
    name, b = built
    data = b.image.read_bytes()[:64]
    for offset, magic in (IMAGE_MAGIC, IMAGE_MAGIC2):
        assert data[offset:offset + len(magic)] == magic, name
    # text_offset (bytes 8..15): the Image wants to be loaded 2 MiB into RAM
    assert int.from_bytes(data[8:16], "little") == 0x200000
    # image_size (bytes 16..23) covers the file
    assert int.from_bytes(data[16:24], "little") >= b.image.stat().st_size


def test_tiny_has_no_compressed_and_no_fp_instructions(tiny):
    flags = elf_flags(tiny.vmlinux)
    assert flags & EF_RISCV_RVC == 0
    assert flags & EF_RISCV_FLOAT_ABI == 0
    rows = disassembly(tiny.vmlinux)
    assert len(rows) > 100_000
    # 16-bit parcels: the Image header's halfwords (data between _start and _start_kernel), and
    # zero halfwords of padding elsewhere (0x0000 is the defined illegal instruction, never RVC)
    start, end = header_range(tiny.vmlinux)
    halfwords = [(addr, raw) for addr, raw, _ in rows if len(raw) == 4 and not start <= addr < end]
    assert all(raw == "0000" for _, raw in halfwords), halfwords[:20]
    assert len(halfwords) < 20
    assert not [m for _, _, m in rows if m.startswith("c.")]
    assert not [m for _, _, m in rows if FP_MNEMONIC.match(m)]


def test_tiny_init_has_no_compressed_and_no_fp_instructions(tiny):
    init = tiny.directory / "init"
    assert elf_flags(init) & (EF_RISCV_RVC | EF_RISCV_FLOAT_ABI) == 0
    rows = disassembly(init)
    assert rows and all(len(raw) == 8 for _, raw, _ in rows)
    assert not [m for _, _, m in rows if FP_MNEMONIC.match(m)]


def test_tiny_uses_no_fp_csr(tiny):
    out = subprocess.run([f"{tools.CROSS}objdump", "-d", "-M", "no-aliases", str(tiny.vmlinux)],
                         capture_output=True, text=True, check=True).stdout
    csr_lines = [line for line in out.splitlines() if "\tcsrr" in line]
    assert csr_lines
    assert not [line for line in csr_lines if any(f",{csr}," in line for csr in FP_CSRS)]


def test_gc_has_compressed_and_fp_instructions(gc):
    flags = elf_flags(gc.vmlinux)
    assert flags & EF_RISCV_RVC
    # the kernel itself is always built for the soft-float ABI (-mabi=lp64); FPU=y adds the
    # code that saves and restores a user program's F/D registers
    assert flags & EF_RISCV_FLOAT_ABI == 0
    assert elf_flags(gc.directory / "init") & EF_RISCV_FLOAT_ABI == FLOAT_ABI_DOUBLE
    rows = disassembly(gc.vmlinux)
    assert sum(1 for _, raw, _ in rows if len(raw) == 4) > 10_000
    assert [m for _, _, m in rows if m in ("fld", "fsd")]       # __fstate_save/restore


def test_configs_took(built):
    name, b = built
    have = config.read(b.directory / "config")
    want = {"tiny": ("n", "n"), "gc": ("y", "y")}[name]
    assert (have["FPU"], have["RISCV_ISA_C"]) == want
    for opt in ("NONPORTABLE", "VIRTIO_BLK", "VIRTIO_MMIO", "EXT2_FS", "DEVTMPFS", "SERIAL_8250_CONSOLE"):
        assert have[opt] == "y", opt
    assert have.get("EFI", "n") == "n"


# --- the cache ---------------------------------------------------------------------------------

def test_second_build_is_cached(built):
    name, first = built
    before = first.image.stat().st_mtime_ns
    again = kernel.build(name, show_progress=False)
    assert again.cached
    assert again.directory == first.directory
    assert again.image.stat().st_mtime_ns == before


def test_key_changes_with_the_config_and_the_init():
    tiny_cfg = config.CONFIGS["tiny"]
    base = kernel.cache_key(tiny_cfg)
    assert kernel.cache_key(tiny_cfg) == base
    assert kernel.cache_key(config.CONFIGS["gc"]) != base
    c = tiny_cfg
    more = config.Config(c.name, c.summary, c.options + (("EXT4_FS", "y"),), c.init_march, c.init_mabi)
    assert kernel.cache_key(more) != base
    other_init = config.Config(c.name, c.summary, c.options, "rv64imac", c.init_mabi)
    assert kernel.cache_key(other_init) != base


def test_publish_is_atomic_and_built_once(tmp_path):
    entry = tmp_path / "thing"
    calls = []

    def make(tmp: pathlib.Path) -> None:
        calls.append(tmp)
        (tmp / "file").write_text("x")

    assert cache.publish(entry, make) is False
    assert cache.publish(entry, make) is True
    assert len(calls) == 1 and (entry / "file").read_text() == "x"

    def broken(tmp: pathlib.Path) -> None:
        (tmp / "half").write_text("half")
        raise UsageError("build failed")

    with pytest.raises(UsageError):
        cache.publish(tmp_path / "other", broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.lock", "thing", "thing.lock"]


def test_concurrent_builds_build_once(tmp_path):
    """Two processes asking for the same (uncached) disk: one builds, the other waits for its lock."""
    env = {**os.environ, "DOWNSTAIRS_CACHE": str(tmp_path)}
    procs = [subprocess.Popen([*DOWNSTAIRS, "guest", "build", "disk"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    lines = [out.strip() for out, _ in outs]
    assert len({line.replace(" (cached)", "") for line in lines}) == 1
    assert sum(1 for line in lines if not line.endswith("(cached)")) == 1


# --- the disk ----------------------------------------------------------------------------------

def test_disk_image(tmp_path):
    require("debugfs")
    image, _ = disk.build()
    assert image.stat().st_size == disk.SIZE and disk.SIZE % 512 == 0
    assert disk.read_file(image, init_program.DISK_FILE).decode() == disk.HELLO_TEXT
    copy = disk.fresh_copy(tmp_path / "d.img")
    assert copy.read_bytes() == image.read_bytes()


# --- booting on QEMU ---------------------------------------------------------------------------

def command(key: str, kernel_image: pathlib.Path, disk_image: pathlib.Path | None = None, smp: int = 1) -> list[str]:
    require(EMULATORS[key][0])
    return boot.boot_command(kernel_image, disk_image, smp=smp, qemu=EMULATORS[key], no_reboot=True)


@pytest.mark.slow
@pytest.mark.parametrize("key", DISK_EMULATORS)
def test_boot_with_disk(built, key, tmp_path):
    name, b = built
    image = disk.fresh_copy(tmp_path / "disk.img")
    status, out, seen = boot.run(command(key, b.image, image), MARKER, BOOT_TIMEOUT)
    assert status == 0, out
    assert seen is not None, out
    guest = out[out.index(MARKER):]
    assert "uname() = 0: Linux 6.1" in guest and "riscv64" in guest
    assert "getpid() = 1," in guest
    assert f"/mnt{init_program.DISK_FILE}:\n{disk.HELLO_TEXT}" in guest
    assert init_program.FAIL_PREFIX not in guest
    assert init_program.final_line(0) in guest
    assert "reboot: Power down" in guest
    assert disk.read_file(image, init_program.GUEST_FILE).decode() == init_program.GUEST_TEXT
    # the guest unmounted cleanly: the file system checks clean
    check = subprocess.run(["e2fsck", "-fn", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", EMULATORS)
@pytest.mark.parametrize("smp", [1, 2])
def test_boot_without_disk(built, key, smp):
    name, b = built
    status, out, seen = boot.run(command(key, b.image, smp=smp), MARKER, BOOT_TIMEOUT)
    assert status == 0, out
    assert seen is not None
    assert init_program.NO_DISK in out
    assert init_program.final_line(0) in out
    assert "getpid() = 1," in out and "reboot: Power down" in out


@pytest.mark.slow
def test_tiny_boots_on_an_rv64imac_hart(tiny, tmp_path):
    """QEMU's hart with F, D (and H, B, sstc, Zihintpause) switched off: the tiny kernel and its
    /init still boot, use the disk and power off. The device tree's riscv,isa says rv64imac."""
    require(boot.QEMU)
    image = disk.fresh_copy(tmp_path / "disk.img")
    cmd = boot.boot_command(tiny.image, image, cpu=boot.QEMU_CPU_RV64IMAC)
    status, out, seen = boot.run(cmd, MARKER, BOOT_TIMEOUT)
    assert status == 0, out
    assert "Boot HART Base ISA        : rv64imac\n" in out
    assert init_program.final_line(0) in out
    assert disk.read_file(image, init_program.GUEST_FILE).decode() == init_program.GUEST_TEXT


def test_boot_command_shape():
    cmd = boot.boot_command("Image", "d.img", smp=2)
    assert cmd[:3] == [boot.QEMU, "-M", "virt"]
    assert cmd[cmd.index("-kernel") + 1] == "Image"
    assert cmd[cmd.index("-bios") + 1] == boot.FIRMWARE
    assert cmd[cmd.index("-smp") + 1] == "2"
    assert "virtio-blk-device,drive=disk0" in cmd
    assert "-drive" not in boot.boot_command("Image")


# --- the command -------------------------------------------------------------------------------

def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*DOWNSTAIRS, *args], capture_output=True, text=True, env=env, timeout=600)


def test_cli_path_prints_the_cached_image(tiny):
    result = run_cli("guest", "path", "linux-tiny")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tiny.image)
    result = run_cli("guest", "path", "linux-tiny", "--file", "vmlinux")
    assert result.stdout.strip() == str(tiny.vmlinux)


def test_cli_build_cached(tiny):
    result = run_cli("guest", "build", "linux-tiny")
    assert result.returncode == 0
    assert result.stdout.strip() == f"linux-tiny: {tiny.image} (cached)"


def test_cli_disk_copy(tmp_path):
    out = tmp_path / "mine.img"
    result = run_cli("guest", "disk", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert disk.read_file(out, init_program.DISK_FILE).decode() == disk.HELLO_TEXT


@pytest.mark.parametrize("args", [("guest", "build", "linux-nosuch"), ("guest", "path", "vmlinuz"),
                                  ("guest", "path", "linux-tiny", "--file", "bzImage"),
                                  ("guest", "disk", "--out", "/nonexistent-dir/disk.img")])
def test_cli_bad_input_is_one_line(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_cli_missing_cross_compiler_names_the_package(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "DOWNSTAIRS_CACHE": str(tmp_path / "cache")}
    result = run_cli("guest", "build", "linux-tiny", env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "gcc-riscv64-linux-gnu" in result.stderr, result.stderr


def test_cli_help():
    for args in (("guest", "--help"), ("guest", "build", "--help"), ("guest", "path", "--help"),
                 ("guest", "disk", "--help"), ("guest", "list", "--help")):
        result = run_cli(*args)
        assert result.returncode == 0 and "usage:" in result.stdout, args


def test_require_names_the_package():
    with pytest.raises(UsageError, match="apt-get install some-package"):
        tools.require({"downstairs-no-such-program": "some-package"})


def test_cli_clean_removes_only_stale_entries(tmp_path):
    env = {**os.environ, "DOWNSTAIRS_CACHE": str(tmp_path)}
    folder = tmp_path / "linux"
    (folder / "tiny-0000000000000000").mkdir(parents=True)
    (folder / "tiny-0000000000000000.lock").write_text("")
    current_source = folder / f"source-{tools.package_version(tools.SOURCE_PACKAGE)}"
    current_source.mkdir()
    (folder / ".tiny-1234.building").mkdir()          # a build in progress is left alone
    result = run_cli("guest", "clean", env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == [".tiny-1234.building", current_source.name]


def test_config_apply_read_check(tmp_path):
    dot = tmp_path / ".config"
    dot.write_text("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"old\"\n# a comment\n")
    config.apply(dot, (("A", "n"), ("B", "y"), ("S", "new"), ("C", "y")))
    assert config.read(dot) == {"A": "n", "B": "y", "S": "new", "C": "y"}
    assert "# a comment" in dot.read_text()
    config.check(dot, (("A", "n"), ("B", "y"), ("MISSING", "n")))
    with pytest.raises(ValueError, match="MISSING=n \\(wanted y\\)"):
        config.check(dot, (("MISSING", "y"),))
