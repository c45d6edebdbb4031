"""`downstairs vm`: boot a Linux kernel in a KVM microVM, from options or a Firecracker-style JSON file.

    downstairs vm --kernel F [--initrd F] [--append STR] [--mem 256M] [--cpus 1] [--drive F[,ro]]
    downstairs vm --config vm.json

The JSON file uses Firecracker's names for the parts we support:
    {"boot-source": {"kernel_image_path": ..., "initrd_path": ..., "boot_args": ...},
     "drives": [{"drive_id": "rootfs", "path_on_host": ..., "is_read_only": false}],
     "machine-config": {"vcpu_count": 1, "mem_size_mib": 256}}
Optional fields may be null, as in Firecracker. The process exits with the guest's status: 0
after a power-off or reset, 1 after a crash (the message and the vCPU's registers go to
stderr), 2 for bad input, 130 on Ctrl-C, 128 + N after SIGTERM, SIGHUP or SIGQUIT (the guest
is stopped, the disks synced, the terminal restored). Sizes, files, disks (checked, whole
sectors, locked), the terminal and signals are host.py's, shared with `run`.
"""

import json
import sys

from downstairs.errors import UsageError

DEFAULT_APPEND = "console=ttyS0 reboot=k panic=-1"


def parse_drive(text: str):
    """--drive FILE[,ro|,rw]: a host.Disk."""
    from downstairs.host import Disk
    path, _, opts = text.partition(",")
    if opts not in ("", "ro", "rw"):
        raise UsageError(f"bad drive option {opts!r} (ro or rw)")
    return Disk(path, opts == "ro")


def field(table: dict, key: str, kind: type, where: str, default=None, required: bool = False):
    """table[key] if it has the JSON type `kind` (null or absent: `default`, unless
    required); any other value is a UsageError naming the field."""
    value = table.get(key)
    if value is None:
        if required:
            raise UsageError(f"{where}: {key} is missing")
        return default
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise UsageError(f"{where}: {key} must be a whole number, not {json.dumps(value)[:40]}")
    if not isinstance(value, kind):
        names = {str: "a string", bool: "true or false", dict: "an object", list: "a list"}
        raise UsageError(f"{where}: {key} must be {names[kind]}, not {json.dumps(value)[:40]}")
    return value


def config_from_json(path: str):
    """A microvm.Config from a Firecracker-style file; every problem (unreadable, not
    UTF-8, not JSON, nested too deeply, a field of the wrong type) is one line."""
    from downstairs.host import Disk
    from downstairs.hypervisor.microvm import Config
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path}: not UTF-8 text") from None
    except RecursionError:
        raise UsageError(f"config file {path}: nested too deeply") from None
    except (OSError, json.JSONDecodeError) as err:
        raise UsageError(f"cannot read config file {path}: {err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config file {path}: expected a JSON object")
    source = field(data, "boot-source", dict, path, required=True)
    machine = field(data, "machine-config", dict, path, default={})
    where = f"{path}: boot-source"
    mem_mib = field(machine, "mem_size_mib", int, f"{path}: machine-config", default=256)
    config = Config(kernel=field(source, "kernel_image_path", str, where, required=True),
                    initrd=field(source, "initrd_path", str, where),
                    cmdline=field(source, "boot_args", str, where, default=DEFAULT_APPEND),
                    mem=mem_mib << 20 if 0 <= mem_mib < 1 << 40 else -1,
                    cpus=field(machine, "vcpu_count", int, f"{path}: machine-config", default=1))
    if config.mem < 0:
        raise UsageError(f"{path}: machine-config: mem_size_mib {mem_mib} is out of range")
    for n, drive in enumerate(field(data, "drives", list, path, default=[])):
        if not isinstance(drive, dict):
            raise UsageError(f"{path}: drives[{n}] must be an object")
        config.drives.append(Disk(field(drive, "path_on_host", str, f"{path}: drives[{n}]", required=True),
                                  field(drive, "is_read_only", bool, f"{path}: drives[{n}]", default=False)))
    return config


def run(args) -> int:
    """`downstairs vm`: a MicroVm from the options or the JSON file, run with this terminal;
    the guest's status, or 1 when it crashed or KVM refused."""
    from downstairs.host import Signals, parse_size
    from downstairs.hypervisor.kvm import KvmError
    from downstairs.hypervisor.microvm import Config, MicroVm
    from downstairs.hypervisor.vm import VmError

    if args.timeout is not None and not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout {args.timeout}: give a number of seconds above 0")
    if args.config:
        config = config_from_json(args.config)
    else:
        if not args.kernel:
            raise UsageError("--kernel (or --config) is required")
        config = Config(kernel=args.kernel, initrd=args.initrd, cmdline=args.append,
                        mem=parse_size(args.mem), cpus=args.cpus,
                        drives=[parse_drive(d) for d in args.drive])
    config.kvm_device = args.kvm_device
    try:
        vm = MicroVm(config)
    except KvmError as err:
        print(f"downstairs vm: error: KVM refused to set up the VM: {err.strerror}", file=sys.stderr)
        return 1
    signals = Signals(vm.vm.exit, announce)
    try:
        return vm.run(args.timeout, stdin=sys.stdin.isatty())
    except VmError as err:
        print(f"\ndownstairs vm: guest stopped: {err}", file=sys.stderr)
        return 1
    finally:
        signals.ending()
        vm.close()


def announce(signum: int) -> None:
    """What QEMU says when a signal ends it."""
    print(f"\ndownstairs vm: terminating on signal {signum}", file=sys.stderr)


def register(subparsers) -> None:
    """The `vm` subcommand and its options."""
    p = subparsers.add_parser("vm", help="boot Linux in a KVM microVM",
                              description="Boot a Linux kernel (PVH vmlinux or bzImage) in a KVM microVM.")
    p.add_argument("--kernel", help="ELF vmlinux (PVH boot) or bzImage")
    p.add_argument("--initrd", help="initramfs image")
    p.add_argument("--append", default=DEFAULT_APPEND, help=f"kernel command line (default: {DEFAULT_APPEND!r})")
    p.add_argument("--mem", default="256M", help="guest RAM, e.g. 256M (default 256M; a bare number is MiB)")
    p.add_argument("--cpus", type=int, default=1, help="number of vCPUs (default 1)")
    p.add_argument("--drive", action="append", default=[], metavar="FILE[,ro]",
                   help="a raw disk image (whole 512-byte sectors) as a virtio-blk device (repeatable)")
    p.add_argument("--config", help="Firecracker-style JSON configuration instead of the options")
    p.add_argument("--kvm-device", default="/dev/kvm", help="the KVM device (default /dev/kvm)")
    p.add_argument("--timeout", type=float, default=None, help="end the VM with an error after this many seconds")
    p.set_defaults(func=run)
