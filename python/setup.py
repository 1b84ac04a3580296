"""Builds specjit's extension module `_specjit` with the repository's CMake
build and puts it beside specjit/__init__.py.

The build configures the repository root (the parent of this directory, or
SPECJIT_SOURCE_DIR) with tests and benchmarks off and builds only the
`_specjit` target. Environment:

  SPECJIT_CMAKE_BUILD_DIR  the CMake build tree (default: build-pip/ in the
                           source root, configured on first use); an
                           existing, configured tree (e.g. `build/` after
                           scripts/build.sh) is reused as is, so an install
                           only builds what is out of date.
  SPECJIT_CMAKE_ARGS       extra arguments for the configure step.
  CMAKE_BUILD_PARALLEL_LEVEL  build jobs (default 2).
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def source_dir():
    root = Path(os.environ.get("SPECJIT_SOURCE_DIR", HERE.parent)).resolve()
    if not (root / "CMakeLists.txt").is_file() or not (root / "lib" / "Engine").is_dir():
        sys.exit("specjit: %s is not the specjit source tree; build from a checkout "
                 "of the repository or set SPECJIT_SOURCE_DIR" % root)
    return root


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def run_cmake(self, args, cwd=None):
        print("specjit:", " ".join(shlex.quote(str(a)) for a in args), flush=True)
        subprocess.check_call([str(a) for a in args], cwd=cwd)

    def build_extension(self, ext):
        cmake = shutil.which("cmake")
        if not cmake:
            sys.exit("specjit: cmake is needed to build the extension (apt-get install cmake)")
        root = source_dir()
        build = os.environ.get("SPECJIT_CMAKE_BUILD_DIR")
        # By default a tree beside build/ (scripts/build.sh's): at the same
        # depth below the source root, its compiles hit the compiler cache
        # that build filled.
        build = Path(build).resolve() if build else root / "build-pip"
        # Fresh build trees hit the compiler cache when paths are relative
        # to the source root.
        os.environ.setdefault("CCACHE_BASEDIR", str(root))
        if not (build / "CMakeCache.txt").is_file():
            args = [cmake, "-S", root, "-B", build,
                    "-DCMAKE_BUILD_TYPE=Release",
                    "-DSPECJIT_BUILD_TESTS=OFF", "-DSPECJIT_BUILD_BENCH=OFF",
                    "-DSPECJIT_BUILD_PYTHON=ON",
                    "-DPython3_EXECUTABLE=" + sys.executable]
            if shutil.which("ninja"):
                args += ["-G", "Ninja"]
            for var, default in (("CC", "gcc-12"), ("CXX", "g++-12")):
                compiler = os.environ.get(var) or (default if shutil.which(default) else None)
                if compiler:
                    args.append("-DCMAKE_%s_COMPILER=%s" % ("C" if var == "CC" else "CXX", compiler))
            if Path("/usr/lib/llvm-19/lib/cmake/mlir").is_dir():
                args.append("-DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir")
            args += shlex.split(os.environ.get("SPECJIT_CMAKE_ARGS", ""))
            self.run_cmake(args)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        self.run_cmake([cmake, "--build", build, "--target", "_specjit", "-j", jobs])

        built = sorted((build / "python" / "specjit").glob("_specjit*.so"))
        if not built:
            sys.exit("specjit: the build produced no _specjit module in %s/python/specjit "
                     "(is pybind11-dev installed?)" % build)
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


setup(ext_modules=[CMakeExtension("specjit._specjit")], cmdclass={"build_ext": CMakeBuild})
