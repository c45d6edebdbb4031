"""The header of a system image: sector 0 of its disk (docs/image.md, "The image on the disk").
The boot loader reads it (check.py); the host writes it and reads it back with the same numbers
(downstairs/image/imagefile.py). All fields little-endian:

    0x000  magic           u64   "DSIMAGE1": storeformat.IMAGE_MAGIC (the store looks for it too)
    0x008  version         u32   VERSION
    0x00c  segments        u32   entries used in the segment table: 1 to MAX_SEGMENTS
    0x010  payload_sector  u64   the payload's first sector
    0x018  data_sector     u64   the system's own data from here on (storeformat.IMAGE_DATA_SECTOR):
                                 our kernel's store after the payload, or Linux's ext2 from sector 0
    0x020  payload_bytes   u64   the payload: every segment's bytes, one after the other
    0x028  entry           u64   the kernel's first instruction (S-mode, a0 = hart id, a1 = device tree)
    0x030  sectors         u64   the whole image's length: a shorter disk holds a truncated image
    0x038  kernel          u32   KERNEL_DOWNSTAIRS or KERNEL_LINUX
    0x03c  firmware        u32   FIRMWARE_DOWNSTAIRS or FIRMWARE_OPENSBI: what it was built to follow
    0x040  payload sha256  32    of the payload's sectors, whole (the zeros after its last byte too)
    0x060  image id        32    the hash of the image's closure (`downstairs image show`)
    0x080  segment table   MAX_SEGMENTS x 24:
                                 +0 load address u64   +8 bytes in the payload u64   +16 bytes in memory u64
    0x1a0  header sha256   32    of bytes 0x000-0x19f
    0x1c0  zeros           64    (so bytes 0x1fe-0x1ff are no MBR signature: Linux sees no partitions)

A segment's bytes go to its load address and the rest of its memory is zeroed; load addresses,
lengths and memory sizes are multiples of 8, and segments are in address order without overlap.
The payload sha256 covers only what the loader loads: the data after the payload is the system's
to change.
"""

VERSION = 1
SECTOR = 512
MAX_SEGMENTS = 12

H_MAGIC = 0x000
H_VERSION = 0x008
H_SEGMENTS = 0x00C
H_PAYLOAD_SECTOR = 0x010
H_DATA_SECTOR = 0x018
H_PAYLOAD_BYTES = 0x020
H_ENTRY = 0x028
H_SECTORS = 0x030
H_KERNEL = 0x038
H_FIRMWARE = 0x03C
H_PAYLOAD_SHA256 = 0x040
H_IMAGE_ID = 0x060
H_TABLE = 0x080
H_HEADER_SHA256 = 0x1A0
H_ZEROS = 0x1C0

SEGMENT_SIZE = 24
S_LOAD = 0
S_BYTES = 8
S_MEMORY = 16

KERNEL_DOWNSTAIRS = 1
KERNEL_LINUX = 2
FIRMWARE_DOWNSTAIRS = 1
FIRMWARE_OPENSBI = 2
