"""Builds a C program from exported kernels with the C compiler, linking
exactly what their headers' "link with:" lines name.

usage: export_link.py CC EXE DRIVER.c INCLUDE_DIR KERNEL.o... [-- CFLAGS...]
Every KERNEL.o has its header beside it (same stem, .h) in INCLUDE_DIR.
"""
import os
import re
import subprocess
import sys


def main(argv):
    flags = []
    if "--" in argv:
        i = argv.index("--")
        argv, flags = argv[:i], argv[i + 1:]
    cc, exe, driver, include, objects = argv[0], argv[1], argv[2], argv[3], argv[4:]
    libs = []
    for obj in objects:
        header = os.path.splitext(obj)[0] + ".h"
        with open(header) as f:
            m = re.search(r"^ \* link with: (.*)$", f.read(), re.M)
        if not m:
            sys.exit("%s: no 'link with:' line" % header)
        for lib in m.group(1).split():
            if lib not in libs:
                libs.append(lib)
    cmd = [cc, "-std=c99", "-Wall", "-Werror", "-I", include,
           *flags, driver, *objects, "-o", exe, *libs]
    print(" ".join(cmd))
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main(sys.argv[1:])
