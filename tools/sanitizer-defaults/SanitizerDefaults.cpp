//===- SanitizerDefaults.cpp - Run-time options of the sanitizer builds ---===//
//
// Linked into every executable of a sanitizer build (SPECJIT_SANITIZER,
// CMakeLists.txt), so that a test binary, specjit or a fuzzer started by
// hand, by ctest or by lit runs with the same options. The sanitizers call
// these hooks at start-up; the *SAN_OPTIONS environment variables are parsed
// after them and override them. Why each option is needed:
// docs/reliability.md, "Sanitizers".
//
//===----------------------------------------------------------------------===//

#ifndef __has_feature
#define __has_feature(x) 0
#endif

extern "C" {

#if __has_feature(address_sanitizer)
/// allow_user_poisoning=0: the allocators that LLVM's headers define inline
/// (BumpPtrAllocator, Recycler) poison and unpoison their memory only when
/// the including code is compiled with ASan. specjit's code is, Debian's
/// MLIR archives are not, and the linker keeps one copy of each inline
/// function for both: a slab poisoned by specjit's copy of StartNewSlab()
/// is then handed out by MLIR's uninstrumented inline Allocate(), which
/// never unpoisons it, and the next instrumented access or libc interceptor
/// (memcpy) reports use-after-poison in memory that is in fact allocated.
/// Ignoring manual poisoning keeps every other check (heap, stack, globals,
/// leaks).
const char *__asan_default_options() { return "allow_user_poisoning=0:detect_leaks=1"; }
/// Undefined behaviour is fatal (-fno-sanitize-recover=undefined); say where.
const char *__ubsan_default_options() { return "print_stacktrace=1"; }
#endif

#if __has_feature(thread_sanitizer)
/// The suppressions file lists the reports inside Debian's uninstrumented
/// LLVM, one reason per entry.
const char *__tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:suppressions=" SPECJIT_TSAN_SUPPRESSIONS;
}
#endif

} // extern "C"
