# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "specjit"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.specjit_obj_root, "test")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt",
                   "reference", "schema", "Inputs"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
# The driver must not inherit a caller's switch, nor read or fill the
# user's persistent cache: it gets one under the build tree (tests of the
# cache itself set their own).
config.environment.pop("SPECJIT_SPECIALIZE", None)
for var in ("SPECJIT_CACHE", "SPECJIT_CACHE_MAX_MB", "XDG_CACHE_HOME"):
    config.environment.pop(var, None)
config.environment["SPECJIT_CACHE_DIR"] = os.path.join(config.test_exec_root, "specjit-cache")
llvm_config.use_default_substitutions()

tool_dirs = [config.specjit_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["specjit-opt", "specjit", "FileCheck", "not", "count"],
                                   tool_dirs)
config.substitutions.append(("%examples", os.path.join(config.specjit_src_root, "examples")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "specjit", "Inputs")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%cxx", config.cxx_compiler))
# libspecjit_rt.a, which exported kernels with long series windows link.
config.substitutions.append(("%specjit_libdir", os.path.join(config.specjit_obj_root, "lib")))
config.substitutions.append(("%sanitizer_link_flags", config.sanitizer_link_flags))
import shutil
if shutil.which("gdb"):
    config.available_features.add("gdb")
