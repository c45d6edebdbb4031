"""The device tree of `-M virt`: `-machine virt,dumpdtb=FILE` writes it, `dtc` reads it back,
and its nodes are QEMU's own (qemu-system-riscv64 -M virt,dumpdtb=...), less the hardware this
machine does not have (machine/devicetree.py lists it)."""

import re
import shutil
import subprocess
import sys

import pytest

from downstairs.machine import boards

RUN = [sys.executable, "-m", "downstairs", "run"]
NOT_HERE = {"/pmu", "/fw-cfg@10100000", "/flash@20000000", "/platform-bus@4000000",
            "/soc/pci@30000000"}


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (.ci/run installs it)")


def node_paths(dts: str) -> set[str]:
    """Full paths of the nodes in dtc's source output."""
    paths, stack = set(), []
    for line in dts.splitlines():
        line = line.strip()
        opened = re.fullmatch(r"(/|[\w,@.+-]+) \{", line)
        if opened:
            name = opened.group(1)
            stack.append("" if name == "/" else name)
            paths.add("/".join(stack) or "/")
        elif line == "};":
            stack.pop()
    return paths


def dump(command: list[str], path) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    dts = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert dts.returncode == 0, dts.stderr
    return dts.stdout


@pytest.mark.parametrize("harts", [1, 2])
def test_dumpdtb_matches_qemus_nodes(tmp_path, harts):
    need("dtc")
    need("qemu-system-riscv64")
    kernel = tmp_path / "wfi.bin"                       # -append needs a -kernel, as on QEMU
    kernel.write_bytes(bytes.fromhex("73005010"))
    boot = ["-bios", "none", "-kernel", str(kernel), "-append", "console=ttyS0"]
    ours = dump(RUN + ["-M", f"virt,dumpdtb={tmp_path}/ours.dtb", "-m", "256M", "-smp", str(harts)] + boot,
                tmp_path / "ours.dtb")
    theirs = dump(["qemu-system-riscv64", "-M", f"virt,dumpdtb={tmp_path}/q.dtb", "-m", "256M",
                   "-smp", str(harts), "-nographic"] + boot, tmp_path / "q.dtb")
    our_nodes, their_nodes = node_paths(ours), node_paths(theirs)
    missing = {p for p in their_nodes if not any(p == n or p.startswith(n + "/") for n in NOT_HERE)}
    assert our_nodes == missing
    assert 'bootargs = "console=ttyS0"' in ours
    assert "reg = <0x00 0x80000000 0x00 0x10000000>" in ours
    assert ours.count('compatible = "virtio,mmio"') == 8


def test_tree_goes_where_qemu_puts_it():
    blob = boards.device_tree_blob(boards.BootConfig())
    assert blob[:4] == bytes.fromhex("d00dfeed")
    assert boards.fdt_address(0x80000000, 128 << 20, len(blob)) == 0x87E00000     # as fw_dynamic reports
    assert boards.fdt_address(0x80000000, 4 << 30, len(blob)) == 0xBFE00000       # below 3 GiB


def test_isa_string_is_qemus_less_the_hypervisor(tmp_path):
    """riscv,isa names what QEMU 7.2's default CPU has (B's Zba Zbb Zbc Zbs included), less
    H: this hart has no hypervisor extension."""
    need("dtc")
    need("qemu-system-riscv64")
    ours = dump(RUN + ["-M", f"virt,dumpdtb={tmp_path}/ours.dtb"], tmp_path / "ours.dtb")
    theirs = dump(["qemu-system-riscv64", "-M", f"virt,dumpdtb={tmp_path}/q.dtb", "-nographic"],
                  tmp_path / "q.dtb")
    isa = re.compile(r'riscv,isa = "([^"]+)"')
    assert isa.search(theirs).group(1).replace("imafdch_", "imafdc_") == isa.search(ours).group(1)
    assert "_zba_zbb_zbc_zbs_" in isa.search(ours).group(1)
