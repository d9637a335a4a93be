#!/usr/bin/env python3
# Drive `nextdeploy exec -it` through a pseudo-terminal, as a person would.
# Used by tests/t0064-exec-tty.sh.
#
#   pty-exec.py SCENARIO [ARG]
#
# In the current folder, a shell on the pty's slave side (its controlling
# terminal, 20 rows x 70 columns at start) runs
#     stty -g >before; $ND_BIN exec -it -- sh 2>nd.err; echo $? >rc; stty -g >after
# and this script plays SCENARIO on the master side:
#   session        type, check the remote echo (once: the local terminal is
#                  raw), Ctrl-C reaches the remote, stty size follows a
#                  resize, then `exit 3`
#   eof            Ctrl-D ends the remote shell
#   signal SIG     SIGTERM/SIGHUP/SIGINT to nextdeploy in the middle
#   kill CONTAINER the container is removed in the middle (docker rm -f)
# The transcript goes to transcript.txt; a failed step prints "FAIL ..."
# and exits 1. The shell test then checks rc, before/after and nd.err.
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

scenario = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else None
script = 'stty -g >before; "$ND_BIN" exec -it -- sh 2>nd.err; echo $? >rc; stty -g >after'

master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 70, 0, 0))


def controlling_tty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


shell = subprocess.Popen(["sh", "-c", script], stdin=slave, stdout=slave,
                         stderr=slave, preexec_fn=controlling_tty,
                         close_fds=True)
os.close(slave)
buf = b""
pos = 0
failed = False


def pump(timeout):
    global buf
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return True
    try:
        d = os.read(master, 65536)
    except OSError:
        d = b""
    if not d:
        return False
    buf += d
    return True


def expect(pat, timeout=15):
    """wait for pat after what earlier expects matched"""
    global pos
    end = time.time() + timeout
    while pat not in buf[pos:]:
        left = end - time.time()
        if left <= 0 or not pump(left):
            fail("did not see %r" % pat)
            return False
    pos = buf.index(pat, pos) + len(pat)
    return True


def fail(msg):
    global failed
    failed = True
    print("FAIL " + msg)


def send(b):
    os.write(master, b)


def nd_pid():
    """nextdeploy: the shell's child"""
    for _ in range(100):
        try:
            with open("/proc/%d/task/%d/children" % (shell.pid, shell.pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.05)
    return None


def finish():
    end = time.time() + 20
    while shell.poll() is None and time.time() < end:
        pump(0.1)
    while pump(0.1):
        if not select.select([master], [], [], 0)[0]:
            break
    if shell.poll() is None:
        fail("the shell did not end")
        shell.kill()
    with open("transcript.txt", "wb") as f:
        f.write(buf)


if expect(b"# "):
    if scenario == "session":
        # typed once, echoed once by the remote terminal (none locally)
        send(b"echo abc''def-$((40+2))\r")
        if expect(b"abcdef-42"):
            if buf.count(b"echo abc''def") != 1:
                fail("the typed line was echoed %d times" % buf.count(b"echo abc''def"))
        send(b"stty size\r")
        expect(b"20 70")
        # Ctrl-C goes to the remote shell, not to nextdeploy
        send(b"sleep 30\r")
        expect(b"sleep 30")
        time.sleep(0.3)
        t = time.time()
        send(b"\x03")
        send(b"echo after-$((6*7))\r")
        if expect(b"after-42", 5) and time.time() - t > 4:
            fail("Ctrl-C did not interrupt the remote sleep")
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        time.sleep(0.5)
        send(b"stty size\r")
        expect(b"33 101")
        send(b"exit 3\r")
    elif scenario == "eof":
        send(b"\x04")
    elif scenario == "signal":
        pid = nd_pid()
        if pid is None:
            fail("no nextdeploy process")
        else:
            os.kill(pid, getattr(signal, arg))
    elif scenario == "kill":
        subprocess.run(["docker", "rm", "-f", arg], stdout=subprocess.DEVNULL)
    else:
        fail("unknown scenario " + scenario)
finish()
sys.exit(1 if failed else 0)
