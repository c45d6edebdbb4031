"""`--trace-stages`: each boot stage named as it starts, with exact instruction counts.

The firmware figures below were measured on QEMU 7.2 (`-singlestep -d exec` with
`-icount shift=0,sleep=off`, counting instructions from each stage's first one to the next's),
with the same device tree (`-dtb` of ours) and a CPU like ours (`-cpu rv64,h=false,f=false,
d=false,zba=false,zbb=false,zbc=false,zbs=false,marchid=0,mimpid=0`): see docs/board.md. Our counts
are a little lower because QEMU's trace logs an instruction that touches a device twice (it
re-executes it after an icount I/O recompile); that is the whole difference."""

import io
import re
import sys

import pexpect
import pytest

from downstairs.guests.baremetal import build as bm

RUN = [sys.executable, "-m", "downstairs", "run", "-M", "virt", "-nographic", "-icount", "shift=0",
       "--trace-stages"]
FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
QEMU_OPENSBI = 9_713_285            # fw_jump, first instruction to U-Boot's first
QEMU_UBOOT_BEFORE_RELOCATION = 3_020_950
STAGE = re.compile(r"\[stage\]\s+([\d,]+) insns\s+hart (\d) ([MSU])-mode pc (0x[0-9a-f]+)(?: <(.+?)>)?\s+(.+?)\r?\n")


def stages(text):
    return [(int(n.replace(",", "")), int(h), mode, int(pc, 16), symbol, name)
            for n, h, mode, pc, symbol, name in STAGE.findall(text)]


def test_bare_metal_stages_with_symbols_and_mmu():
    elf = str(bm.build("crc32", "virt", True, ("BENCH_SMALL",)))
    child = pexpect.spawn(RUN[0], RUN[1:] + ["-bios", "none", "-kernel", elf], timeout=120,
                          encoding="utf-8")
    child.expect(pexpect.EOF)
    found = stages(child.before)
    assert [s[5].split()[0] for s in found] == ["reset", "kernel", "MMU"]
    assert found[0][:4] == (0, 0, "M", 0x1000)
    assert found[1][:5] == (6, 0, "M", 0x80000000, "_start")      # the ROM is six instructions
    assert found[2][4].startswith("mmu_identity_setup")
    assert "summary" in child.before


@pytest.mark.slow
def test_opensbi_and_uboot_stage_counts_match_qemu():
    child = pexpect.spawn(RUN[0], RUN[1:] + ["-bios", FW, "-kernel", UBOOT], timeout=300,
                          encoding="utf-8", codec_errors="replace")
    log = io.StringIO()
    child.logfile_read = log
    child.expect("code outside the loaded images")
    child.expect("Hit any key")
    child.send("\x01x")                              # quit: the summary is printed on the way out
    child.expect(pexpect.EOF)
    found = stages(log.getvalue())
    rom, firmware, uboot, relocated = found[:4]
    assert (rom[0], firmware[0], firmware[2], firmware[3]) == (0, 6, "M", 0x80000000)
    assert (uboot[2], uboot[3], uboot[4]) == ("S", 0x80200000, "_start")   # from .dynsym
    assert relocated[4] == "copy of board_init_r"    # U-Boot's code, moved to the top of RAM
    opensbi = uboot[0] - firmware[0]
    before_relocation = relocated[0] - uboot[0]
    assert QEMU_OPENSBI * 0.999 <= opensbi <= QEMU_OPENSBI
    assert QEMU_UBOOT_BEFORE_RELOCATION * 0.999 <= before_relocation <= QEMU_UBOOT_BEFORE_RELOCATION
