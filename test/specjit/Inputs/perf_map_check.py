"""Runs `specjit run DESC --input CSV` with SPECJIT_PERF=1 and prints the
perf map lines (/tmp/perf-PID.map) that name its kernel, then removes the
file. The map's start and size fields must be hex."""
import os
import re
import subprocess
import sys

specjit, desc, csv = sys.argv[1:4]
proc = subprocess.Popen([specjit, "run", desc, "--input", csv],
                        stdout=subprocess.DEVNULL)
proc.wait()
path = "/tmp/perf-%d.map" % proc.pid
if proc.returncode != 0 or not os.path.exists(path):
    sys.exit("no perf map at %s (exit %d)" % (path, proc.returncode))
with open(path) as f:
    for line in f:
        start, size, name = line.rstrip("\n").split(" ", 2)
        int(start, 16), int(size, 16)
        if name.startswith("specjit_"):
            print("perf map:", name)
os.remove(path)
