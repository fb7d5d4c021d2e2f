"""Loopback ports of the stack: outside Linux's ephemeral range, and who holds a taken one.

Linux hands out source ports of outbound connections from net.ipv4.ip_local_port_range
(32768-60999 by default): a server port inside it can be taken at random by any client on the
machine (seen: the stack's Postgres port held in TIME-WAIT by a load generator's connection).
"""

from __future__ import annotations

import socket
from pathlib import Path

from stack.errors import StackError

PROC_NET = Path("/proc/net")
RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
RESERVED_FILE = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
# /proc/net/tcp socket states (include/net/tcp_states.h)
LISTEN = "0A"
STATES = {"01": "ESTABLISHED", "06": "TIME-WAIT", "08": "CLOSE-WAIT", "0A": "LISTEN"}


def ephemeral_range(path: Path = RANGE_FILE) -> tuple[int, int]:
    """Return the kernel's (first, last) ephemeral port; Linux's default if unreadable."""
    try:
        first, last = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return first, last


def reserved_ports(path: Path = RESERVED_FILE) -> set[int]:
    """Return the ports excluded from the ephemeral range (ip_local_reserved_ports)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return set()
    ports: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        ports.update(range(int(first), int(last or first) + 1))
    return ports


def refuse_ephemeral(ports: dict[str, int]) -> None:
    """Raise naming the first port that any outbound connection could take."""
    first, last = ephemeral_range()
    reserved = reserved_ports()
    for name, port in ports.items():
        if first <= port <= last and port not in reserved:
            raise StackError(
                f"port {port} ({name}) lies in Linux's ephemeral range {first}-{last} "
                f"({RANGE_FILE}): any outbound connection can take it; choose a port below {first}"
            )


def port_free(port: int, host: str) -> bool:
    """Tell whether a server could bind host:port now."""
    with socket.socket() as sock:
        # Ignore TIME_WAIT leftovers of a server that just stopped; a listener still fails.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def socket_states(port: int, proc_net: Path = PROC_NET) -> list[str]:
    """Return the TCP states of every socket whose local port is port (IPv4 and IPv6)."""
    states = []
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc_net / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rpartition(":")[2], 16)
            if local_port == port:
                states.append(STATES.get(fields[3], fields[3]))
    return states


def describe_holder(port: int, proc_net: Path = PROC_NET) -> str:
    """Say what holds a taken port: a listener, or only client connections that will go."""
    states = socket_states(port, proc_net)
    if "LISTEN" in states:
        return "another server listens on it"
    if states:
        seen = ", ".join(sorted(set(states)))
        return (
            f"not a listener: an outbound connection uses it as its source port ({seen}); "
            "it frees itself within a minute, or choose a port below the ephemeral range"
        )
    return "the kernel refuses the bind"
