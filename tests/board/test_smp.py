"""Several harts on the virt board: an IPI through the CLINT's msip wakes a hart from wfi, and
the two engines run real firmware (OpenSBI, two harts, instruction time) to the same state."""

from downstairs.isa import encode as e
from downstairs.machine import boards
from tests.machine.harness import load_engine

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
MSIP1 = 0x2000004
A0, S1, T0 = 10, 9, 5


def test_ipi_wakes_a_sleeping_hart(tmp_path):
    # Hart 0 stores 1 to hart 1's msip; hart 1 sleeps in wfi with MSIE on and traps to
    # `handler`, where it counts in s1 (the ROM sets a0-a2 and t0).
    code = [
        e.csr("csrrs", A0, 0xF14, 0),                  # 0x00: a0 = mhartid
        e.b("bne", A0, 0, 20),                         # 0x04: hart 1 goes to 0x18
        e.lui(T0, MSIP1 >> 12),                        # 0x08
        e.i("addi", A0, 0, 1),                         # 0x0c
        e.s("sw", A0, T0, MSIP1 & 0xFFF),              # 0x10: IPI to hart 1
        e.jal(0, 0),                                   # 0x14: hart 0 parks
        e.WFI,                                         # 0x18: hart 1 sleeps
        e.jal(0, -4),                                  # 0x1c
        e.i("addi", S1, S1, 1),                        # 0x20: handler
        e.jal(0, 0),                                   # 0x24
    ]
    image = tmp_path / "ipi.bin"
    image.write_bytes(e.to_bytes(code))
    machine = boards.build(boards.BootConfig(bios=str(image), harts=2, icount=0),
                           load_engine("compiled"), lambda data: None)
    hart1 = machine.harts[1]
    hart1.mtvec = 0x80000020
    hart1.mie = 1 << 3                                 # MSIE
    hart1.mstatus |= 1 << 3                            # MIE
    machine.run(limit=200_000)
    assert hart1.mcause == (1 << 63) | 3               # a machine software interrupt
    assert hart1.reg(S1) == 1 and hart1.pc == 0x80000024


def run_firmware(engine_name, limit):
    machine = boards.build(boards.BootConfig(bios=FW, kernel=UBOOT, harts=2, icount=0),
                           load_engine(engine_name), bytearray().extend)
    machine.run(limit=limit)
    return [(h.pc, h.priv, h.instret, h.registers(), h.mstatus, h.mip) for h in machine.harts]


def test_engines_agree_on_opensbi_with_two_harts():
    assert run_firmware("compiled", 300_000) == run_firmware("reference", 300_000)
