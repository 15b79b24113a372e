"""Memory a connection costs the gateway (README "Capacity model"): the resident memory (VmRSS)
of a release `tsgate serve` with 0, then N idle keep-alive mutual-TLS connections open.

Prepares a demo directory with `tsgate demo` (certificates, configuration, seeded SQLite store)
and stops it, then runs `tsgate serve --config DIR/tsgate.toml` on it. Each connection is opened
with the demo region's client certificate (region 120), sends one `ElencoServizi` over
HTTP/1.1 keep-alive, reads the reply and then stays open and idle, as a caller's pooled
connection between two requests. VmRSS is read a few seconds after the last connection of each
step opened; the table gives, per step, (VmRSS_N - VmRSS_0) / N. Before VmRSS_0, 64 connections
each send one request and close, so the first figure already holds what the first requests
allocate once (caches, the store's connections, the runtime's threads).

    cargo build --release && python3 benches/load/connection_memory.py [--http2] [N ...]

With --http2 each connection is negotiated as HTTP/2 (ALPN `h2`) and its request is stream 1
(the frames written by hand here: a preface, SETTINGS, HEADERS in literal HPACK, DATA), then the
connection stays open and idle the same way.

N defaults to 1000 4000 (cumulative: the 4,000 include the first 1,000). The server's
`idle_timeout_ms` and `header_timeout_ms` are raised to 10 minutes for the run
(TSGATE_SERVER_IDLE_TIMEOUT_MS, TSGATE_SERVER_HEADER_TIMEOUT_MS: on HTTP/1.1 the shorter closes
an idle connection, 10 s by default), so that connections opened first are still open when the
last ones are; memory is not affected by them.
TSGATE_BIN names another binary. Standard library only.
"""

import asyncio
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TSGATE_BIN", str(ROOT / "target/release/tsgate"))
PORT = 18660
ADMIN_PORT = PORT + 1
OPENING_AT_ONCE = 64
QUOTA = {
    "TSGATE_THROTTLE_DEFAULT": "{per_second=1000000,burst=1000000}",
    "TSGATE_THROTTLE_CLIENTS": '{"region:120"={per_second=1000000,burst=1000000}}',
}


def prepare(work):
    """Runs the demo until it prints its banner: certificates, tsgate.toml and the store."""
    log_path = work / "demo.log"
    with open(log_path, "w") as log:
        demo = subprocess.Popen(
            [BIN, "demo", "--dir", str(work / "demo"), "--listen", f"127.0.0.1:{PORT}"],
            stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, TSGATE_LOG_LEVEL="warn",
                     TSGATE_SERVER_ADMIN_LISTEN=f"127.0.0.1:{ADMIN_PORT}"))
        try:
            for _ in range(1200):
                if re.search(r"metrics: http://", log_path.read_text()):
                    break
                if demo.poll() is not None:
                    raise SystemExit(f"the demo stopped:\n{log_path.read_text()}")
                time.sleep(0.1)
            else:
                raise SystemExit("the demo printed no banner")
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=60)
    return work / "demo"


def serve(work, demo_dir):
    env = dict(os.environ, TSGATE_LOG_LEVEL="warn",
               TSGATE_SERVER_LISTEN=f"127.0.0.1:{PORT}",
               TSGATE_SERVER_ADMIN_LISTEN=f"127.0.0.1:{ADMIN_PORT}",
               TSGATE_SERVER_IDLE_TIMEOUT_MS="600000",
               TSGATE_SERVER_HEADER_TIMEOUT_MS="600000", **QUOTA)
    log = open(work / "serve.log", "w")
    server = subprocess.Popen([BIN, "serve", "--config", str(demo_dir / "tsgate.toml")],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ADMIN_PORT}/health", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"tsgate serve stopped:\n{(work / 'serve.log').read_text()}")
            time.sleep(0.1)
    server.kill()
    raise SystemExit("tsgate serve did not become healthy")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def established():
    """Established TCP connections to the gateway's port (its side of them)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{PORT} )"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def h2_frame(kind, flags, stream, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([kind, flags])
            + stream.to_bytes(4, "big") + payload)


def hpack_int(value, prefix_bits, flags=0):
    top = (1 << prefix_bits) - 1
    if value < top:
        return bytes([flags | value])
    out, value = [flags | top], value - top
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def hpack_literal(name, value):
    """A header field as a literal without indexing, new name, no Huffman coding."""
    text = lambda s: hpack_int(len(s.encode()), 7) + s.encode()
    return b"\x00" + text(name) + text(value)


H2_DATA, H2_HEADERS, H2_SETTINGS, H2_PING, H2_GOAWAY = 0, 1, 4, 6, 7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


async def one_h2_request(context, body):
    """[`one_request`] over HTTP/2: ElencoServizi as stream 1, the reply read to its end."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", PORT, ssl=context, server_hostname="localhost")
    alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol()
    if alpn != "h2":
        raise SystemExit(f"the gateway did not negotiate h2 (ALPN {alpn!r})")
    headers = b"".join(hpack_literal(n, v) for n, v in [
        (":method", "POST"), (":scheme", "https"), (":path", "/ws/Servizi"),
        (":authority", f"localhost:{PORT}"), ("content-type", "text/xml; charset=utf-8"),
        ("content-length", str(len(body)))])
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(H2_SETTINGS, 0, 0)
                 + h2_frame(H2_HEADERS, END_HEADERS, 1, headers)
                 + h2_frame(H2_DATA, END_STREAM, 1, body))
    await writer.drain()
    reply = b""
    while True:
        head = await reader.readexactly(9)
        length, kind, flags = int.from_bytes(head[:3], "big"), head[3], head[4]
        stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        payload = await reader.readexactly(length)
        if kind == H2_SETTINGS and not flags & ACK:
            writer.write(h2_frame(H2_SETTINGS, ACK, 0))
        elif kind == H2_PING and not flags & ACK:
            writer.write(h2_frame(H2_PING, ACK, 0, payload))
        elif kind == H2_GOAWAY:
            raise SystemExit(f"the gateway sent GOAWAY: {payload!r}")
        elif kind == H2_DATA and stream == 1:
            reply += payload
        if stream == 1 and kind in (H2_HEADERS, H2_DATA) and flags & END_STREAM:
            break
    await writer.drain()
    if b"<ric:codEsito>0000<" not in reply:
        raise SystemExit(f"ElencoServizi did not answer 0000 over h2: {reply[:300]!r}")
    return reader, writer


async def one_request(context, request):
    """Opens a connection, sends one request and reads its reply; returns the open streams."""
    if HTTP2:
        return await one_h2_request(context, request)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", PORT, ssl=context, server_hostname="localhost")
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"unexpected reply: {head[:200]!r}")
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    if length:
        body = await reader.readexactly(int(length.group(1)))
    else:  # chunked
        body = await reader.readuntil(b"\r\n0\r\n\r\n")
    if b"<ric:codEsito>0000<" not in body:
        raise SystemExit(f"ElencoServizi did not answer 0000: {body[:300]!r}")
    return reader, writer


async def open_many(context, request, count, held):
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def opened():
        async with gate:
            return await one_request(context, request)

    held.extend(await asyncio.gather(*(opened() for _ in range(count))))


async def run(demo_dir, pid, steps):
    certs = demo_dir / "certs"
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(str(certs / "region-120.pem"), str(certs / "region-120-key.pem"))
    body = (demo_dir / "samples/ElencoServizi-region.xml").read_bytes()
    if HTTP2:
        context.set_alpn_protocols(["h2"])
        request = body
    else:
        request = (f"POST /ws/Servizi HTTP/1.1\r\nHost: localhost:{PORT}\r\n"
                   "Content-Type: text/xml; charset=utf-8\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    warm = []
    await open_many(context, request, OPENING_AT_ONCE, warm)
    for _, writer in warm:
        writer.close()
    await asyncio.sleep(3)
    base = rss_kib(pid)
    print(f"binary: {BIN}, {'HTTP/2' if HTTP2 else 'HTTP/1.1'}")
    print("| idle mTLS connections open | VmRSS KiB | (VmRSS_N - VmRSS_0) / N |")
    print("|---|---|---|")
    print(f"| 0 | {base} | - |")
    held = []
    for target in steps:
        await open_many(context, request, target - len(held), held)
        await asyncio.sleep(3)
        now = rss_kib(pid)
        open_now = established()
        print(f"| {open_now} (asked {target}) | {now} | "
              f"{(now - base) * 1024 / max(open_now, 1):,.0f} bytes |")
    for _, writer in held:
        writer.close()
    await asyncio.sleep(3)
    print(f"\nafter closing them all: VmRSS {rss_kib(pid)} KiB, {established()} open")


HTTP2 = "--http2" in sys.argv[1:]


def main():
    steps = sorted(int(n) for n in sys.argv[1:] if n != "--http2") or [1000, 4000]
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"{BIN} not found: cargo build --release")
    work = Path(tempfile.mkdtemp(prefix="tsgate-memory-bench-"))
    try:
        demo_dir = prepare(work)
        server = serve(work, demo_dir)
        try:
            asyncio.run(run(demo_dir, server.pid, steps))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
