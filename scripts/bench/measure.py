#!/usr/bin/env python3
"""Runs one command and prints {"seconds": wall time, "max_rss_mb": its peak resident memory} as JSON (the child's
ru_maxrss, so the measurement covers the whole process: libraries, decoding, model).
  measure.py COMMAND [ARGS...]"""
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - start
if code != 0:
    sys.exit(f"measure.py: {' '.join(sys.argv[1:])} exited with {code}")
print(json.dumps({"seconds": seconds, "max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
