#!/usr/bin/env python3
"""A bounded load client for the zero-downtime tests.

    load.py URL SECONDS OUTFILE [STOPFILE]

Sends requests back to back (one connection each, 2 s timeout) for
SECONDS, or until STOPFILE exists, and writes a summary to OUTFILE:
    total N
    failed N
    body <text> N        (one line per distinct 200 body)
    error <what> N       (one line per distinct failure)
Exit status 0 always; the test reads the file.
"""
import collections
import os
import sys
import time
import urllib.error
import urllib.request

url, seconds, outfile = sys.argv[1], float(sys.argv[2]), sys.argv[3]
stopfile = sys.argv[4] if len(sys.argv) > 4 else None
bodies = collections.Counter()
errors = collections.Counter()
total = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    if stopfile and os.path.exists(stopfile):
        break
    total += 1
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = r.read().decode("utf-8", "replace").strip()
            if r.status == 200:
                bodies[body] += 1
            else:
                errors["status %d" % r.status] += 1
    except urllib.error.HTTPError as e:
        errors["status %d" % e.code] += 1
    except Exception as e:  # connection reset/refused, timeout
        errors[type(e).__name__ + ": " + str(e)[:80]] += 1
with open(outfile + ".tmp", "w") as f:
    f.write("total %d\n" % total)
    f.write("failed %d\n" % sum(errors.values()))
    for b, n in sorted(bodies.items()):
        f.write("body %s %d\n" % (b, n))
    for e, n in sorted(errors.items()):
        f.write("error %s %d\n" % (e, n))
os.rename(outfile + ".tmp", outfile)
