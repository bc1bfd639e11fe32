#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bridge_flood.py IFACE COUNT: COUNT Ethernet frames, each from a random
source MAC (unicast, locally administered) to a random unicast
destination, built with scapy and sent on IFACE through an AF_PACKET
socket (scapy's own sendp() is too slow for a few hundred thousand).
Prints how many were sent."""
import random
import socket
import sys

from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP


def mac(rng):
    b = [rng.randrange(256) for _ in range(6)]
    b[0] = (b[0] & 0xFC) | 0x02  # unicast, locally administered
    return ":".join(f"{x:02x}" for x in b)


def main():
    iface, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(42)
    # One template, then only the MACs change: building 200,000 scapy
    # packets whole would take longer than the test.
    tmpl = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                 IP(src="10.78.9.1", dst="10.78.9.2") / UDP(sport=9, dport=9) / (b"x" * 18))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent = 0
    for _ in range(count):
        dst = bytes.fromhex(mac(rng).replace(":", ""))
        src = bytes.fromhex(mac(rng).replace(":", ""))
        try:
            s.send(dst + src + tmpl[12:])
            sent += 1
        except BlockingIOError:
            pass
        except OSError as e:  # ENOBUFS: the tap's queue is full for a moment
            if e.errno != 105:
                raise
    print(sent)


main()
