#!/usr/bin/python3
"""delay-relay.py LISTEN-ADDR LISTEN-PORT UPSTREAM-ADDR UPSTREAM-PORT DELAY-MS LIFETIME-S

A TCP relay that delays every answer: bytes from the upstream (the server) reach the client
DELAY-MS after they arrived at the relay; bytes from the client go through at once. The kernel
of the test machine has no netem, so the benchmark's "slow S3" scenario puts this in front of
the S3 front of tests/vpc (a DNAT rule in the svc namespace sends port 443 here). Delays are
per chunk, pipelined (a chunk waits DELAY-MS after its own arrival, not after the previous
chunk's), so throughput is unchanged and each request/response round trip costs DELAY-MS more.
The relay exits by itself after LIFETIME-S seconds. Only the standard library.
"""
import asyncio
import sys


async def pump(loop, reader, writer, delay):
    """Copies reader to writer; each chunk is written `delay` seconds after it was read."""
    queue = asyncio.Queue()

    async def read_side():
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    await asyncio.gather(read_side(), write_side())


async def main():
    laddr, lport, uaddr, uport, delay_ms, lifetime = sys.argv[1:7]
    delay = int(delay_ms) / 1000.0
    loop = asyncio.get_running_loop()

    async def handle(creader, cwriter):
        try:
            ureader, uwriter = await asyncio.open_connection(uaddr, int(uport))
        except OSError:
            cwriter.close()
            return
        try:
            await asyncio.gather(pump(loop, creader, uwriter, 0.0),
                                 pump(loop, ureader, cwriter, delay))
        finally:
            for w in (uwriter, cwriter):
                w.close()

    server = await asyncio.start_server(handle, laddr, int(lport), reuse_address=True)
    print(f"relay {laddr}:{lport} -> {uaddr}:{uport}, answers delayed {delay_ms} ms", flush=True)
    async with server:
        await asyncio.sleep(float(lifetime))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
