#!/usr/bin/env python3
# A unix-socket proxy in front of the real engine that re-cuts the
# multiplexed frames of finished log streams (GET .../logs without
# follow=1): each run of one stream's bytes is cut again into frames of
# random sizes, from 0 and 1 byte to more than 64 KiB (the engine itself
# never sends frames above 32 KiB, nor empty ones), and the body is sent in
# random-sized HTTP chunks with pauses, so reads split frames and headers
# anywhere. The bytes of each stream stay the same, so a client that
# demultiplexes correctly across frame and read boundaries prints exactly
# what it prints without the proxy. With timestamps=1 the frames are kept
# (each starts with its entry's time) and only the reads are re-cut. Every
# other request is relayed untouched. Used by tests/t0060-logs-streams.sh.
#
#   reframe-proxy.py LISTEN_SOCKET [ENGINE_SOCKET] [SEED]
import os
import random
import socket
import sys
import threading
import time

listen_path = sys.argv[1]
upstream = sys.argv[2] if len(sys.argv) > 2 else "/var/run/docker.sock"
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
lock = threading.Lock()


def read_head(s, buf=b""):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    i = buf.index(b"\r\n\r\n")
    return buf[:i], buf[i + 4:]


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_all(s, rest):
    out = [rest]
    while True:
        d = s.recv(65536)
        if not d:
            return b"".join(out)
        out.append(d)


def dechunk(data):
    out, i = [], 0
    while True:
        j = data.index(b"\r\n", i)
        n = int(data[i:j].split(b";")[0], 16)
        if n == 0:
            return b"".join(out)
        out.append(data[j + 2:j + 2 + n])
        i = j + 2 + n + 2


def runs(body):
    """[(stream, bytes)] with consecutive frames of a stream joined; None
    when body is not multiplexed (a TTY container's raw log)"""
    res, i = [], 0
    while i < len(body):
        if len(body) - i < 8 or body[i] > 3 or body[i + 1:i + 4] != b"\0\0\0":
            return None
        st, n = body[i], int.from_bytes(body[i + 4:i + 8], "big")
        if i + 8 + n > len(body):
            return None
        p = body[i + 8:i + 8 + n]
        if res and res[-1][0] == st:
            res[-1][1].extend(p)
        else:
            res.append((st, bytearray(p)))
        i += 8 + n
    return res


def size():
    with lock:
        k = rng.random()
        if k < 0.1:
            return 0
        if k < 0.4:
            return rng.randint(1, 9)
        if k < 0.6:
            return rng.randint(10, 4000)
        return rng.randint(33 * 1024, 80 * 1024)


def reframe(body):
    out = bytearray()
    rs = runs(body)
    if rs is None:
        return body
    for st, data in rs:
        i = 0
        while i < len(data):
            n = min(size(), len(data) - i)
            out += bytes([st, 0, 0, 0]) + n.to_bytes(4, "big") + data[i:i + n]
            i += n
    return bytes(out)


def handle(c):
    try:
        head, rest = read_head(c)
        if head is None:
            return
        clen = int(header(head, b"content-length") or 0)
        while len(rest) < clen:
            d = c.recv(65536)
            if not d:
                break
            rest += d
        lines = [l for l in head.split(b"\r\n")
                 if not l.lower().startswith(b"connection:")]
        lines.append(b"Connection: close")
        u = socket.socket(socket.AF_UNIX)
        u.connect(upstream)
        u.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
        target = lines[0].split(b" ")[1]
        if b"/logs?" in target and b"follow=1" not in target:
            rhead, rrest = read_head(u)
            body = read_all(u, rrest)
            if rhead.split(b" ")[1] == b"200":
                if header(rhead, b"transfer-encoding") == b"chunked":
                    body = dechunk(body)
                if b"timestamps=1" not in target:
                    body = reframe(body)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                i = 0
                while i < len(body):
                    with lock:
                        n = rng.choice([rng.randint(1, 12), rng.randint(13, 4000),
                                        rng.randint(4001, 70000)])
                    part = body[i:i + n]
                    c.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                    i += n
                    if n < 5000:
                        time.sleep(0.002)
                c.sendall(b"0\r\n\r\n")
            else:
                c.sendall(rhead + b"\r\n\r\n" + body)
        else:
            while True:
                d = u.recv(65536)
                if not d:
                    break
                c.sendall(d)
        u.close()
    except (OSError, ValueError) as e:
        sys.stderr.write("reframe-proxy: %s\n" % e)
    finally:
        c.close()


try:
    os.unlink(listen_path)
except FileNotFoundError:
    pass
ls = socket.socket(socket.AF_UNIX)
ls.bind(listen_path)
ls.listen(16)
while True:
    conn, _ = ls.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
