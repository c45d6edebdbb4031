"""The firmware's logic under plain CPython (downstairs/firmware/hosted.py): SBI dispatch and its
error codes, the HSM state machine, IPI tickets, the device-tree walk and edit, misaligned
emulation and the boot path, all against the compiler's board model (compiler/runtime/host.py).
Each test loads fresh firmware modules, so module state starts as on a cold boot."""

import shutil
import struct
import subprocess

import pytest

from downstairs.compiler import runtime as rt
from downstairs.compiler.runtime import host
from downstairs.firmware import hosted
from downstairs.machine import boards

BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN = 0x10, 0x54494D45, 0x735049, 0x52464E43, 0x48534D, 0x53525354, 0x4442434E
NOT_SUPPORTED, INVALID_PARAM, INVALID_ADDRESS, ALREADY_AVAILABLE, FAILED = -2, -3, -5, -6, -1
RAM_END = 0x88000000
FDT = 0x87E00000
CLINT_MSIP = 0x2000000
MIP, MIE, SIP_SSIP, STVEC, SEPC, SCAUSE, STVAL = 0x344, 0x304, 2, 0x105, 0x141, 0x142, 0x143
needs_dtc = pytest.mark.skipif(shutil.which("dtc") is None, reason="needs dtc")


@pytest.fixture
def fw():
    modules = hosted.load()
    yield modules
    host.reset()


def started(fw, harts=0b111):
    fw["hsm"].init(0, harts, RAM_END)


def test_base_extension_answers(fw):
    assert hosted.sbi_call(BASE, 0) == (0, 0x2000000)
    assert hosted.sbi_call(BASE, 1) == (0, 0x444F574E)
    for eid in (BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN, 1, 2):
        assert hosted.sbi_call(BASE, 3, eid) == (0, 1), hex(eid)
    assert hosted.sbi_call(BASE, 3, 0x504D55) == (0, 0)          # PMU: not here
    assert hosted.sbi_call(BASE, 9)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(0x0A000000, 0)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(0x00, 0)[0] == NOT_SUPPORTED          # legacy set_timer


def test_console_calls(fw):
    started(fw)
    fw["hart"].init()
    assert hosted.sbi_call(1, 0, ord("A"))[0] == 0
    assert hosted.sbi_call(2, 0)[0] == -1                         # legacy getchar: nothing typed
    hosted.put_bytes(0x80300000, b"hello")
    assert hosted.sbi_call(DBCN, 0, 5, 0x80300000, 0) == (0, 5)
    assert hosted.sbi_call(DBCN, 2, ord("!")) == (0, 0)
    assert bytes(host.MACHINE.output) == b"Ahello!"
    assert hosted.sbi_call(DBCN, 0, 5, 0x80300000, 1)[0] == INVALID_PARAM      # base_addr_hi
    assert hosted.sbi_call(DBCN, 0, 5, 0x80000000, 0)[0] == INVALID_PARAM      # firmware memory
    assert hosted.sbi_call(DBCN, 0, 5, RAM_END - 2, 0)[0] == INVALID_PARAM     # past RAM


def test_hart_start_status_and_errors(fw):
    started(fw)
    hsm = fw["hsm"]
    assert hosted.sbi_call(HSM, 2, 0) == (0, 0)                   # STARTED
    assert hosted.sbi_call(HSM, 2, 1) == (0, 1)                   # STOPPED
    assert hosted.sbi_call(HSM, 2, 3)[0] == INVALID_PARAM         # not in the device tree
    assert hosted.sbi_call(HSM, 0, 0, 0x80200000, 0)[0] == ALREADY_AVAILABLE
    assert hosted.sbi_call(HSM, 0, 5, 0x80200000, 0)[0] == INVALID_PARAM
    assert hosted.sbi_call(HSM, 0, 1, 0x1000, 0)[0] == INVALID_ADDRESS
    assert hosted.sbi_call(HSM, 0, 1, 0x80000000, 0)[0] == INVALID_ADDRESS     # the firmware
    assert hosted.sbi_call(HSM, 0, 1, 0x80200000, 0xABC)[0] == 0
    assert hosted.sbi_call(HSM, 2, 1) == (0, 2)                   # START_PENDING
    assert rt.load32(CLINT_MSIP + 4) == 1                         # its software interrupt
    assert hosted.sbi_call(HSM, 0, 1, 0x80200000, 0)[0] == INVALID_PARAM      # already starting
    hosted.in_firmware(1)                                         # hart 1 wakes in its wait loop
    with pytest.raises(host.HostLeft) as left:
        hsm.wait_for_start()
    frame = fw["hart"].frames[1]
    assert left.value.pc == 0x80200000 and left.value.mode == 1
    assert (frame.regs[10], frame.regs[11], (frame.status >> 11) & 3) == (1, 0xABC, 1)
    assert rt.load32(CLINT_MSIP + 4) == 0
    assert hosted.sbi_call(HSM, 2, 1) == (0, 0)                   # STARTED


def test_hart_stop_and_suspend(fw, monkeypatch):
    started(fw)
    hsm = fw["hsm"]
    waited = []
    monkeypatch.setitem(hsm.__dict__, "wait_for_start", lambda: waited.append(rt.hart_id()))
    assert hosted.sbi_call(HSM, 1, hart=2)[0] == FAILED           # hart 2 is stopped: cannot stop
    assert hosted.sbi_call(HSM, 1, hart=0)[0] == FAILED and waited == [0]      # (the wait returned)
    assert hosted.sbi_call(HSM, 2, 0) == (0, 1)
    assert hosted.sbi_call(HSM, 3, 5, 0, 0)[0] == INVALID_PARAM
    assert hosted.sbi_call(HSM, 3, 0x10000000, 0, 0)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(HSM, 3, 0x90000000, 0, 0)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(HSM, 3, 0x80000000, 0x10, 0)[0] == INVALID_ADDRESS
    host.MACHINE.csrs[MIP] = host.MACHINE.csrs[MIE] = SIP_SSIP   # an enabled S interrupt: wake
    hsm.states[1].state = 0
    assert hosted.sbi_call(HSM, 3, 0, 0, 0, hart=1) == (0, 0)     # retentive: back to the caller
    assert hosted.sbi_call(HSM, 2, 1) == (0, 0)
    with pytest.raises(host.HostLeft) as left:                    # non-retentive: at resume_addr
        hosted.sbi_call(HSM, 3, 0x80000000, 0x80400000, 7, hart=1)
    assert left.value.pc == 0x80400000 and fw["hart"].frames[1].regs[11] == 7


def test_ipi_masks_and_the_ticket_protocol(fw):
    started(fw, 0b111)
    ipi = fw["ipi"]
    for h in (1, 2):
        fw["hsm"].states[h].state = 0                             # running
    assert hosted.sbi_call(IPI, 0, 0b110, 0) == (0, 0)
    assert [ipi.mailboxes[h].pending for h in range(3)] == [0, 1, 1]
    assert [rt.load32(CLINT_MSIP + 4 * h) for h in range(3)] == [0, 1, 1]
    assert hosted.sbi_call(IPI, 0, 1, 3)[0] == INVALID_PARAM      # hart 3: not in the tree
    assert hosted.sbi_call(IPI, 0, 1 << 40, 0)[0] == INVALID_PARAM
    assert hosted.sbi_call(IPI, 0, 0, 0xFFFFFFFFFFFFFFFF)[0] == 0  # every hart
    assert host.MACHINE.csrs[MIP] & SIP_SSIP                      # hart 0 included itself
    hosted.in_firmware(1)
    before = ipi.mailboxes[2].requests                           # the IPIs above took tickets too
    ticket = ipi.send(2, ipi.FENCE_I)
    assert ticket == before + 1 and ipi.mailboxes[2].completed == 0
    hosted.in_firmware(2)
    ipi.serve(2)
    assert ipi.mailboxes[2].completed == ticket and ipi.mailboxes[2].pending == 0
    ipi.wait(2, ticket, 1)                                        # served: returns at once
    assert hosted.sbi_call(RFENCE, 1, 1, 0, 0, 4096, hart=0) == (0, 0)         # this hart only
    assert hosted.sbi_call(RFENCE, 3, 1, 0)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(RFENCE, 0, 1 << 9, 0)[0] == INVALID_PARAM


def test_timer_without_sstc_lends_the_m_timer(fw):
    assert fw["hart"].has_sstc == 0                               # the host model has no Sstc
    assert hosted.sbi_call(TIME, 0, 12345) == (0, 0)
    assert rt.load64(0x2004000) == 12345 and host.MACHINE.csrs[MIE] & 0x80
    hosted.in_firmware(0)
    fw["sbi"].timer_interrupt()
    assert host.MACHINE.csrs[MIP] & 0x20 and not host.MACHINE.csrs[MIE] & 0x80


def test_system_reset(fw):
    assert hosted.sbi_call(SRST, 0, 3, 0)[0] == INVALID_PARAM
    assert hosted.sbi_call(SRST, 0, 0xF0000000, 0)[0] == NOT_SUPPORTED
    assert hosted.sbi_call(SRST, 0, 0, 2)[0] == INVALID_PARAM
    with pytest.raises(host.HostExit) as done:
        hosted.sbi_call(SRST, 0, 0, 1)                            # shutdown, system failure
    assert done.value.status == 1
    with pytest.raises(host.HostExit) as done:
        hosted.sbi_call(SRST, 0, 0, 0)
    assert done.value.status == 0


# ---- the device tree ---------------------------------------------------------------------

def qemu_tree(harts, tmp_path):
    path = tmp_path / "qemu.dtb"
    subprocess.run(["qemu-system-riscv64", "-M", f"virt,dumpdtb={path}", "-m", "128M", "-smp", str(harts),
                    "-nographic"], capture_output=True, check=True)
    return path.read_bytes()


def our_tree(harts, tmp_path=None):
    return boards.device_tree_blob(boards.BootConfig(ram_size=128 << 20, harts=harts))


def decompiled(blob):
    out = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", "-"], input=blob, capture_output=True, check=True)
    return out.stdout.decode()


def edited(fw, blob):
    hosted.put_bytes(FDT, blob)
    fdt = fw["fdt"]
    assert fdt.scan(FDT)
    assert fdt.reserve(FDT, 0x80000000, 0x40000, RAM_END)
    return hosted.get_bytes(FDT, struct.unpack(">I", bytes(hosted.get_bytes(FDT + 4, 4)))[0])


@needs_dtc
@pytest.mark.parametrize("maker", [our_tree, qemu_tree])
def test_device_tree_walk_and_reserved_memory(fw, maker, tmp_path):
    blob = maker(4, tmp_path)
    out = edited(fw, blob)
    found = fw["fdt"].found
    assert (found.count, found.harts) == (4, 0b1111)
    assert (found.memory_base, found.memory_size) == (0x80000000, 128 << 20)
    text = decompiled(out)
    assert ("reserved-memory {\n\t\t#address-cells = <0x02>;\n\t\t#size-cells = <0x02>;\n\t\tranges;\n\n"
            "\t\tmmode_resv0@80000000 {\n\t\t\treg = <0x00 0x80000000 0x00 0x40000>;\n\t\t\tno-map;\n"
            "\t\t};\n\t};") in text
    before = decompiled(blob)
    node = text[text.index("\n\treserved-memory"):text.index("\n\t};\n", text.index("mmode")) + 5]
    assert text.replace(node, "") == before                       # nothing else changed


@needs_dtc
def test_an_existing_reserved_memory_node_gets_the_child(fw, tmp_path):
    source = decompiled(our_tree(1)).replace(
        "\tcpus {", "\treserved-memory {\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;\n"
                    "\t\tother@84000000 {\n\t\t\treg = <0 0x84000000 0 0x1000>;\n\t\t};\n\t};\n\n\tcpus {")
    blob = subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-"], input=source.encode(), capture_output=True,
                          check=True).stdout
    text = decompiled(edited(fw, blob))
    assert text.count("reserved-memory {") == 1
    node = text[text.index("reserved-memory {"):]
    assert node.index("other@84000000") < node.index("mmode_resv0@80000000") < node.index("cpus {")


@needs_dtc
def test_long_properties_nops_and_broken_trees(fw):
    """A property of 256 bytes or more (its length is not its last byte alone) and NOP tokens
    are stepped over; a tree without the magic, or whose root never ends, is no tree."""
    source = decompiled(our_tree(2)).replace(
        "\tchosen {", "\tchosen {\n\t\tblob = [" + " ".join(["ab"] * 300) + "];")
    blob = bytearray(subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-"], input=source.encode(),
                                    capture_output=True, check=True).stdout)
    struct_at = struct.unpack(">I", blob[8:12])[0]
    blob[struct_at + 8:struct_at + 8] = struct.pack(">I", 4)       # a NOP after the root's name
    blob[4:8] = struct.pack(">I", len(blob) + 4)
    for field in (12, 36):                                          # strings move, struct grows
        blob[field:field + 4] = struct.pack(">I", struct.unpack(">I", blob[field:field + 4])[0] + 4)
    out = edited(fw, bytes(blob))
    found = fw["fdt"].found
    assert (found.count, found.harts, found.memory_size) == (2, 0b11, 128 << 20)
    assert "mmode_resv0@80000000" in decompiled(out) and "blob = <0xabababab 0xabababab" in decompiled(out)
    hosted.put_bytes(FDT, b"\x00" * 64)
    assert not fw["fdt"].scan(FDT)                                  # no magic
    hosted.put_bytes(FDT, bytes(blob[:struct_at]) + struct.pack(">4I", 1, 0, 9, 0))
    assert not fw["fdt"].scan(FDT)                                  # the root never ends


def test_no_room_to_grow_the_tree_is_reported(fw):
    blob = our_tree(1)
    hosted.put_bytes(FDT, blob)
    fdt = fw["fdt"]
    assert fdt.scan(FDT)
    assert not fdt.reserve(FDT, 0x80000000, 0x40000, FDT + len(blob) + 16)
    assert hosted.get_bytes(FDT, len(blob)) == blob


# ---- misaligned loads and stores -----------------------------------------------------------

def misaligned_trap(fw, insn: bytes, cause: int, address: int):
    """A frame as the trap entry would give for `insn` at 0x80200000, trapped from S-mode."""
    hosted.put_bytes(0x80200000, insn)
    frame = rt.TrapFrame()
    frame.pc, frame.cause, frame.tval, frame.status = 0x80200000, cause, address, 1 << 11
    host.MACHINE.csrs[STVEC] = 0x80201000
    return frame


def test_misaligned_loads_and_stores_are_emulated(fw):
    hosted.put_bytes(0x80300001, bytes([0x88, 0x99, 0xAA, 0xBB, 0x11, 0x22, 0x33, 0xF4]))
    frame = misaligned_trap(fw, struct.pack("<I", 0x0005A503), 4, 0x80300001)      # lw a0, 0(a1)
    fw["misaligned"].emulate(frame)
    assert frame.regs[10] == 0xFFFFFFFFBBAA9988 and frame.pc == 0x80200004
    frame = misaligned_trap(fw, struct.pack("<I", 0x0005E503), 4, 0x80300003)      # lwu a0, 0(a1)
    fw["misaligned"].emulate(frame)
    assert frame.regs[10] == 0x2211BBAA
    frame = misaligned_trap(fw, struct.pack("<H", 0x6188), 4, 0x80300001)          # c.ld a0, 0(a1)
    fw["misaligned"].emulate(frame)
    assert frame.regs[10] == 0xF4332211BBAA9988 and frame.pc == 0x80200002
    frame = misaligned_trap(fw, struct.pack("<I", 0x00A5B023), 6, 0x80300005)      # sd a0, 0(a1)
    frame.regs[10] = 0x0102030405060708
    fw["misaligned"].emulate(frame)
    assert hosted.get_bytes(0x80300005, 8) == bytes.fromhex("0807060504030201")
    frame = misaligned_trap(fw, struct.pack("<H", 0xC20A), 6, 0x80300011)          # c.swsp sp, 4(sp)
    frame.regs[2] = 0x12345678
    fw["misaligned"].emulate(frame)
    assert hosted.get_bytes(0x80300011, 4) == bytes.fromhex("78563412")


def test_what_cannot_be_emulated_goes_to_s_mode(fw):
    frame = misaligned_trap(fw, struct.pack("<I", 0x0005B507), 4, 0x80300001)      # fld fa0, 0(a1)
    fw["misaligned"].emulate(frame)
    assert frame.pc == 0x80201000 and (frame.status >> 11) & 3 == 1 and frame.status & 0x100
    assert (host.MACHINE.csrs[SEPC], host.MACHINE.csrs[SCAUSE], host.MACHINE.csrs[STVAL]) == \
        (0x80200000, 4, 0x80300001)


def test_a_fault_during_emulation_is_the_fault_s_mode_sees(fw):
    """The byte at the page boundary faults: the firmware's own trap handler (called by the board
    model as the nested trap from M-mode it would be) records it, and S-mode gets that fault."""
    host.MACHINE.faults.add(0x80301)
    frame = misaligned_trap(fw, struct.pack("<I", 0x0005B503), 4, 0x80300FFE)      # ld a0, 0(a1)
    fw["misaligned"].emulate(frame)
    assert frame.pc == 0x80201000
    assert (host.MACHINE.csrs[SCAUSE], host.MACHINE.csrs[STVAL]) == (5, 0x80301000)


def test_other_traps_from_s_mode_are_redirected(fw):
    frame = misaligned_trap(fw, b"\x73\x25\x00\x30", 2, 0x30002573)                # csrr a0, mstatus
    frame.status |= 0x2                                                            # SIE on
    fw["trap"].handle(frame)
    assert frame.pc == 0x80201000 and host.MACHINE.csrs[SCAUSE] == 2
    assert frame.status & 0x20 and not frame.status & 0x2                         # SPIE = SIE, SIE = 0


# ---- the boot path -------------------------------------------------------------------------

def boot(fw, next_word: bytes = b"\x13\x00\x00\x00\x13\x00\x00\x00"):
    hosted.put_bytes(FDT, our_tree(2))
    info = 0x1028
    hosted.put_bytes(info, struct.pack("<6Q", 0x4942534F, 2, 0x80200000, 1, 0, 0))
    hosted.put_bytes(0x80200000, next_word)
    fw["boot"].main(0, FDT, info)


def test_boot_prints_the_banner_and_enters_s_mode(fw):
    with pytest.raises(host.HostLeft) as left:
        boot(fw)
    assert (left.value.mode, left.value.pc) == (1, 0x80200000)
    assert bytes(host.MACHINE.output) == b"Downstairs SBI v2.0: 2 harts, 128 MiB, next stage at 0x80200000\n"
    frame = fw["hart"].frames[0]
    assert (frame.regs[10], frame.regs[11]) == (0, FDT)
    assert [fw["hsm"].states[h].state for h in range(3)] == [0, 1, 0xFF]
    assert host.MACHINE.csrs[0x302] == 0xB109 and host.MACHINE.csrs[0x303] == 0x222     # medeleg, mideleg


def test_nothing_to_boot_is_one_line_and_a_failing_power_off(fw):
    with pytest.raises(host.HostExit) as done:
        boot(fw, bytes(8))
    assert done.value.status == 1
    assert bytes(host.MACHINE.output) == \
        b"downstairs-sbi: nothing to run at the next stage's address (no -kernel?): 0x80200000\n"
