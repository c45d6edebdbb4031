"""Records (C struct layout), arrays of records, nested records, passing them by reference."""

from downstairs.compiler.runtime import u8, u16, u32, u64, i32, i64, record, array, Array, run
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler


@record
class Point:
    x: i32
    y: i32


@record
class Particle:
    tag: u8
    pos: Point
    vel: Point
    mass: u16
    hits: u64


particles = array(Particle, 4)
origin = Point(3, -4)
counter: u32 = 7


def step(p: Particle) -> None:
    p.pos.x += p.vel.x
    p.pos.y += p.vel.y
    p.hits += 1


def manhattan(a: Point, b: Point) -> i64:
    dx = i64(a.x - b.x)
    dy = i64(a.y - b.y)
    if dx < 0:
        dx = -dx
    if dy < 0:
        dy = -dy
    return dx + dy


def main() -> None:
    global counter
    for i in range(4):
        particles[i].tag = u8(65 + i)
        particles[i].vel.x = i32(i) - 2
        particles[i].vel.y = i32(i) * 3
        particles[i].mass = u16(1000 * i)
    for t in range(5):
        for i in range(4):
            step(particles[i])
    for i in range(4):
        p = particles[i]
        putc(p.tag)
        putc(32)
        put_i64(i64(p.pos.x))
        putc(32)
        put_i64(i64(p.pos.y))
        putc(32)
        put_u64(u64(p.mass))
        putc(32)
        put_u64(p.hits)
        putc(32)
        put_i64(manhattan(p.pos, origin))
        newline()
    local = Point(10, 20)
    local.x = local.x * 2
    put_i64(manhattan(local, origin))
    newline()
    local = Point()
    put_i64(i64(local.x + local.y))
    counter = counter * 6
    put_u64(u64(counter))
    newline()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
