"""--explain: the boot narrated as it happens (machine/explain.py).

On a bare-metal program, on our own firmware and kernel (downstairs/firmware, downstairs/kernel)
and on OpenSBI with Linux: the lines a learner should see are there, in order, each naming a
file of Downstairs that exists; and narrating changes nothing the guest does.
"""

import pathlib
import re
import subprocess
import sys

import pytest

from downstairs.firmware import build as firmware_build
from downstairs.guests.baremetal import build as bm
from downstairs.guests.linux import boot, kernel
from downstairs.kernel import build as kernel_build
from downstairs.machine import explain

OURS = [sys.executable, "-m", "downstairs", "run"]
ROOT = pathlib.Path(__file__).resolve().parents[2] / "downstairs"
LINE = re.compile(r"\[explain\] +([\d,]+) insns  (.+)  \(([\w/.]+)\)$")


def narrate(args: list[str], tmp_path=None) -> tuple[list[tuple[int, str, str]], str]:
    """Run with --explain under -icount: ([(count, sentence, file)], the console output)."""
    result = subprocess.run(OURS + args + ["-icount", "shift=0", "--explain"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("[explain]")]
    told = []
    for line in lines:
        match = LINE.match(line)
        assert match, line
        count, sentence, where = match.groups()
        assert (ROOT / where).is_file(), f"{where} does not exist: {line}"
        told.append((int(count.replace(",", "")), sentence, where))
    assert [c for c, _, _ in told] == sorted(c for c, _, _ in told)
    return told, result.stdout


def find(told, text: str) -> int:
    """The index of the first line containing `text` (a failure lists them all)."""
    for i, (_, sentence, _) in enumerate(told):
        if text in sentence:
            return i
    raise AssertionError(f"no line says {text!r}:\n" + "\n".join(s for _, s, _ in told))


def test_the_firmware_files_it_names_exist():
    for name in set(explain.OUR_SBI_FILES.values()) | {"sbi.py"}:
        assert (explain.SOURCE / "firmware" / name).is_file(), name


def test_a_bare_metal_program(tmp_path):
    elf = bm.build("priv", "virt")
    args = ["-M", "virt", "-m", "128M", "-bios", "none", "-kernel", str(elf), "-nographic"]
    told, console = narrate(args)
    order = [find(told, "the ROM at 0x1000 jumps to the program"),
             find(told, "points M-mode traps at"),
             find(told, "first access to the 16550A UART at 0x10000000"),
             find(told, "first ecall from U-mode"),
             find(told, "the guest powers the machine off, status 0")]
    assert order == sorted(order)
    assert told[order[0]][2] == "machine/bootrom.py" and "a1 = the device tree at 0x87e00000" in told[order[0]][1]
    assert told[order[2]][2] == "devices/uart16550.py"
    plain = subprocess.run(OURS + args + ["-icount", "shift=0"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=300)
    assert plain.stdout == console                    # narrating changes nothing


@pytest.mark.slow
def test_our_firmware_and_our_kernel(tmp_path):
    firmware = firmware_build.build().binary
    system = kernel_build.build()
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(1 << 20))
    told, console = narrate(["-M", "virt", "-m", "128M", "-nographic", "-bios", str(firmware),
                             "-kernel", str(system.image), "-drive", f"file={disk},format=raw,if=none,id=d0",
                             "-device", "virtio-blk-device,drive=d0"])
    assert "app: done, powering off" in console
    order = [find(told, "the ROM at 0x1000 jumps to the firmware (downstairs-sbi.bin)"),
             find(told, "the firmware delegates exceptions to S-mode"),
             find(told, "the firmware drops to S-mode at 0x80200000"),
             find(told, "the kernel (kernel.bin) runs its first instruction at 0x80200000"),
             find(told, "the kernel turns on Sv39"),
             find(told, "first U-mode instruction"),
             find(told, "SBI SRST system_reset"),
             find(told, "the guest powers the machine off, status 0")]
    assert order == sorted(order)
    assert "our firmware's firmware/sbi.py answers" in told[order[6]][1]
    assert told[order[4]][2] == "machine/core/mmu.py"


@pytest.mark.slow
def test_linux_on_opensbi():
    built = kernel.build("gc", show_progress=False)
    told, console = narrate(boot.boot_command(built.image, qemu=[]))
    order = [find(told, "the ROM at 0x1000 jumps to the firmware (fw_dynamic.bin) at 0x80000000"),
             find(told, "the firmware delegates exceptions to S-mode: instruction address misaligned, "
                        "breakpoint, ecall from U-mode, instruction page fault, load page fault, store page fault"),
             find(told, "the firmware drops to S-mode at 0x80200000"),
             find(told, "the kernel turns on Sv"),
             find(told, "the kernel calls the firmware: SBI BASE get_spec_version"),
             find(told, "first supervisor timer interrupt"),
             find(told, "first U-mode instruction: /init, at "),
             find(told, "the guest powers the machine off, status 0")]
    assert order == sorted(order)
    assert "(the kernel printed 'Run /init as init process')" in told[order[6]][1]
    assert "Run /init as init process" in console
