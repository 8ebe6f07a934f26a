#!/usr/bin/env python3
"""Delays every frame between two network interfaces by a fixed time, both ways.

    python3 tools/bench/link-delay.py <interface-a> <interface-b> <delay-ms>

A stand-in for `tc qdisc ... netem delay` on kernels built without sch_netem (this machine's
is): run inside a network namespace holding two veth ends, it forwards every Ethernet frame
that arrives on one to the other `delay-ms` later, in order. `NatTopology` puts one between a
router's WAN interface and the public side, so that link is slower each way. Frames keep
their virtio-net header (PACKET_VNET_HDR), so partial checksums and TCP segmentation offload
pass through untouched. Node has no AF_PACKET sockets, hence Python (standard library only).
Runs until killed.
"""
import collections
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4


def open_raw(interface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((interface, 0))
    sock.setblocking(False)
    return sock


def main():
    name_a, name_b, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    delay = delay_ms / 1000
    a, b = open_raw(name_a), open_raw(name_b)
    other = {a: b, b: a}
    # Frames waiting for their time, per direction, oldest first: (due, frame).
    waiting = {a: collections.deque(), b: collections.deque()}
    while True:
        now = time.monotonic()
        for out, queue in waiting.items():
            while queue and queue[0][0] <= now:
                try:
                    out.send(queue.popleft()[1])
                except OSError:
                    pass  # the link is down (a test cut it) or the frame is refused: dropped
        due = [queue[0][0] for queue in waiting.values() if queue]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        for sock in readable:
            while True:
                try:
                    frame, address = sock.recvfrom(70000)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # the interface went down
                if address[2] == PACKET_OUTGOING:
                    continue  # what this process sent out of it
                waiting[other[sock]].append((time.monotonic() + delay, frame))


if __name__ == '__main__':
    main()
