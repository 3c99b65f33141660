"""MLLP load for the ITI-8 patient identity feed: CONNECTIONS processes, one connection each,
send ADT^A01 messages with fresh patient ids back to back for SECONDS, each waiting for its ACK
(durable: the registry answers once the id is committed and its audit event recorded).
Prints one line: RESULT rps=... p50_ms=... p99_ms=... requests=... errors=...

  python3 tools/bench/mllp_load.py HOST:PORT AUTHORITY CONNECTIONS SECONDS
"""
import multiprocessing
import os
import socket
import sys
import time

VT, END = b"\x0b", b"\x1c\r"


def worker(address, authority, seconds, out):
    host, port = address.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tag = "%d-%d" % (os.getpid(), int(time.time() * 1000))
    latencies, errors, n = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        control = "%s-%d" % (tag, n)
        message = ("MSH|^~\\&|BENCH|BENCH|XDS_REGISTRY|XDS|20261207120000||ADT^A01^ADT_A01|%s|P|2.5\r"
                   "EVN|A01|20261207120000\rPID|||BENCH-%s^^^&%s&ISO||DOE^JANE\rPV1||O\r" % (control, control, authority))
        start = time.monotonic()
        s.sendall(VT + message.encode() + END)
        data = b""
        while not data.endswith(END):
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("the feed closed the connection")
            data += chunk
        latencies.append(time.monotonic() - start)
        if b"MSA|AA|" + control.encode() not in data:
            errors += 1
    s.close()
    out.put((latencies, errors))


def main():
    address, authority, connections, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(address, authority, seconds, out)) for _ in range(connections)]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join()
    latencies = sorted(l for r in results for l in r[0])
    errors = sum(r[1] for r in results)
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    print("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d" % (
        len(latencies) / elapsed, pick(0.5), pick(0.99), len(latencies), errors))


if __name__ == "__main__":
    main()
