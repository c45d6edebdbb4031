"""`downstairs vm`: boot a Linux kernel in a KVM microVM, from options or a Firecracker-style JSON file.

    downstairs vm --kernel F [--initrd F] [--append STR] [--mem 256M] [--cpus 1] [--drive F[,ro]]
    downstairs vm --config vm.json

The JSON file uses Firecracker's names for the parts we support:
    {"boot-source": {"kernel_image_path": ..., "initrd_path": ..., "boot_args": ...},
     "drives": [{"drive_id": "rootfs", "path_on_host": ..., "is_read_only": false}],
     "machine-config": {"vcpu_count": 1, "mem_size_mib": 256}}
The process exits with the guest's: 0 after a power-off or reset, 1 after a crash (the
message and the vCPU's registers go to stderr).
"""

import json
import sys

from downstairs.errors import UsageError

DEFAULT_APPEND = "console=ttyS0 reboot=k panic=-1"


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if text and text[-1] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text) << 20                       # a bare number is MiB, as in QEMU's -m
    except ValueError:
        raise UsageError(f"bad memory size {text!r} (use e.g. 256M or 1G)")


def parse_drive(text: str):
    from downstairs.hypervisor.microvm import Drive
    path, _, opts = text.partition(",")
    if opts not in ("", "ro", "rw"):
        raise UsageError(f"bad drive option {opts!r} (ro or rw)")
    return Drive(path, opts == "ro")


def config_from_json(path: str):
    from downstairs.hypervisor.microvm import Config, Drive
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist")
    except (OSError, json.JSONDecodeError) as err:
        raise UsageError(f"cannot read config file {path}: {err}")
    if not isinstance(data, dict):
        raise UsageError(f"config file {path}: expected a JSON object")
    try:
        source = data["boot-source"]
        machine = data.get("machine-config", {})
        config = Config(kernel=source["kernel_image_path"], initrd=source.get("initrd_path"),
                        cmdline=source.get("boot_args", DEFAULT_APPEND),
                        mem=int(machine.get("mem_size_mib", 256)) << 20,
                        cpus=int(machine.get("vcpu_count", 1)))
        for d in data.get("drives", []):
            config.drives.append(Drive(d["path_on_host"], bool(d.get("is_read_only", False))))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise UsageError(f"config file {path}: missing or bad field {err}")
    return config


def run(args) -> int:
    from downstairs.hypervisor.microvm import Config, MicroVm
    from downstairs.hypervisor.vm import VmError
    if args.config:
        config = config_from_json(args.config)
    else:
        if not args.kernel:
            raise UsageError("--kernel (or --config) is required")
        config = Config(kernel=args.kernel, initrd=args.initrd, cmdline=args.append,
                        mem=parse_size(args.mem), cpus=args.cpus,
                        drives=[parse_drive(d) for d in args.drive])
    from downstairs.hypervisor.kvm import KvmError
    config.kvm_device = args.kvm_device
    try:
        vm = MicroVm(config)
    except ValueError as err:
        raise UsageError(str(err))
    except KvmError as err:
        print(f"downstairs vm: error: KVM refused to set up the VM: {err.strerror}", file=sys.stderr)
        return 1
    try:
        return vm.run(args.timeout, stdin=sys.stdin.isatty())
    except VmError as err:
        print(f"\ndownstairs vm: guest stopped: {err}", file=sys.stderr)
        return 1


def register(subparsers) -> None:
    p = subparsers.add_parser("vm", help="boot Linux in a KVM microVM",
                              description="Boot a Linux kernel (PVH vmlinux or bzImage) in a KVM microVM.")
    p.add_argument("--kernel", help="ELF vmlinux (PVH boot) or bzImage")
    p.add_argument("--initrd", help="initramfs image")
    p.add_argument("--append", default=DEFAULT_APPEND, help=f"kernel command line (default: {DEFAULT_APPEND!r})")
    p.add_argument("--mem", default="256M", help="guest RAM, e.g. 256M (default 256M)")
    p.add_argument("--cpus", type=int, default=1, help="number of vCPUs (default 1)")
    p.add_argument("--drive", action="append", default=[], metavar="FILE[,ro]",
                   help="a disk image as a virtio-blk device (repeatable)")
    p.add_argument("--config", help="Firecracker-style JSON configuration instead of the options")
    p.add_argument("--kvm-device", default="/dev/kvm", help="the KVM device (default /dev/kvm)")
    p.add_argument("--timeout", type=float, default=None, help="end the VM with an error after this many seconds")
    p.set_defaults(func=run)
