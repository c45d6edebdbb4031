"""The CPython side: the built-in names' host behaviour and the host runner's wrap-around."""

from downstairs.compiler import runtime as rt
from downstairs.compiler.run import run_host
from downstairs.compiler.runtime import host


def test_conversions_wrap():
    assert rt.u8(300) == 44 and rt.u8(-1) == 255
    assert rt.i8(200) == -56 and rt.i16(0x18000) == -0x8000
    assert rt.u32(-1) == 0xFFFFFFFF and rt.i64(1 << 63) == -(1 << 63)
    assert repr(rt.u16) == "u16"


def test_records_and_arrays_start_at_zero():
    @rt.record
    class Inner:
        a: rt.u8

    @rt.record
    class Outer:
        x: rt.u32
        inner: Inner
        table: rt.Array[rt.u16, 3]

    o = Outer(7)
    assert o.x == 7 and o.inner.a == 0 and o.table == [0, 0, 0]
    grid = rt.array(rt.Array[rt.u8, 2], 3)
    grid[2][1] = 5
    assert grid == [[0, 0], [0, 0], [0, 5]]
    assert len(rt.array(Inner, 4)) == 4 and rt.array(Inner, 4)[3].a == 0


def test_host_machine_uart_memory_and_exit():
    machine = host.reset()
    assert rt.load8(0x10000005) & 0x20            # THR empty
    rt.store8(0x10000000, ord("A"))
    rt.store64(0x1000, 0x1122334455667788)
    assert rt.load32(0x1004) == 0x11223344 and rt.load8(0x1000) == 0x88
    rt.csr_write(0x340, 5)
    assert rt.csr_read(0x340) == 5 and rt.csr_read(0xB02) == 0
    assert machine.output == b"A"
    try:
        rt.store32(0x100000, 0x3333 | (9 << 16))
    except host.HostExit as done:
        assert done.status == 9
    else:
        raise AssertionError("the test device did not end the run")


def test_host_run_wraps_every_typed_result(tmp_path):
    lib = tmp_path / "out.py"
    lib.write_text("from downstairs.compiler.runtime import u8, u64, store8, store32\n"
                   "def put(v: u8) -> None:\n    store8(0x10000000, v)\n"
                   "def done() -> None:\n    store32(0x100000, 0x5555)\n")
    prog = tmp_path / "prog.py"
    prog.write_text("from downstairs.compiler.runtime import u8, i8\nfrom out import put, done\n"
                    "def main() -> None:\n"
                    "    a: u8 = 250\n    a += 10\n    put(a)\n"          # 4
                    "    b: u8 = 3\n    put(b - 5)\n"                      # 254
                    "    c: i8 = 127\n    put(u8(c + 1))\n"                # -128 -> 128
                    "    put(~b)\n"                                        # 252
                    "    done()\n")
    result = run_host(str(prog))
    assert result.status == 0 and list(result.output) == [4, 254, 128, 252]
