//===- LLVMBackendTest.cpp - What kernels are compiled for, and how -------===//
//
// The target every kernel is compiled for (host CPU, small code model, PIC,
// the SPECJIT_TARGET_CPU override) and the linkage a kernel module gets
// before optimization: only the ABI's entry points stay external, and the
// row loop the entry calls once stays a function of its own.
//
//===----------------------------------------------------------------------===//

#include "Engine/LLVMBackend.h"
#include "Runtime/KernelABI.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include "gtest/gtest.h"

#include "ParseIR.h"

#include <cstdlib>
#include <optional>
#include <string>

using namespace specjit::engine;

namespace {

/// Sets an environment variable for the scope of a test, then restores it.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      previous = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (previous)
      ::setenv(name, previous->c_str(), 1);
    else
      ::unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> previous;
};

TEST(LLVMBackend, HostTargetIsSmallCodeModelPositionIndependent) {
  auto jtmb = hostTargetBuilder();
  ASSERT_TRUE(static_cast<bool>(jtmb)) << llvm::toString(jtmb.takeError());
  EXPECT_EQ(jtmb->getCodeModel(), llvm::CodeModel::Small);
  EXPECT_EQ(jtmb->getRelocationModel(), llvm::Reloc::PIC_);
  EXPECT_EQ(jtmb->getCPU(), llvm::sys::getHostCPUName().str());
}

TEST(LLVMBackend, TargetCPUOverrideIsUsedAndCheckedByName) {
  {
    ScopedEnv cpu("SPECJIT_TARGET_CPU", "haswell");
    auto tm = createHostTargetMachine(3);
    ASSERT_TRUE(static_cast<bool>(tm)) << llvm::toString(tm.takeError());
    EXPECT_EQ((*tm)->getTargetCPU(), "haswell");
    EXPECT_FALSE(hasAVX512(**tm));
  }
  {
    ScopedEnv cpu("SPECJIT_TARGET_CPU", "haswell");
    ScopedEnv features("SPECJIT_TARGET_FEATURES", "+avx512f");
    auto tm = createHostTargetMachine(3);
    ASSERT_TRUE(static_cast<bool>(tm)) << llvm::toString(tm.takeError());
    EXPECT_TRUE(hasAVX512(**tm));
  }
  ScopedEnv cpu("SPECJIT_TARGET_CPU", "no-such-cpu");
  auto tm = createHostTargetMachine(3);
  ASSERT_FALSE(static_cast<bool>(tm));
  std::string message = llvm::toString(tm.takeError());
  EXPECT_NE(message.find("SPECJIT_TARGET_CPU: 'no-such-cpu' is not a CPU of x86_64"),
            std::string::npos)
      << message;
}

TEST(LLVMBackend, ThreadTargetMachineIsMadeOncePerLevel) {
  auto a = threadHostTargetMachine(3);
  ASSERT_TRUE(static_cast<bool>(a)) << llvm::toString(a.takeError());
  auto b = threadHostTargetMachine(3);
  ASSERT_TRUE(static_cast<bool>(b)) << llvm::toString(b.takeError());
  auto c = threadHostTargetMachine(1);
  ASSERT_TRUE(static_cast<bool>(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(&*a, &*b);
  EXPECT_NE(&*a, &*c);
  EXPECT_EQ(c->getOptLevel(), llvm::CodeGenOptLevel::Less);
}

// The shape the lowering leaves: an entry calling its row loop once, a
// helper called twice, an always-inline one, a table, the state size.
constexpr const char *kKernelModule = R"IR(
@table = global [2 x double] [double 1.0, double 2.0]

define i64 @specjit_state_bytes() {
  ret i64 0
}

define double @helper(double %x) {
  %y = fmul double %x, 2.0
  ret double %y
}

define double @inlined(double %x) alwaysinline {
  %y = fadd double %x, 1.0
  ret double %y
}

define i64 @specjit_kernel_body(ptr %out, i64 %n) {
  %t = load double, ptr @table
  %a = call double @helper(double %t)
  %b = call double @helper(double %a)
  %c = call double @inlined(double %b)
  store double %c, ptr %out
  ret i64 0
}

define i64 @specjit_kernel(ptr %args, ptr %out, i64 %n) {
  %r = call i64 @specjit_kernel_body(ptr %out, i64 %n)
  ret i64 %r
}
)IR";

TEST(LLVMBackend, KernelLinkageKeepsOnlyTheEntryPointsExternal) {
  llvm::LLVMContext ctx;
  auto m = specjit_test::parseIR(ctx, kKernelModule);
  ASSERT_TRUE(m);
  setKernelLinkage(*m);
  EXPECT_FALSE(m->getFunction(specjit::kKernelEntryName)->hasLocalLinkage());
  EXPECT_FALSE(m->getFunction(specjit::kStateBytesName)->hasLocalLinkage());
  for (const char *name : {"helper", "inlined", "specjit_kernel_body"})
    EXPECT_TRUE(m->getFunction(name)->hasLocalLinkage()) << name;
  EXPECT_TRUE(m->getNamedGlobal("table")->hasLocalLinkage());
  // Only the row loop, called once and from the entry, is kept out of line.
  EXPECT_TRUE(m->getFunction("specjit_kernel_body")->hasFnAttribute(llvm::Attribute::NoInline));
  EXPECT_FALSE(m->getFunction("helper")->hasFnAttribute(llvm::Attribute::NoInline));
  EXPECT_FALSE(m->getFunction("inlined")->hasFnAttribute(llvm::Attribute::NoInline));
}

// Loops as the lowering's scf.for loops reach LLVM: counted up to an
// invariant bound by 1 and by 256; one counted down and one with an
// unsigned test are left alone.
constexpr const char *kLoops = R"IR(
define void @loops(ptr %p, i64 %n) {
entry:
  br label %h1
h1:
  %i = phi i64 [ 0, %entry ], [ %i.next, %b1 ]
  %c1 = icmp slt i64 %i, %n
  br i1 %c1, label %b1, label %h2.pre
b1:
  store i64 %i, ptr %p
  %i.next = add i64 %i, 1
  br label %h1
h2.pre:
  br label %h2
h2:
  %j = phi i64 [ 0, %h2.pre ], [ %j.next, %b2 ]
  %c2 = icmp slt i64 %j, %n
  br i1 %c2, label %b2, label %h3.pre
b2:
  %j.next = add i64 %j, 256
  br label %h2
h3.pre:
  br label %h3
h3:
  %k = phi i64 [ %n, %h3.pre ], [ %k.next, %b3 ]
  %c3 = icmp sgt i64 %k, 0
  br i1 %c3, label %b3, label %h4.pre
b3:
  %k.next = add i64 %k, -1
  br label %h3
h4.pre:
  br label %h4
h4:
  %u = phi i64 [ 0, %h4.pre ], [ %u.next, %b4 ]
  %c4 = icmp ult i64 %u, %n
  br i1 %c4, label %b4, label %done
b4:
  %u.next = add i64 %u, 1
  br label %h4
done:
  ret void
}
)IR";

TEST(LLVMBackend, CountedLoopIncrementsAreMarkedNoSignedWrap) {
  llvm::LLVMContext ctx;
  auto m = specjit_test::parseIR(ctx, kLoops);
  ASSERT_TRUE(m);
  markCountedLoops(*m);
  auto increment = [&](const char *name) {
    for (llvm::Instruction &i : llvm::instructions(*m->getFunction("loops")))
      if (i.getName() == name)
        return llvm::cast<llvm::BinaryOperator>(&i);
    return static_cast<llvm::BinaryOperator *>(nullptr);
  };
  EXPECT_TRUE(increment("i.next")->hasNoSignedWrap());
  EXPECT_TRUE(increment("j.next")->hasNoSignedWrap());
  EXPECT_FALSE(increment("k.next")->hasNoSignedWrap());
  EXPECT_FALSE(increment("u.next")->hasNoSignedWrap());
  EXPECT_FALSE(increment("i.next")->hasNoUnsignedWrap());
}

} // namespace
