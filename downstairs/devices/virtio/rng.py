"""virtio-rng, the entropy device: fills every device-writable buffer with random bytes.

VIRTIO 1.2 section 5.4: device ID 4, one request queue, no feature bits, no configuration.
"""

import os

from downstairs.devices.virtio.device import VirtioDevice


class Entropy(VirtioDevice):
    device_id = 4
    queue_sizes = (256,)

    def __init__(self, source=os.urandom):
        """An entropy source whose bytes come from `source(n)` (the host's, by default)."""
        super().__init__()
        self.source = source

    def notify(self, index: int) -> None:
        """Fill every buffer the driver offered (up to 64 KiB each) and interrupt once."""
        q = self.queue(0)
        while (chain := q.pop(self.memory)) is not None:
            n = min(chain.writable_size(), 64 * 1024)
            chain.write(0, self.source(n))
            q.push(self.memory, chain, n)
        self.transport.used(0)
