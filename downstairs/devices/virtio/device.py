"""The part every virtio device model shares: feature bits, configuration space, queues.

VIRTIO 1.2 section 2 ("Basic Facilities of a Virtio Device"). A model sets `device_id`,
`features` and `queue_sizes`; the transport (mmio.py) sets `self.transport` and calls
`notify(index)` when the driver kicks a queue.
"""


class VirtioDevice:
    device_id = 0
    features = 0
    queue_sizes: tuple[int, ...] = ()

    def __init__(self):
        """Not attached to a transport yet; no features accepted."""
        self.transport = None
        self.accepted = 0

    def config(self) -> bytes:
        """The device-specific configuration space (read at offset 0x100 of the window)."""
        return b""

    def config_write(self, offset: int, size: int, value: int) -> None:
        """A store to the configuration space: ignored unless the model has writable fields."""
        pass

    def features_accepted(self, features: int) -> None:
        """The driver set FEATURES_OK with these features (the transport checked them)."""
        self.accepted = features

    def reset(self) -> None:
        """A device reset (Status written 0): forget the negotiated features."""
        self.accepted = 0

    def poll(self) -> None:
        """Called now and then: a model with host input (the console) delivers it here."""
        pass

    def close(self) -> None:
        """The machine is going away: let go of host resources (a disk's file)."""

    def notify(self, index: int) -> None:
        """The driver kicked queue `index`: the model serves it (every model overrides this)."""
        raise NotImplementedError

    # helpers for subclasses
    @property
    def memory(self):
        return self.transport.memory

    def queue(self, index: int):
        """The transport's queue `index`."""
        return self.transport.queues[index]
