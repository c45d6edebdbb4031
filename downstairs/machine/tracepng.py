"""A picture of a --trace-file timeline, as a PNG: what Perfetto would show, drawn here.

    python -m downstairs.machine.tracepng boot.json boot.png [--width 1600]

One row per thread of the trace (trace.py: the boot stages, each hart's privilege level, its
SBI calls, each device's bursts of accesses), time running left to right in instructions.
Spans are filled boxes (M-mode red, S-mode blue, U-mode green; others by name), labelled
where they are wide enough; instants (traps, console lines) are ticks.

Everything is drawn by this file: the PNG writer (PNG specification, 2nd edition: the
signature, then IHDR, IDAT and IEND chunks, each with a CRC-32; the image an 8-bit RGB
raster, each row behind a filter byte of 0, deflated with zlib) and a 5x7 bitmap font of
capital letters, digits and a little punctuation (labels are drawn in capitals).
"""

import argparse
import json
import struct
import sys
import zlib

# 5x7 glyphs, rows top to bottom, '#' lit
FONT = {
    "A": " ### /#   #/#   #/#####/#   #/#   #/#   #", "B": "#### /#   #/#   #/#### /#   #/#   #/#### ",
    "C": " ### /#   #/#    /#    /#    /#   #/ ### ", "D": "#### /#   #/#   #/#   #/#   #/#   #/#### ",
    "E": "#####/#    /#    /#### /#    /#    /#####", "F": "#####/#    /#    /#### /#    /#    /#    ",
    "G": " ### /#   #/#    /# ###/#   #/#   #/ ####", "H": "#   #/#   #/#   #/#####/#   #/#   #/#   #",
    "I": " ### /  #  /  #  /  #  /  #  /  #  / ### ", "J": "  ###/   # /   # /   # /   # /#  # / ##  ",
    "K": "#   #/#  # /# #  /##   /# #  /#  # /#   #", "L": "#    /#    /#    /#    /#    /#    /#####",
    "M": "#   #/## ##/# # #/# # #/#   #/#   #/#   #", "N": "#   #/##  #/# # #/#  ##/#   #/#   #/#   #",
    "O": " ### /#   #/#   #/#   #/#   #/#   #/ ### ", "P": "#### /#   #/#   #/#### /#    /#    /#    ",
    "Q": " ### /#   #/#   #/#   #/# # #/#  # / ## #", "R": "#### /#   #/#   #/#### /# #  /#  # /#   #",
    "S": " ####/#    /#    / ### /    #/    #/#### ", "T": "#####/  #  /  #  /  #  /  #  /  #  /  #  ",
    "U": "#   #/#   #/#   #/#   #/#   #/#   #/ ### ", "V": "#   #/#   #/#   #/#   #/#   #/ # # /  #  ",
    "W": "#   #/#   #/#   #/# # #/# # #/# # #/ # # ", "X": "#   #/#   #/ # # /  #  / # # /#   #/#   #",
    "Y": "#   #/#   #/ # # /  #  /  #  /  #  /  #  ", "Z": "#####/    #/   # /  #  / #   /#    /#####",
    "0": " ### /#   #/#  ##/# # #/##  #/#   #/ ### ", "1": "  #  / ##  /  #  /  #  /  #  /  #  / ### ",
    "2": " ### /#   #/    #/   # /  #  / #   /#####", "3": "#####/   # /  #  /   # /    #/#   #/ ### ",
    "4": "   # /  ## / # # /#  # /#####/   # /   # ", "5": "#####/#    /#### /    #/    #/#   #/ ### ",
    "6": "  ## / #   /#    /#### /#   #/#   #/ ### ", "7": "#####/    #/   # /  #  / #   / #   / #   ",
    "8": " ### /#   #/#   #/ ### /#   #/#   #/ ### ", "9": " ### /#   #/#   #/ ####/    #/   # / ##  ",
    " ": "     /     /     /     /     /     /     ", "-": "     /     /     /#####/     /     /     ",
    ".": "     /     /     /     /     / ##  / ##  ", ",": "     /     /     /     / ##  /  #  / #   ",
    ":": "     / ##  / ##  /     / ##  / ##  /     ", "(": "   # /  #  / #   / #   / #   /  #  /   # ",
    ")": " #   /  #  /   # /   # /   # /  #  / #   ", "/": "     /    #/   # /  #  / #   /#    /     ",
    "@": " ### /#   #/# ###/# # #/# ###/#    / ####", "_": "     /     /     /     /     /     /#####",
    "=": "     /     /#####/     /#####/     /     ", "<": "   # /  #  / #   /#    / #   /  #  /   # ",
    ">": " #   /  #  /   # /    #/   # /  #  / #   ", "'": "  #  /  #  /     /     /     /     /     ",
    "?": " ### /#   #/    #/   # /  #  /     /  #  ", "x": "     /     /#   #/ # # /  #  / # # /#   #",
}
COLORS = {"M-mode": (214, 69, 65), "S-mode": (66, 110, 200), "U-mode": (76, 166, 92)}
BACKGROUND, INK, GRID, TICK = (250, 250, 247), (30, 30, 30), (225, 225, 220), (120, 40, 40)
ROW, LABELS, SCALE = 22, 360, 2          # row height, label column width, font scale


class Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.pixels = bytearray(BACKGROUND * (width * height))

    def box(self, x0: int, y0: int, x1: int, y1: int, color) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(x0, 0), min(x1, self.width)
        for y in range(max(y0, 0), min(y1, self.height)):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + (x1 - x0) * 3] = bytes(color) * (x1 - x0)

    def text(self, x: int, y: int, text: str, color=INK, limit: int | None = None) -> None:
        """Capital letters from (x, y), at most `limit` pixels wide (hex keeps its 0x)."""
        for ch in text.upper().replace("0X", "0x"):
            if limit is not None and x + 6 * SCALE > limit:
                return
            rows = FONT.get(ch, FONT["?"]).split("/")
            for r, row in enumerate(rows):
                for c, lit in enumerate(row):
                    if lit == "#":
                        self.box(x + c * SCALE, y + r * SCALE, x + (c + 1) * SCALE, y + (r + 1) * SCALE, color)
            x += 6 * SCALE

    def png(self) -> bytes:
        """The image as a PNG file's bytes."""
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        stride = self.width * 3
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride:(y + 1) * stride]) for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def color_of(name: str):
    """A span's color: the privilege colors, else one picked from the name."""
    if name in COLORS:
        return COLORS[name]
    h = zlib.crc32(name.split(":")[0].encode())
    return (90 + h % 130, 90 + (h >> 8) % 130, 90 + (h >> 16) % 130)


def rows_of(events: list[dict]) -> list[tuple[tuple[int, int], str]]:
    """The threads that have spans or instants, in the processes' sort order then by thread,
    with their labels: the thread's name ("hart 0"), with its process's before it when another
    process has a thread of that name ("SBI calls: hart 0")."""
    names, order, used = {}, {}, set()
    for e in events:
        if e["ph"] == "M" and e["name"] == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
        elif e["ph"] == "M" and e["name"] == "process_name":
            names[(e["pid"], None)] = e["args"]["name"]
        elif e["ph"] == "M" and e["name"] == "process_sort_index":
            order[e["pid"]] = e["args"]["sort_index"]
        elif e["ph"] in "Xi":
            used.add((e["pid"], e["tid"]))
    keys = sorted(used, key=lambda k: (order.get(k[0], k[0]), k[1]))
    rows, seen = [], set()
    for key in keys:                         # a thread's name, and its process's when it repeats
        label = str(names.get(key, key[1]))
        rows.append((key, f"{names.get((key[0], None), '')}: {label}" if label in seen else label))
        seen.add(label)
    return rows


def draw(trace: dict, width: int = 1600) -> Canvas:
    """The picture of a trace (trace.py's document)."""
    events = trace["traceEvents"]
    rows = rows_of(events)
    end = max((e["ts"] + e.get("dur", 0) for e in events if e["ph"] in "Xi"), default=1) or 1
    top = 3 * ROW
    canvas = Canvas(width, top + ROW * len(rows) + 3 * ROW)
    span_width = width - LABELS - 10

    def x_of(ts: float) -> int:
        return LABELS + int(ts / end * span_width)
    canvas.text(10, 10, f"DOWNSTAIRS TIMELINE: {end * 1000:,.0f} INSTRUCTIONS", INK)
    index = {key: i for i, (key, _) in enumerate(rows)}
    for i, (_, label) in enumerate(rows):
        y = top + i * ROW
        canvas.box(0, y + ROW - 1, width, y + ROW, GRID)
        canvas.text(10, y + 4, label, INK, LABELS - 6)
    for e in events:
        if e["ph"] != "X":
            continue
        y = top + index[(e["pid"], e["tid"])] * ROW
        x0, x1 = x_of(e["ts"]), max(x_of(e["ts"] + e["dur"]), x_of(e["ts"]) + 1)
        canvas.box(x0, y + 2, x1, y + ROW - 3, color_of(e["name"]))
        if x1 - x0 > 40:
            canvas.text(x0 + 3, y + 4, e["name"], (255, 255, 255), x1 - 2)
    for e in events:
        if e["ph"] == "i":
            y = top + index[(e["pid"], e["tid"])] * ROW
            x = x_of(e["ts"])
            canvas.box(x, y + 1, x + 1, y + ROW - 2, TICK)
    axis = top + ROW * len(rows) + 6
    for k in range(11):
        x = LABELS + k * span_width // 10
        canvas.box(x, axis, x + 1, axis + 6, INK)
        if k < 10:
            canvas.text(x, axis + 10, f"{end * 1000 * k / 10 / 1e6:.1f}M", INK)
    return canvas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m downstairs.machine.tracepng",
                                     description="Draw a --trace-file timeline as a PNG.")
    parser.add_argument("trace", help="the JSON file `downstairs run --trace-file` wrote")
    parser.add_argument("png", help="the picture to write")
    parser.add_argument("--width", type=int, default=1600, help="pixels (default 1600)")
    args = parser.parse_args(argv)
    try:
        with open(args.trace) as f:
            trace = json.load(f)
        picture = draw(trace, args.width).png()
        with open(args.png, "wb") as f:
            f.write(picture)
    except (OSError, ValueError, KeyError) as error:
        print(f"tracepng: {args.trace}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
