"""A gdb stub: gdb's remote serial protocol, served over TCP, as QEMU's -s, -S and -gdb tcp::PORT
(GDB manual, appendix E "GDB Remote Serial Protocol").

    downstairs run -M virt -bios none -kernel prog.elf -nographic -s -S
    gdb-multiarch prog.elf -ex 'target remote :1234'

A packet is `$data#cs` (cs: the sum of the data bytes mod 256, two hex digits), answered
with `+` until gdb asks for QStartNoAckMode; a byte 0x03 outside a packet is Ctrl-C. Each
hart is a thread of process 1 (thread ids `p01.01`, `p01.02` ... with gdb's multiprocess
extension, as QEMU numbers them). The machine is all-stop: a breakpoint on any hart, or
Ctrl-C, stops them all, and gdb's stop reply names the thread that stopped.

What each packet does:

    ?            why the machine is stopped         g G p P    registers (gdbtarget.py)
    m M X        memory, virtual addresses          qXfer:features:read:target.xml
    c s vCont    continue, step one hart            Z0 z0      software breakpoints
    Z1 z1        hardware breakpoints               Z2-Z4      watchpoints (write, read, access)
    H T qC qfThreadInfo qsThreadInfo qThreadExtraInfo           threads
    D            detach: breakpoints go, the machine runs on   k vKill   end the run (status 0)

A packet we do not know gets the empty reply (gdb then does without it); one we know but
cannot read (bad hex, a missing field, a read longer than a packet) gets E22, as QEMU's stub
answers, and the machine stays as it was.

Breakpoints live in the harts (core/trigger.py): software ones as addresses each hart checks
before fetching (memory is not patched), hardware ones and watchpoints as the hart's debug
triggers, taken with dmode and action 1, so there are as many as the hart has triggers (2).
A step runs one instruction of the chosen hart and takes no interrupt, as QEMU's does.

Like QEMU: the machine stops when gdb connects (and, with -S, before its first instruction);
gdb's stop replies use its signal numbers (5, SIGTRAP; 2, SIGINT after Ctrl-C); when the guest
powers off gdb gets `W` with the exit status. When gdb detaches or its connection drops,
its breakpoints are removed and the machine runs on; another gdb may connect later. Unlike
QEMU, `tcp::PORT` listens on the loopback address only: anyone who reaches the port owns
the machine.
"""

import select
import socket

from downstairs.errors import UsageError
from downstairs.host import decimal
from downstairs.machine import gdbtarget
from downstairs.machine.core.consts import (
    HALT_WATCH, TRIGGER_EXECUTE, TRIGGER_LOAD, TRIGGER_STORE,
)
from downstairs.machine.machine import PAUSED

DEFAULT_PORT = 1234                     # -s
PACKET_SIZE = 0x1000                    # the longest packet gdb may send or ask for (qSupported)
RECEIVED_MAX = 4 * PACKET_SIZE          # the bytes from gdb that may wait to be read as packets
SIGINT, SIGTRAP = 2, 5
# Z packet types: 0 software breakpoint, 1 hardware breakpoint, 2 write, 3 read, 4 access watch
TRIGGER_KINDS = {1: TRIGGER_EXECUTE, 2: TRIGGER_STORE, 3: TRIGGER_LOAD, 4: TRIGGER_LOAD | TRIGGER_STORE}
WATCH_NAMES = {2: "watch", 3: "rwatch", 4: "awatch"}
CONTINUE, STEP, KILL, DETACH = "continue", "step", "kill", "detach"


def parse_address(spec: str) -> tuple[str, int]:
    """QEMU's -gdb device: tcp::PORT or tcp:HOST:PORT (HOST empty: the loopback address)."""
    kind, _, rest = spec.partition(":")
    host, _, text = rest.rpartition(":")
    port = decimal(text)
    if kind != "tcp" or port is None or not 0 < port < 65536:
        raise UsageError(f"-gdb {spec}: use tcp::PORT or tcp:HOST:PORT")
    return host or "127.0.0.1", port


def checksum(data: bytes) -> bytes:
    """A packet's checksum: the byte sum mod 256, as two lower-case hex digits."""
    return b"%02x" % (sum(data) & 0xFF)


def escape(data: bytes) -> bytes:
    """Binary data in a reply: $, #, } and * are sent as } and the byte XOR 0x20."""
    out = bytearray()
    for byte in data:
        if byte in b"$#}*":
            out += bytes([0x7D, byte ^ 0x20])
        else:
            out.append(byte)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """The X packet's binary payload: } escapes the next byte (XOR 0x20)."""
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == 0x7D and i + 1 < len(data):
            out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def le_hex(value: int) -> str:
    """A 64-bit register as gdb wants it: 8 bytes, little-endian, in hex."""
    return (value & gdbtarget.MASK64).to_bytes(8, "little").hex()


class GdbServer:
    def __init__(self, spec: str):
        """Listen at QEMU's -gdb device `spec` (parse_address); a UsageError if the port is taken."""
        host, port = parse_address(spec)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
        except OSError as error:
            self.listener.close()
            raise UsageError(f"-gdb {spec}: cannot listen: {error.strerror}") from None
        self.listener.listen(1)
        self.conn: socket.socket | None = None
        self.received = b""              # bytes from gdb not yet made into packets
        self.ack = True                  # acknowledge packets (until QStartNoAckMode)
        self.machine = None
        self.engine = None
        self.csrs: dict[int, str] = {}
        self.xml = ""
        self.g_thread = 0                # hart for register and memory packets (Hg)
        self.stop_thread = 0             # the hart the last stop reply named
        self.inserted: set[tuple[int, int, int]] = set()   # (Z type, address, kind)
        self.waiting_for_stop = False    # gdb resumed the machine and waits for a stop reply
        self.only: int | None = None     # the one hart the next continue lets run (vCont;c:pP.T)

    def attach(self, machine, engine) -> None:
        """The machine to serve (built, not yet running) and the engine running its harts."""
        self.machine = machine
        self.engine = engine
        self.csrs = gdbtarget.present_csrs(engine, machine.harts[0])
        self.xml = gdbtarget.target_xml(self.csrs)

    def close(self) -> None:
        """Stop listening and drop the connection."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.listener.close()

    # ---- running ------------------------------------------------------------------------

    def serve(self, start_paused: bool) -> int:
        """Run the machine under gdb's control until it powers off (its status) or gdb kills
        it (0). With `start_paused` (-S) nothing runs until gdb connects and continues."""
        machine = self.machine
        if start_paused:
            machine.pause()
        while True:
            if machine.paused:
                action = self.converse()
                if action == KILL:
                    return 0 if machine.exit_status is None else machine.exit_status
                if action == STEP:
                    continue
                machine.resume(self.only)
                self.only = None
                if b"\x03" in self.received:          # Ctrl-C right behind the resume
                    self.received = self.received.replace(b"\x03", b"")
                    machine.pause()
            status = machine.run()
            if status != PAUSED:
                self.send_exit(status)
                return status
            if self.waiting_for_stop:
                self.report_stop()

    def poll(self) -> None:
        """Called every few ms while the machine runs: a gdb connecting stops the machine (as
        QEMU's does); a Ctrl-C from gdb stops it too."""
        if self.conn is None:
            ready, _, _ = select.select([self.listener], [], [], 0)
            if ready:
                self.accept()
                self.machine.pause()
            return
        ready, _, _ = select.select([self.conn], [], [], 0)
        if ready:
            data = self.conn.recv(4096)
            if not data:
                self.disconnected()
                return
            if b"\x03" in data:
                data = data.replace(b"\x03", b"")
                self.machine.pause()
            self.take(data)

    def accept(self) -> None:
        """Take a gdb's connection; a new session starts with acknowledgements on."""
        self.conn, _ = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ack = True
        self.received = b""
        self.waiting_for_stop = False

    def disconnected(self) -> None:
        """gdb went away (detached or dropped): its breakpoints go, the machine runs on."""
        self.remove_all()
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.waiting_for_stop = False

    # ---- the conversation ---------------------------------------------------------------

    def converse(self) -> str:
        """While the machine is stopped: answer gdb's packets until one resumes it. Returns
        CONTINUE (also after a detach or a dropped connection), STEP (done, reported) or KILL
        (also when a signal ended the run meanwhile: Machine.power_off)."""
        while True:
            if self.conn is None:
                if not self.wait_readable(self.listener):   # -S, or gdb left: wait for one
                    return KILL
                self.accept()
            packet = self.next_packet()
            if packet is None:
                if self.machine.exit_status is not None:
                    return KILL
                self.disconnected()
                return CONTINUE
            if packet == b"\x03":
                continue                               # already stopped
            try:
                action = self.handle(packet.decode("latin-1"))
            except (ValueError, IndexError):         # bad hex, a missing field: as QEMU's stub,
                self.send("E22")                     # EINVAL, and the machine stays as it was
                continue
            if action is not None:
                return action

    def next_packet(self) -> bytes | None:
        """The next packet's data (or b"\\x03" for Ctrl-C), acknowledged; None if gdb left."""
        while True:
            start = self.received.find(b"$")
            if self.received[:start].count(b"\x03") or (start < 0 and b"\x03" in self.received):
                self.received = self.received.replace(b"\x03", b"", 1)
                return b"\x03"
            if start >= 0:
                end = self.received.find(b"#", start)
                if end >= 0 and len(self.received) >= end + 3:
                    data = self.received[start + 1:end]
                    sent = self.received[end + 1:end + 3]
                    self.received = self.received[end + 3:]
                    if self.ack:
                        self.conn.sendall(b"+" if sent.lower() == checksum(data) else b"-")
                        if sent.lower() != checksum(data):
                            continue
                    return data
            if not self.wait_readable(self.conn):
                return None
            try:
                chunk = self.conn.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                return None
            self.take(chunk)

    def take(self, data: bytes) -> None:
        """Add bytes from gdb to `received`, which stays bounded as in QEMU's stub: what lies
        before a packet's '$' is dropped but Ctrl-C (acknowledgements, noise), a packet that
        runs past PACKET_SIZE without its '#' is dropped whole (an overrun), and no more than
        RECEIVED_MAX bytes wait (gdb sends a packet and waits for its answer)."""
        received = self.received + data
        start = received.find(b"$")
        before = received if start < 0 else received[:start]
        if before.strip(b"\x03"):
            received = b"\x03" * before.count(b"\x03") + (received[start:] if start >= 0 else b"")
            start = received.find(b"$")
        if start >= 0 and len(received) - start > PACKET_SIZE + 3 and received.find(b"#", start) < 0:
            received = received[:start]
        self.received = received[:RECEIVED_MAX]

    def wait_readable(self, sock) -> bool:
        """Wait for `sock` to have something to read; False if the run ended meanwhile (a
        signal: SIGTERM, SIGHUP while the machine waits for gdb)."""
        while self.machine.exit_status is None:
            ready, _, _ = select.select([sock], [], [], 0.1)
            if ready:
                return True
        return False

    def send(self, text: str | bytes) -> None:
        """Send one packet (gdb's + is not waited for: TCP does not lose it)."""
        data = text.encode("latin-1") if isinstance(text, str) else text
        try:
            self.conn.sendall(b"$" + data + b"#" + checksum(data))
        except OSError:
            self.disconnected()

    def handle(self, packet: str) -> str | None:
        """Answer one packet; returns an action when it resumes or ends the machine. A
        malformed one raises ValueError or IndexError (converse answers E22)."""
        kind = packet[:1]
        if not kind:
            self.send("")                              # an empty packet: nothing to answer
        elif kind == "?":
            self.send(self.stop_reply(SIGTRAP, self.stop_thread))
        elif kind == "g":
            hart = self.hart(self.g_thread)
            self.send("".join(le_hex(gdbtarget.read_register(self.engine, hart, self.csrs, n))
                              for n in range(gdbtarget.PC + 1)))
        elif kind == "G":
            hart = self.hart(self.g_thread)
            raw = bytes.fromhex(packet[1:])
            for n in range(min(len(raw) // 8, gdbtarget.PC + 1)):
                gdbtarget.write_register(self.engine, hart, self.csrs, n,
                                         int.from_bytes(raw[8 * n:8 * n + 8], "little"))
            self.send("OK")
        elif kind == "p":
            value = gdbtarget.read_register(self.engine, self.hart(self.g_thread), self.csrs,
                                            int(packet[1:], 16))
            self.send("E14" if value is None else le_hex(value))
        elif kind == "P":
            number, _, value = packet[1:].partition("=")
            done = gdbtarget.write_register(self.engine, self.hart(self.g_thread), self.csrs,
                                            int(number, 16),
                                            int.from_bytes(bytes.fromhex(value), "little"))
            self.send("OK" if done else "E14")
        elif kind == "m":
            addr, length = (int(x, 16) for x in packet[1:].split(","))
            if length > PACKET_SIZE // 2:              # the answer must fit in a packet
                self.send("E22")
            else:
                data = gdbtarget.read_memory(self.machine, self.engine, self.hart(self.g_thread), addr, length)
                self.send(data.hex() if data else "E14")
        elif kind in "MX":
            where, _, payload = packet[1:].partition(":")
            addr, length = (int(x, 16) for x in where.split(","))
            data = bytes.fromhex(payload) if kind == "M" else unescape(payload.encode("latin-1"))
            ok = gdbtarget.write_memory(self.machine, self.engine, self.hart(self.g_thread), addr,
                                        data[:length])
            self.send("OK" if ok else "E14")
        elif kind in "Zz":
            self.breakpoint(packet)
        elif kind in "cC":
            return self.resume(None)
        elif kind in "sS":
            return self.resume(self.g_thread)
        elif kind == "H":
            if packet[2:] not in ("-1", "0", "p-1.-1", "p1.-1"):
                self.g_thread = self.thread_index(packet[2:])
            self.send("OK")
        elif kind == "T":
            self.send("OK" if 0 <= self.thread_index(packet[1:]) < len(self.machine.harts) else "E22")
        elif kind == "D":
            self.send("OK")
            self.disconnected()
            return DETACH
        elif kind == "k":
            return KILL
        elif kind == "q" or kind == "Q":
            self.query(packet)
        elif kind == "v":
            return self.v_packet(packet)
        else:
            self.send("")
        return None

    def query(self, packet: str) -> None:
        """The q and Q packets: features, threads, and the small talk gdb opens with."""
        harts = self.machine.harts
        if packet.startswith("qSupported"):
            self.send(f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;multiprocess+;QStartNoAckMode+;vContSupported+")
        elif packet == "QStartNoAckMode":
            self.send("OK")
            self.ack = False
        elif packet.startswith("qXfer:features:read:target.xml:"):
            offset, length = (int(x, 16) for x in packet.rsplit(":", 1)[1].split(","))
            part = self.xml.encode()[offset:offset + length]
            self.send((b"l" if offset + length >= len(self.xml) else b"m") + escape(part))
        elif packet.startswith("qXfer:features:read:"):
            self.send("E00")
        elif packet == "qfThreadInfo":
            self.send("m" + ",".join(self.thread_id(i) for i in range(len(harts))))
        elif packet == "qsThreadInfo":
            self.send("l")
        elif packet == "qC":
            self.send("QC" + self.thread_id(self.g_thread))
        elif packet == "qAttached" or packet.startswith("qAttached:"):
            self.send("1")
        elif packet.startswith("qThreadExtraInfo,"):
            index = self.thread_index(packet.split(",", 1)[1])
            state = "halted " if harts[index].waiting else "running"
            self.send(f"CPU#{index} [{state}]".encode().hex())
        elif packet.startswith("qSymbol"):
            self.send("OK")
        else:
            self.send("")

    def v_packet(self, packet: str) -> str | None:
        """vCont? and vCont (step one thread or continue all), vKill, vMustReplyEmpty."""
        if packet == "vCont?":
            self.send("vCont;c;C;s;S")
        elif packet.startswith("vCont;"):
            actions = [action.partition(":") for action in packet[6:].split(";")]
            if any(verb[:1] not in ("c", "C", "s", "S") for verb, _, _ in actions):
                self.send("")                              # an action we lack, as QEMU answers
                return None
            for verb, _, thread in actions:
                if verb[:1] in ("s", "S"):
                    return self.resume(self.thread_index(thread) if thread else self.g_thread)
            named = [thread for _, _, thread in actions if thread and not thread.endswith("-1")]
            if len(named) == len(actions) == 1:             # c:p1.1: that hart alone (gdb's
                self.only = self.thread_index(named[0])     # step over a breakpoint)
            return self.resume(None)
        elif packet.startswith("vKill"):
            self.send("OK")
            return KILL
        else:
            self.send("")
        return None

    # ---- threads, stops, resuming ----------------------------------------------------------

    def thread_id(self, index: int) -> str:
        """Hart `index` as a thread of process 1, as QEMU writes it: p01.01 is hart 0."""
        return f"p01.{index + 1:02x}"

    def thread_index(self, text: str) -> int:
        """The hart a thread id names (pP.T or T; -1 and 0 mean any: the current one)."""
        tid = text.split(".")[-1] if text.startswith("p") else text
        number = int(tid, 16) if tid not in ("-1", "") else 0
        return self.g_thread if number <= 0 else number - 1

    def hart(self, index: int):
        return self.machine.harts[min(max(index, 0), len(self.machine.harts) - 1)]

    def stop_reply(self, signal: int, index: int) -> str:
        """T packet: the signal, the thread, and for a watchpoint its kind and address."""
        hart = self.hart(index)
        reply = f"T{signal:02x}thread:{self.thread_id(index)};"
        if hart.halt == HALT_WATCH:
            for ztype, addr, length in self.inserted:
                if ztype >= 2 and self.watched_base(addr, length) == hart.halt_addr:
                    reply += f"{WATCH_NAMES[ztype]}:{addr:016x};"
                    break
        return reply

    def watched_base(self, addr: int, length: int) -> int:
        """The first address of the range a watchpoint's trigger covers (trigger.py: a byte,
        or the NAPOT block around [addr, addr + length)), which the hart reports."""
        if length <= 1:
            return addr
        tdata2 = self.engine.trigger.napot_address(addr, length)
        size = 1 << ((tdata2 ^ (tdata2 + 1)).bit_length())
        return tdata2 & ~(size - 1)

    def report_stop(self) -> None:
        """The machine paused while gdb waited: name the hart that halted, else Ctrl-C."""
        self.waiting_for_stop = False
        halted = [i for i, hart in enumerate(self.machine.harts) if hart.halt]
        if halted:
            self.stop_thread = self.g_thread = halted[0]
            self.send(self.stop_reply(SIGTRAP, halted[0]))
        else:
            self.send(self.stop_reply(SIGINT, self.stop_thread))

    def resume(self, step: int | None) -> str:
        """c (step None) or s: continue the machine, or run one instruction of hart `step`
        and report it at once."""
        if step is None:
            self.waiting_for_stop = True
            return CONTINUE
        machine = self.machine
        machine.resume()
        machine.step(step)
        machine.pause()
        if machine.exit_status is not None:
            return CONTINUE                            # serve() reports the exit
        self.stop_thread = self.g_thread = step
        self.send(self.stop_reply(SIGTRAP, step))
        return STEP

    def send_exit(self, status: int) -> None:
        """The guest powered off: gdb learns the exit status (W), then the session ends."""
        if self.conn is not None:
            self.send(f"W{status & 0xFF:02x}")
            self.conn.close()
            self.conn = None

    # ---- breakpoints ---------------------------------------------------------------------

    def breakpoint(self, packet: str) -> None:
        """Z (insert) or z (remove) TYPE,ADDR,KIND on every hart."""
        fields = packet[1:].split(";")[0].split(",")
        ztype, addr, kind = int(fields[0]), int(fields[1], 16), int(fields[2], 16)
        if ztype not in (0, 1, 2, 3, 4):
            self.send("")                              # a type we lack, as QEMU answers
            return
        if not (0 <= addr <= gdbtarget.MASK64 and 0 <= kind <= gdbtarget.MASK64) or (
                ztype >= 2 and (kind == 0 or addr + kind - 1 > gdbtarget.MASK64
                                or (addr ^ (addr + kind - 1)) >> 63)):
            self.send("E22")                           # watched bytes must be in one half of
            return                                     # the address space (trigger.napot_address)
        key = (ztype, addr, kind)
        if packet[0] == "z":
            self.remove(key)
            self.send("OK")
            return
        trigger = self.engine.trigger
        done = []
        for hart in self.machine.harts:
            ok = (trigger.insert_breakpoint(hart, addr) if ztype == 0
                  else trigger.insert_trigger(hart, TRIGGER_KINDS[ztype], addr, kind))
            if not ok:
                for undo in done:
                    self.remove_from(undo, key)
                self.send("E22")
                return
            done.append(hart)
        self.inserted.add(key)
        self.send("OK")

    def remove_from(self, hart, key: tuple[int, int, int]) -> None:
        ztype, addr, kind = key
        if ztype == 0:
            self.engine.trigger.remove_breakpoint(hart, addr)
        else:
            self.engine.trigger.remove_trigger(hart, TRIGGER_KINDS[ztype], addr, kind)

    def remove(self, key: tuple[int, int, int]) -> None:
        """Take one breakpoint or watchpoint out of every hart."""
        for hart in self.machine.harts:
            self.remove_from(hart, key)
        self.inserted.discard(key)

    def remove_all(self) -> None:
        for key in list(self.inserted):
            self.remove(key)
