"""gdb on the machine: Debian's gdb-multiarch drives our stub and QEMU's with the same script.

`-S -gdb tcp::PORT` on both emulators; gdb in batch mode runs a script (tests/board/gdb/) and
what it prints must be the same, line for line. The bare-metal script (debuggee.c, two harts)
touches threads, the ROM, software and hardware breakpoints, finish, write and access
watchpoints, integer, FP and CSR registers written and read back, memory written (code
patched under a running program: the harts must see the new instructions) and read,
single steps, and the guest's end. The Linux script breaks at start_kernel with vmlinux's
symbols, reads kernel memory through the MMU, sets a hardware breakpoint and a watchpoint
on jiffies. Ctrl-C goes through an interactive gdb (pexpect).

What must differ, and is normalised: when the guest powers off, QEMU 7.2 drops the connection
without telling gdb (gdb says "Remote connection closed"); ours sends the exit status (gdb
says "[Inferior 1 (process 1) exited with code 01]"). Nothing else is.
"""

import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import pexpect
import pytest

from downstairs.guests.baremetal import build as bm
from downstairs.guests.linux import boot, kernel
from downstairs.machine import gdbstub

OURS = [sys.executable, "-m", "downstairs", "run"]
QEMU = ["qemu-system-riscv64"]
SCRIPTS = pathlib.Path(__file__).parent / "gdb"
GDB = "gdb-multiarch"
TIMEOUT = 120


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (setup.sh installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port (the kernel's table: state 0A is LISTEN)."""
    with open("/proc/net/tcp") as table:
        return any(f":{port:04X} " in line and line.split()[3] == "0A" for line in table)


def wait_listening(port: int, timeout: float = 60) -> None:
    """Until the emulator just started listens on port (or `timeout` seconds have passed)."""
    deadline = time.monotonic() + timeout
    while not listening(port) and time.monotonic() < deadline:
        time.sleep(0.05)


def debuggee() -> pathlib.Path:
    need(bm.CC)
    return bm.build("debuggee", "virt")


def baremetal_command(emulator: list[str], elf, port: int, extra: list[str] = ()) -> list[str]:
    return [*emulator, "-M", "virt", "-m", "128M", "-bios", "none", "-kernel", str(elf),
            "-nographic", "-S", "-gdb", f"tcp::{port}", *extra]


class Emulator:
    """An emulator started under -S, killed if still there at the end."""

    def __init__(self, command: list[str]):
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")

    def finish(self, timeout: float = TIMEOUT) -> tuple[int | None, str]:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
            return self.proc.returncode, out
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            return None, out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def gdb_command(program, port: int, commands: list[str]) -> list[str]:
    """gdb-multiarch -batch on `program`'s symbols, connected to :port, then `commands`
    (each a gdb command line, or "-x FILE" for a script)."""
    need(GDB)
    line = [GDB, "-batch", "-nx", "-ex", "set tcp connect-timeout 60", "-ex", f"target remote :{port}"]
    for command in commands:
        line += command.split(" ", 1) if command.startswith("-x ") else ["-ex", command]
    return line + [str(program)]


def gdb_batch(program, port: int, commands: list[str]) -> str:
    """What gdb prints running `commands` (gdb_command) to its end."""
    result = subprocess.run(gdb_command(program, port, commands), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=TIMEOUT)
    return result.stdout + result.stderr


def session(emulator: list[str], command, program, script) -> tuple[str, int | None, str]:
    """Run one emulator under gdb with `script`: (gdb's output, emulator status, console)."""
    port = free_port()
    with Emulator(command(emulator, port)) as machine:
        printed = gdb_batch(program, port, [f"-x {script}"])
        status, console = machine.finish()
    return printed, status, console


def without_end(printed: str) -> list[str]:
    """gdb's lines up to the guest's end (the only part QEMU and we may say differently)."""
    lines = printed.splitlines()
    for ending in ("Remote connection closed", "[Inferior 1 (process 1) exited"):
        lines = [line for line in lines if not line.startswith(ending)]
    return [line for line in lines if "Error in sourced command file" not in line]


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_baremetal_script_prints_what_it_prints_on_qemu(engine):
    need(QEMU[0])
    elf = debuggee()
    script = SCRIPTS / "baremetal.gdb"

    def command(emulator, port):
        extra = ["-smp", "2"] + (["--engine", engine] if emulator is OURS else [])
        return baremetal_command(emulator, elf, port, extra)
    theirs, q_status, _ = session(QEMU, command, elf, script)
    ours, status, console = session(OURS, command, elf, script)
    assert without_end(ours) == without_end(theirs), ours
    assert "Old value = 0\nNew value = 1" in ours                   # the watchpoint
    assert "<square>:\tli\ta0,7" in ours                            # the patched code ...
    assert "FAIL debuggee.total: got 0x2b" in console               # ... is what ran: 43
    assert ours.rstrip().endswith("[Inferior 1 (process 1) exited with code 01]")
    assert status == q_status == 1


def test_ctrl_c_stops_the_machine_and_detach_lets_it_finish():
    """Interactive gdb: the program spins (hold = 1), Ctrl-C stops it (SIGINT), gdb clears
    hold and detaches; the machine runs on to its end, breakpoints gone. Same on QEMU."""
    need(GDB)
    need(QEMU[0])
    elf = debuggee()
    source = (bm.KINDS["tests"] / "debuggee.c").read_text().splitlines()
    spin = source.index("    while (hold)") + 1                # the spin's two lines
    for emulator in (QEMU, OURS):
        port = free_port()
        with Emulator(baremetal_command(emulator, elf, port)) as machine:
            gdb = pexpect.spawn(GDB, ["-nx", "-q", str(elf)], encoding="utf-8", timeout=60)
            try:
                gdb.expect_exact("(gdb)")
                for command in ("set pagination off", "set confirm off", "set style enabled off",
                                "set width 0", "set tcp connect-timeout 60",
                                f"target remote :{port}", "break poke", "continue"):
                    gdb.sendline(command)
                    gdb.expect_exact("(gdb)")
                gdb.sendline("set var hold = 1")
                gdb.expect_exact("(gdb)")
                gdb.sendline("set debug remote 1")           # to see when the machine runs
                gdb.expect_exact("(gdb)")
                gdb.sendline("continue")
                gdb.expect_exact("Continuing.")
                gdb.expect_exact("Sending packet: $vCont;c:p1.-1")   # past the step over the
                gdb.expect_exact("\n")                          # breakpoint: the guest spins
                gdb.sendcontrol("c")
                gdb.expect_exact("Program received signal SIGINT, Interrupt.")
                gdb.expect_exact("(gdb)")
                gdb.sendline("set debug remote 0")
                gdb.expect_exact("(gdb)")
                gdb.sendline("bt")
                gdb.expect(rf"#0 .*main \(\) at \S*debuggee\.c:({spin}|{spin + 1})\r?\n")
                gdb.sendline("set var hold = 0")
                gdb.expect_exact("(gdb)")
                gdb.sendline("detach")
                gdb.expect_exact("Detaching from program")
                gdb.sendline("quit")
                gdb.expect(pexpect.EOF)
            finally:
                gdb.close(force=True)
            status, console = machine.finish()
        assert status == 1, (emulator, console)                # counter > 8: the spin ran
        assert "FAIL debuggee.counter" in console and "PASS debuggee.total" in console


def test_a_dropped_gdb_leaves_the_machine_running():
    """gdb killed while the machine is stopped at a breakpoint: the breakpoint goes with it
    and the guest runs to its end (status 0)."""
    need(GDB)
    elf = debuggee()
    port = free_port()
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        gdb_batch(elf, port, ["break square", "continue", "shell kill -9 $PPID"])
        status, console = machine.finish()
    assert status == 0, console
    assert "RESULT PASS" in console


def test_kill_ends_the_run_and_the_port_is_free_again():
    need(GDB)
    elf = debuggee()
    port = free_port()
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        printed = gdb_batch(elf, port, ["kill"])
        status, console = machine.finish()
    assert "[Inferior 1 (process 1) killed]" in printed
    assert status == 0 and "Traceback" not in console
    with socket.socket() as s:                           # closed: another run may listen there
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)


def test_more_hardware_watchpoints_than_triggers_are_refused():
    """Two triggers: a third hardware watchpoint cannot be inserted (gdb says so; the guest
    is not disturbed). QEMU's stub has no such limit, so this one is ours alone."""
    need(GDB)
    elf = debuggee()
    port = free_port()
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        out = gdb_batch(elf, port, ["watch counter", "watch watched", "rwatch hold", "continue",
                                    "delete", "continue"])
        status, console = machine.finish()
    assert "Could not insert hardware watchpoint" in out, out
    assert "You may have requested too many hardware breakpoints/watchpoints." in out
    assert status == 0 and "RESULT PASS" in console


def packet(body: bytes) -> bytes:
    """One remote-protocol packet: $body#checksum."""
    return b"$" + body + b"#" + gdbstub.checksum(body)


def test_malformed_packets_get_errors_and_the_machine_stays_stopped():
    """What a buggy or hostile client sends (bad hex, missing fields, an empty packet, a read
    longer than a packet, a vCont action we lack, a watchpoint that wraps or crosses 2^63, an
    address beyond 64 bits, a breakpoint type we lack) gets E22 or the empty "unsupported" reply,
    as QEMU's stub answers; the machine stays stopped and the session goes on."""
    elf = debuggee()
    port = free_port()
    cases = [(b"m", b"E22"), (b"mzz,4", b"E22"), (b"m80000000,ffffffffffffffff", b"E22"),
             (b"M80000000,4:zz", b"E22"), (b"Z0,zz,2", b"E22"), (b"pzz", b"E22"),
             (b"P1=zz", b"E22"), (b"Hgzz", b"E22"), (b"Tzz", b"E22"), (b"vCont;c:zz", b"E22"),
             (b"qXfer:features:read:target.xml:zz", b"E22"), (b"", b""), (b"vCont;x", b""),
             (b"Z2,7fffffffffffffff,2", b"E22"), (b"Z3,fffffffffffffffe,4", b"E22"),
             (b"Z2,80000000,0", b"E22"), (b"Z0,10000000000000000,4", b"E22"), (b"Z0,-4,4", b"E22"),
             (b"z-1,80000000,4", b""), (b"Z9,80000000,4", b"")]
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        wait_listening(port)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            replies = conn.makefile("rb")
            for body, expected in cases + [(b"?", b"T05thread:p01.01;")]:
                conn.sendall(packet(body))
                assert replies.read(1) == b"+", body                    # acknowledged
                reply = b""
                while not reply.endswith(b"#") or len(reply) < 2:
                    char = replies.read(1)
                    assert char, f"the stub hung up after {body!r}"
                    reply += char
                replies.read(2)                                         # its checksum
                assert reply == b"$" + expected + b"#", (body, reply)
            conn.sendall(packet(b"k"))
        status, console = machine.finish()
    assert status == 0 and "Traceback" not in console, console


@pytest.mark.parametrize("options,message", [
    (["-gdb", "udp::1234"], "-gdb udp::1234: use tcp::PORT or tcp:HOST:PORT"),
    (["-gdb", "tcp::\u00b2"], "-gdb tcp::\u00b2: use tcp::PORT or tcp:HOST:PORT"),
    (["-S"], "-S waits for a debugger: give -s or -gdb tcp::PORT too"),
])
def test_bad_gdb_options_are_one_line(options, message):
    result = subprocess.run(OURS + ["-M", "virt", "-nographic", *options], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == f"downstairs run: error: {message}"


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(OURS + ["-M", "virt", "-nographic", "-gdb", f"tcp::{port}"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"downstairs run: error: -gdb tcp::{port}: cannot listen: Address already in use"


@pytest.mark.slow
def test_linux_script_prints_what_it_prints_on_qemu():
    need(QEMU[0])
    built = kernel.build("gc", show_progress=False)
    script = SCRIPTS / "linux.gdb"

    def command(emulator, port):
        return boot.boot_command(built.image, qemu=emulator) + ["-S", "-gdb", f"tcp::{port}"]
    theirs, _, _ = session(QEMU, command, built.vmlinux, script)
    ours, status, console = session(OURS, command, built.vmlinux, script)
    assert ours == theirs
    assert "Breakpoint 1, 0x" in ours and "in start_kernel ()" in ours
    assert "Linux version 6.1" in ours and "Hardware watchpoint 3: *(long *)&jiffies" in ours
    assert status == 0 and "Traceback" not in console


def test_sigterm_while_waiting_for_gdb_ends_the_run():
    """-S with nobody connected: SIGTERM still ends the run, with QEMU's message and 143."""
    elf = debuggee()
    port = free_port()
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        wait_listening(port)                         # the process starting up (no gdb to wait for)
        machine.proc.send_signal(signal.SIGTERM)
        status, console = machine.finish(timeout=60)
    assert status == 143, console
    assert "terminating on signal 15" in console and "Traceback" not in console


def test_what_waits_to_be_read_stays_bounded():
    """Noise between packets, a packet that never ends and a flood are dropped, as QEMU's stub
    drops them, instead of growing the buffer without end; Ctrl-C and whole packets stay."""
    server = gdbstub.GdbServer(f"tcp::{free_port()}")
    try:
        server.take(b"noise" * 100000)
        assert server.received == b""
        server.take(b"+\x03-")
        assert server.received == b"\x03"
        server.take(b"$m" + b"0" * 2 * gdbstub.PACKET_SIZE)          # no '#': an overrun
        assert server.received == b"\x03"
        server.take(packet(b"g") + b"+" + packet(b"?"))
        assert server.received == b"\x03" + packet(b"g") + b"+" + packet(b"?")   # (next_packet skips the +)
        server.take(packet(b"g") * gdbstub.PACKET_SIZE)
        assert len(server.received) == gdbstub.RECEIVED_MAX
    finally:
        server.close()


def test_the_stub_answers_after_noise_and_an_overrun():
    """End to end: after a megabyte of noise and a packet without its end, the next packet
    gets its answer (QEMU's stub does the same)."""
    elf = debuggee()
    port = free_port()
    with Emulator(baremetal_command(OURS, elf, port)) as machine:
        wait_listening(port)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(b"noise" * 200000 + b"$m" + b"0" * 3 * gdbstub.PACKET_SIZE)
            time.sleep(0.5)
            conn.sendall(packet(b"?"))
            replies = conn.makefile("rb")
            assert replies.read(1) == b"+"
            reply = b""
            while not reply.endswith(b"#"):
                char = replies.read(1)
                assert char, "the stub hung up"
                reply += char
            assert reply == b"$T05thread:p01.01;#"
            conn.sendall(packet(b"k"))
        status, console = machine.finish()
    assert status == 0 and "Traceback" not in console, console
