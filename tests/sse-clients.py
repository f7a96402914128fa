#!/usr/bin/env python3
# sse-clients.py HOST:PORT PATH TOKEN N [hold SECONDS]
# N SSE clients of chat-serve in one process (N curls would need hundreds
# of MB): each subscribes (waits for the stream's ": hello"), then "open"
# is printed; with hold it sits idle for SECONDS (the RSS figure), else it
# reads until every client has seen an end event and prints how many
# distinct delta texts they got (1 when all saw every delta), how many got
# none, and the md5 of the text.
import socket, sys, select, re, json
host, port = sys.argv[1].rsplit(':', 1)
path, tok, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
hold = float(sys.argv[6]) if len(sys.argv) > 6 else 0
socks = []
for i in range(n):
    s = socket.create_connection((host, int(port)))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {tok}\r\n\r\n".encode())
    socks.append(s)
bufs = {s: b"" for s in socks}
def hello(s): return b": hello" in bufs[s]
def dechunk(b):
    """The body of a chunked response, as far as it has come."""
    body = b.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in b else b""
    out = b""
    while body:
        line, sep, rest = body.partition(b"\r\n")
        if not sep: break
        size = int(line, 16)
        out += rest[:size]; body = rest[size + 2:]
        if size == 0: break
    return out
# wait until every one is subscribed
while not all(hello(s) for s in socks):
    r, _, _ = select.select(socks, [], [], 30)
    if not r: break
    for s in r:
        bufs[s] += s.recv(65536)
print("open", flush=True)
if hold:
    import time; time.sleep(hold); sys.exit(0)
done = set()
while len(done) < n:
    r, _, _ = select.select([s for s in socks if s not in done], [], [], 60)
    if not r: break
    for s in r:
        d = s.recv(65536)
        if not d: done.add(s); continue
        bufs[s] += d
        # "incomplete" is in the end event (and the records after it)
        if b"ncomplete" in bufs[s][-400:] and \
                re.search(rb'event: end\ndata: [^\n]*\n\n', dechunk(bufs[s])):
            done.add(s)
texts = []
for s in socks:
    b = dechunk(bufs[s]).decode()
    texts.append("".join(json.loads(m)["text"] for m in re.findall(r'event: delta\ndata: (.*)\n', b)))
print("clients", n, "distinct", len(set(texts)), "empty", sum(1 for t in texts if not t))
import hashlib; print("md5", hashlib.md5(texts[0].encode()).hexdigest())
