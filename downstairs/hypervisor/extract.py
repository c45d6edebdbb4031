"""Get the ELF vmlinux out of a bzImage, as the kernel's scripts/extract-vmlinux does, in Python.

A bzImage (Documentation/arch/x86/boot.rst) is real-mode setup code, then the protected-mode
part: the decompressor plus the compressed kernel. Since boot protocol 2.08 the setup header
says where that payload is: `payload_offset` (0x248) and `payload_length` (0x24c), relative to
the start of the protected-mode part ((setup_sects + 1) * 512 bytes in). Its first bytes
name the compressor. The stdlib handles gzip, xz and (Python 3.14) zstd; Debian's cloud
kernel uses LZ4 in the kernel's "legacy" frame (magic 0x184C2102, then blocks, each a
little-endian 32-bit compressed size and an LZ4 block), which `lz4_block` below decodes
(format: lz4/lz4 doc/lz4_Block_format.md).
"""

import gzip
import os
import lzma
import struct

from downstairs.errors import UsageError

LZ4_LEGACY_MAGIC = b"\x02\x21\x4c\x18"


def lz4_block(src: bytes, out: bytearray) -> None:
    """Decode one LZ4 block, appending to `out` (matches may refer to earlier blocks)."""
    i, n = 0, len(src)
    while i < n:
        token = src[i]
        i += 1
        length = token >> 4
        if length == 15:
            while True:
                b = src[i]
                i += 1
                length += b
                if b != 255:
                    break
        out += src[i:i + length]
        i += length
        if i >= n:
            break                                   # the last sequence has literals only
        offset = src[i] | (src[i + 1] << 8)
        i += 2
        match = token & 15
        if match == 15:
            while True:
                b = src[i]
                i += 1
                match += b
                if b != 255:
                    break
        match += 4
        if offset == 0 or offset > len(out):
            raise ValueError("bad LZ4 match offset")
        start = len(out) - offset
        if offset >= match:
            out += out[start:start + match]
        else:                                       # overlapping copy: repeat the pattern
            pattern = bytes(out[start:])
            out += (pattern * (match // offset + 1))[:match]


def lz4_legacy(data: bytes) -> bytes:
    """Decompress the LZ4 legacy format Linux uses for vmlinux.lz4: 4-byte magic, then blocks
    of (le32 compressed size, LZ4 block) until a zero size or the end (Linux appends its
    uncompressed size); a repeated magic starts another frame."""
    out = bytearray()
    i = 4
    while i + 4 <= len(data):
        size = struct.unpack_from("<I", data, i)[0]
        if size == struct.unpack("<I", LZ4_LEGACY_MAGIC)[0]:   # a concatenated frame
            i += 4
            continue
        i += 4
        if size == 0 or i + size > len(data):
            break                                   # trailing data (the kernel appends its size)
        lz4_block(data[i:i + size], out)
        i += size
    return bytes(out)


def payload(image: bytes) -> bytes:
    """The compressed vmlinux inside a bzImage: payload_offset/payload_length of the setup
    header (boot protocol 2.08+), after the setup sectors."""
    if len(image) < 0x270 or image[0x202:0x206] != b"HdrS":
        raise UsageError("not a bzImage (no 'HdrS' boot header)")
    version = struct.unpack_from("<H", image, 0x206)[0]
    if version < 0x0208:
        raise UsageError(f"boot protocol {version >> 8}.{version & 0xFF} is too old to locate the payload")
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + offset
    return image[start:start + length]


def extract_vmlinux(image: bytes) -> bytes:
    """The uncompressed ELF kernel inside a bzImage."""
    data = payload(image)
    if data.startswith(b"\x1f\x8b"):
        elf = gzip.decompress(data)
    elif data.startswith(b"\xfd7zXZ\x00"):
        elf = lzma.decompress(data)
    elif data.startswith(LZ4_LEGACY_MAGIC):
        elf = lz4_legacy(data)
    elif data.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            from compression import zstd            # Python 3.14
        except ImportError:
            raise UsageError("this kernel is zstd-compressed; Python 3.14's compression.zstd is needed")
        elf = zstd.decompress(data)
    else:
        raise UsageError(f"unknown kernel compression (payload starts {data[:4].hex()})")
    if not elf.startswith(b"\x7fELF"):
        raise UsageError("the decompressed payload is not an ELF file")
    return elf


def cached_vmlinux(bzimage_path: str) -> str:
    """The vmlinux of a bzImage, extracted once into the cache (keyed by the image's hash)."""
    import hashlib
    from downstairs.hypervisor.initramfs import cache_dir
    with open(bzimage_path, "rb") as f:
        image = f.read()
    path = cache_dir() / f"vmlinux-{hashlib.sha256(image).hexdigest()[:16]}"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(extract_vmlinux(image))
        tmp.rename(path)
    return str(path)
