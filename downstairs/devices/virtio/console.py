"""virtio-console: a byte stream between the guest (/dev/hvc0) and the host.

VIRTIO 1.2 section 5.3: device ID 3; queue 0 is receiveq (host -> guest), queue 1 is
transmitq (guest -> host). Without VIRTIO_CONSOLE_F_SIZE or F_MULTIPORT there is no
configuration to speak of: one port, no size.
"""

from collections import deque

from downstairs.devices.virtio.device import VirtioDevice

RECEIVEQ, TRANSMITQ = 0, 1


class Console(VirtioDevice):
    device_id = 3
    queue_sizes = (64, 64)

    def __init__(self, output):
        """A console whose guest output goes to `output(bytes)`."""
        super().__init__()
        self.output = output                 # called with the bytes the guest writes
        self.pending: deque[bytes] = deque() # host input not yet delivered

    def config(self) -> bytes:
        """The configuration space (5.3.4); no feature that uses it is offered."""
        return bytes(12)                     # cols, rows, max_nr_ports, emerg_wr: unused

    def reset(self) -> None:
        """A device reset: the negotiated features go; typed input not yet delivered stays
        for the driver that sets the device up again."""
        super().reset()

    def receive(self, data: bytes) -> None:
        """Host input for the guest: delivered now if it has posted buffers, else later."""
        self.pending.append(data)
        if self.transport is not None:
            self.transport.poll()

    def poll(self) -> None:
        """Hand pending host input to the buffers the driver offered on the receive queue."""
        q = self.queue(RECEIVEQ)
        if not q.ready or not self.pending:
            return
        delivered = False
        while self.pending:
            chain = q.pop(self.memory)
            if chain is None:
                break
            data = self.pending.popleft()
            room = chain.writable_size()
            if len(data) > room:
                self.pending.appendleft(data[room:])
                data = data[:room]
            chain.write(0, data)
            q.push(self.memory, chain, len(data))
            delivered = True
        if delivered:
            self.transport.used(RECEIVEQ)

    def notify(self, index: int) -> None:
        """A kick: on the transmit queue, print every buffer and hand it back; on the receive
        queue, deliver any pending input."""
        if index == RECEIVEQ:
            self.poll()
            return
        q = self.queue(TRANSMITQ)
        while (chain := q.pop(self.memory)) is not None:
            self.output(chain.read(0, chain.readable_size()))
            q.push(self.memory, chain, 0)
        self.transport.used(TRANSMITQ)
