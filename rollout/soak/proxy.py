"""A TCP proxy with switchable latency: the soak's slow database (no toxiproxy wheel ships one).

`python -m rollout.soak.proxy LISTEN_PORT UPSTREAM_PORT DELAY_MS` forwards 127.0.0.1:LISTEN to
127.0.0.1:UPSTREAM. SIGUSR1 delays every chunk, both ways, by DELAY_MS; SIGUSR2 stops delaying.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

HOST = "127.0.0.1"
CHUNK = 65536


class LatencyProxy:
    """Forward connections to an upstream port, optionally delaying every chunk."""

    def __init__(self, upstream: int, delay_s: float) -> None:
        self.upstream, self.delay_s = upstream, delay_s
        self.slow = False

    async def pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction until EOF, sleeping before each chunk while slow."""
        try:
            while data := await reader.read(CHUNK):
                if self.slow:
                    await asyncio.sleep(self.delay_s)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass  # the other side went away (a Postgres restart): close both
        finally:
            writer.close()

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        """Connect to the upstream and pump both ways; a refused upstream closes the client."""
        try:
            up_r, up_w = await asyncio.open_connection(HOST, self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(self.pump(client_r, up_w), self.pump(up_r, client_w))


async def serve(listen: int, upstream: int, delay_ms: float) -> None:
    """Serve until SIGTERM or SIGINT; SIGUSR1 and SIGUSR2 switch the latency on and off."""
    proxy = LatencyProxy(upstream, delay_ms / 1000)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(proxy, "slow", True))
    loop.add_signal_handler(signal.SIGUSR2, lambda: setattr(proxy, "slow", False))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(proxy.handle, HOST, listen)
    print("ready", flush=True)  # the parent waits for this line
    async with server:
        await stop.wait()


def main(argv: list[str]) -> int:
    """Parse LISTEN UPSTREAM DELAY_MS and serve."""
    if len(argv) != 3:
        print("usage: python -m rollout.soak.proxy LISTEN UPSTREAM DELAY_MS", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(int(argv[0]), int(argv[1]), float(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
