"""The PLIC (devices/plic.py) against the PLIC specification, and its wiring on the virt board:
a UART interrupt travels through PLIC source 10 to a hart's mip.MEIP or mip.SEIP."""

from downstairs.devices.plic import Plic
from downstairs.machine import boards
from downstairs.machine.core.consts import MIP_MEIP, MIP_SEIP

PRIORITY, PENDING, ENABLE, CONTEXT = 0x0, 0x1000, 0x2000, 0x200000


def claim_reg(context):
    return CONTEXT + 0x1000 * context + 4


def threshold_reg(context):
    return CONTEXT + 0x1000 * context


def enable(plic, context, *sources):
    for source in sources:
        word = ENABLE + 0x80 * context + 4 * (source // 32)
        plic.write(word, 4, plic.read(word, 4) | 1 << (source % 32))


def test_claim_takes_the_highest_priority_then_the_lowest_id():
    plic = Plic(1)
    for source, priority in ((3, 2), (5, 6), (7, 6)):
        plic.write(PRIORITY + 4 * source, 4, priority)
        plic.set_level(source, True)
    enable(plic, 0, 3, 5, 7)
    assert plic.read(PENDING, 4) == (1 << 3) | (1 << 5) | (1 << 7)
    assert plic.read(claim_reg(0), 4) == 5
    assert plic.read(claim_reg(0), 4) == 7
    assert plic.read(claim_reg(0), 4) == 3
    assert plic.read(claim_reg(0), 4) == 0          # nothing left


def test_threshold_priority_zero_and_enables_mask():
    plic = Plic(1)
    plic.write(PRIORITY + 4 * 10, 4, 1)
    plic.set_level(10, True)
    assert not plic.asserted(0)                      # not enabled
    enable(plic, 0, 10)
    assert plic.asserted(0)
    plic.write(threshold_reg(0), 4, 1)
    assert not plic.asserted(0)                      # priority must exceed the threshold
    plic.write(threshold_reg(0), 4, 0)
    plic.write(PRIORITY + 4 * 10, 4, 0)
    assert not plic.asserted(0)                      # priority 0 never interrupts
    assert not plic.asserted(1)                      # the S context has its own enables


def test_level_source_comes_back_after_complete_while_still_high():
    plic = Plic(1)
    plic.write(PRIORITY + 4 * 10, 4, 1)
    enable(plic, 1, 10)
    plic.set_level(10, True)
    assert plic.read(claim_reg(1), 4) == 10
    assert not plic.asserted(1)                      # claimed: in flight, not pending
    plic.write(claim_reg(1), 4, 10)                  # complete while the line is still high
    assert plic.asserted(1)
    assert plic.read(claim_reg(1), 4) == 10
    plic.set_level(10, False)
    plic.write(claim_reg(1), 4, 10)
    assert not plic.asserted(1)


def test_registers_are_warl():
    plic = Plic(2)
    plic.write(PRIORITY + 4 * 4, 4, 0xFFFFFFFF)
    assert plic.read(PRIORITY + 4 * 4, 4) == 7       # three priority bits
    plic.write(PRIORITY, 4, 5)
    assert plic.read(PRIORITY, 4) == 0               # source 0 does not exist
    plic.write(ENABLE, 4, 0xFFFFFFFF)
    assert plic.read(ENABLE, 4) == 0xFFFFFFFE
    plic.write(ENABLE + 0x80 * 9, 4, 1)              # context 9 does not exist with 2 harts
    assert plic.read(ENABLE + 0x80 * 9, 4) == 0
    plic.write(PENDING, 4, 0xFF)                     # pending is read-only
    assert plic.read(PENDING, 4) == 0


def test_uart_interrupt_reaches_the_hart_through_the_plic(tmp_path):
    from downstairs.machine import engine as engines
    image = tmp_path / "loop.bin"
    image.write_bytes(b"\x01\xa0" * 8)               # c.j . : a hart that just spins
    config = boards.BootConfig(bios=str(image), harts=2)
    machine = boards.build(config, engines.load("compiled"), lambda data: None)
    plic, uart = machine.plic, machine.console
    plic.write(PRIORITY + 4 * 10, 4, 1)
    enable(plic, 3, 10)                              # hart 1's S-mode context
    uart.write(1, 1, 0x01)                           # IER: received-data interrupt
    hart1 = machine.harts[1]
    machine.deliver_interrupts(1, hart1)
    assert hart1.mip & MIP_SEIP == 0
    uart.receive(b"k")
    machine.deliver_interrupts(1, hart1)
    assert hart1.mip & MIP_SEIP and not hart1.mip & MIP_MEIP
    machine.deliver_interrupts(0, machine.harts[0])
    assert machine.harts[0].mip & (MIP_SEIP | MIP_MEIP) == 0
    assert plic.read(claim_reg(3), 4) == 10
    assert uart.read(0, 1) == ord("k")               # reading RBR lowers the UART's line
    plic.write(claim_reg(3), 4, 10)
    machine.deliver_interrupts(1, hart1)
    assert hart1.mip & MIP_SEIP == 0


def test_software_seip_survives_the_plic(tmp_path):
    """mip.SEIP is the OR of M-mode's writable bit and the PLIC's S-context line."""
    from downstairs.machine import engine as engines
    image = tmp_path / "loop.bin"
    image.write_bytes(b"\x01\xa0" * 8)
    core = engines.load("compiled")
    machine = boards.build(boards.BootConfig(bios=str(image)), core, lambda data: None)
    hart = machine.harts[0]
    core.csr.write(hart, 0x344, MIP_SEIP)            # M-mode sets SEIP by hand
    machine.deliver_interrupts(0, hart)
    assert hart.mip & MIP_SEIP
    plic = machine.plic
    plic.write(PRIORITY + 4 * 11, 4, 1)
    enable(plic, 1, 11)
    plic.set_level(11, True)
    machine.deliver_interrupts(0, hart)
    plic.set_level(11, False)
    machine.deliver_interrupts(0, hart)
    assert not hart.mip & MIP_SEIP                   # the PLIC lowers the line it drove
