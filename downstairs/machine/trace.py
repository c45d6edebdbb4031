"""--trace-file FILE.json: the run as a timeline, in the Chrome trace-event format.

The format (Google's "Trace Event Format" document, which chrome://tracing and Perfetto's UI
read) is a JSON object whose "traceEvents" list holds events: complete spans (ph "X", a
start `ts` and a `dur`), instants (ph "i", scope "t": on one thread) and metadata (ph "M")
naming processes and threads. Each event sits on a thread (`tid`) of a process (`pid`);
spans on one thread must nest. Here the processes are tracks of the machine:

    pid 1  harts       a thread per hart: its privilege level, back to back (M-mode, S-mode,
                       U-mode spans), and each trap or interrupt as an instant on it
    pid 2  SBI calls   a thread per hart: a span from each ecall from S-mode to the mret
                       back, named by the SBI extension and function (names.py)
    pid 3  devices     a thread per device: bursts of accesses (from the first to the last,
                       with no gap longer than BURST_GAP instructions), reads and writes counted
    pid 4  boot        the stages (--trace-stages' detector, stages.py), and each line the
                       console printed as an instant

Time is guest instructions retired by all harts (Machine.executed), written as 1 instruction
= 1 ns (`ts` is in microseconds): under `-icount shift=0` that is the guest's own clock, and
the same run gives the same file. The events are kept in memory and written by finish().
"""

import json

from downstairs.machine import names

HARTS, SBI, DEVICES, BOOT = 1, 2, 3, 4
BURST_GAP = 10_000                 # instructions between accesses that still make one burst
STAGES_TID, CONSOLE_TID = 1, 2


def us(count: int) -> float:
    """An instruction count as the format's microseconds, at 1 instruction per ns."""
    return count / 1000


class Timeline:
    def __init__(self, machine, path: str, command: str = ""):
        """A timeline of `machine`, to be written to `path`; `command` goes in its metadata."""
        self.machine = machine
        self.path = path
        self.command = command
        self.events: list[dict] = []
        harts = len(machine.harts)
        self.mode = [(3, 0)] * harts               # each hart's privilege and since when
        self.sbi: list[tuple[int, str, dict] | None] = [None] * harts   # an open SBI call
        self.devices: dict[int, int] = {}          # window base -> tid
        self.bursts: dict[int, list] = {}          # tid -> [start, end, reads, writes, name]
        self.current_stage: tuple[str, int] | None = None   # the stage running, since when
        self.console_line = b""
        for pid, name, order in ((BOOT, "boot", 0), (HARTS, "harts", 1), (SBI, "SBI calls", 2),
                                 (DEVICES, "devices", 3)):
            self.meta("process_name", pid, 0, name)
            self.meta("process_sort_index", pid, 0, order, key="sort_index")
        for i in range(harts):
            self.meta("thread_name", HARTS, i + 1, f"hart {i}")
            self.meta("thread_name", SBI, i + 1, f"hart {i}")
        self.meta("thread_name", BOOT, STAGES_TID, "stages")
        self.meta("thread_name", BOOT, CONSOLE_TID, "console")

    def meta(self, kind: str, pid: int, tid: int, value, key: str = "name") -> None:
        self.events.append({"name": kind, "ph": "M", "pid": pid, "tid": tid, "args": {key: value}})

    def span(self, name: str, pid: int, tid: int, start: int, end: int, cat: str, args: dict | None = None) -> None:
        event = {"name": name, "cat": cat, "ph": "X", "pid": pid, "tid": tid,
                 "ts": us(start), "dur": us(max(end - start, 0))}
        if args:
            event["args"] = args
        self.events.append(event)

    def instant(self, name: str, pid: int, tid: int, at: int, cat: str, args: dict | None = None) -> None:
        event = {"name": name, "cat": cat, "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": us(at)}
        if args:
            event["args"] = args
        self.events.append(event)

    # ---- what the harts do (observe.py forwards the core's calls) --------------------------

    def privilege(self, hart, now: int) -> None:
        """The hart's privilege may have changed: close its span, open the next."""
        index = hart.mhartid
        mode, since = self.mode[index]
        if hart.priv != mode:
            self.span(f"{names.MODES.get(mode, '?')}-mode", HARTS, index + 1, since, now, "privilege")
            self.mode[index] = (hart.priv, now)

    def trap(self, hart, cause: int, tval: int, was: int, now: int) -> None:
        """A trap taken: an instant on the hart, a new privilege span, and an SBI call opened
        on an ecall from S-mode."""
        index = hart.mhartid
        epc = hart.mepc if hart.priv == 3 else hart.sepc
        self.privilege(hart, now)
        self.instant(names.trap_name(cause), HARTS, index + 1, now, "trap",
                     {"cause": hex(cause), "tval": hex(tval), "epc": hex(epc),
                      "from": names.MODES.get(was, "?"), "to": names.MODES.get(hart.priv, "?")})
        if cause == 9 and hart.priv == 3:
            eid, fid = hart.reg(17), hart.reg(16)
            extension, function = names.sbi_call(eid, fid)
            self.sbi[index] = (now, f"{extension} {function}", {"eid": hex(eid), "fid": fid, "a0": hex(hart.reg(10))})

    def xret(self, hart, was: int, now: int) -> None:
        """mret or sret: a new privilege span; an mret back below M ends an open SBI call."""
        index = hart.mhartid
        self.privilege(hart, now)
        call = self.sbi[index]
        if call is not None and was == 3 and hart.priv != 3:
            start, name, args = call
            args["error"] = hart.reg(10) - (1 << 64) if hart.reg(10) >> 63 else hart.reg(10)
            self.span(name, SBI, index + 1, start, now, "sbi", args)
            self.sbi[index] = None

    def csr_write(self, hart, number: int, value: int, now: int) -> None:
        """CSR writes do not show on the timeline."""

    def after_slice(self, hart, now: int) -> None:
        """Nothing to do between slices."""

    def device_access(self, window, kind: str, address: int, size: int, value: int, now: int) -> None:
        """One access to a device: extend its burst, or close it and start another."""
        tid = self.devices.get(window.base)
        if tid is None:
            tid = self.devices[window.base] = len(self.devices) + 1
            self.meta("thread_name", DEVICES, tid, device_name(window))
        burst = self.bursts.get(tid)
        if burst is not None and now - burst[1] > BURST_GAP:
            self.close_burst(tid)
            burst = None
        if burst is None:
            burst = self.bursts[tid] = [now, now, 0, 0, device_name(window)]
        burst[1] = now
        burst[2 if kind == "r" else 3] += 1

    def close_burst(self, tid: int) -> None:
        start, end, reads, writes, name = self.bursts.pop(tid)
        self.span(f"{name}: {reads + writes} accesses", DEVICES, tid, start, end + 1, "device",
                  {"reads": reads, "writes": writes})

    def stage(self, name: str, hart, where: str, now: int) -> None:
        """A boot stage begins (stages.py): the previous one ends here."""
        if self.current_stage is not None:
            self.span(self.current_stage[0], BOOT, STAGES_TID, self.current_stage[1], now, "stage")
        self.current_stage = (name, now)

    def console_output(self, data: bytes, now: int) -> None:
        """Console bytes: each complete line becomes an instant on the console thread."""
        self.console_line += data
        while b"\n" in self.console_line:
            line, self.console_line = self.console_line.split(b"\n", 1)
            text = line.decode("utf-8", errors="replace").strip("\r")
            if text.strip():
                self.instant(text[:120], BOOT, CONSOLE_TID, now, "console")

    # ---- the end ---------------------------------------------------------------------------

    def finish(self, now: int) -> None:
        """Close what is open at instruction `now` and write the file."""
        for hart in self.machine.harts:
            mode, since = self.mode[hart.mhartid]
            self.span(f"{names.MODES.get(mode, '?')}-mode", HARTS, hart.mhartid + 1, since, now, "privilege")
        for index, call in enumerate(self.sbi):          # one that never returned: SRST, say
            if call is not None:
                self.span(call[1], SBI, index + 1, call[0], now, "sbi", call[2])
        for tid in list(self.bursts):
            self.close_burst(tid)
        if self.current_stage is not None:
            self.span(self.current_stage[0], BOOT, STAGES_TID, self.current_stage[1], now, "stage")
            self.current_stage = None
        document = {"traceEvents": self.events, "displayTimeUnit": "ns",
                    "otherData": {"clock": "guest instructions retired, 1 instruction = 1 ns",
                                  "instructions": now, "command": self.command}}
        with open(self.path, "w") as f:
            json.dump(document, f, separators=(",", ":"))


def device_name(window) -> str:
    """A device as the timeline names it: its model's file and its address, uart16550 0x10000000."""
    module = type(window.device).__module__.rsplit(".", 1)[-1]
    return f"{module} {window.base:#x}"
