//===- Kernel.cpp - Running kernels on caller buffers ---------------------===//
#include "Engine/KernelState.h"
#include "specjit/Kernel.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace specjit {
namespace jit {

llvm::StringRef backendName(Backend b) {
  return b == Backend::Jit ? "jit" : "interpreter";
}

static llvm::Error runError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Error Kernel::run(llvm::ArrayRef<Column> inputs, const Output &out) const {
  if (!state_)
    return runError("run: the kernel is empty");
  const KernelState &s = *state_;
  const std::vector<InputColumn> &decl = s.desc.inputs();
  if (inputs.size() != decl.size())
    return runError(llvm::formatv("run: expected {0} input columns, got {1}",
                                  decl.size(), inputs.size()));
  int64_t rows = inputs.empty() ? out.rows : inputs[0].rows;
  llvm::SmallVector<const void *, 16> args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Column &c = inputs[i];
    auto where = llvm::formatv("run: input {0} ('{1}')", i, decl[i].name).str();
    if (c.type != decl[i].type)
      return runError(where + ": expected a " + dtypeName(decl[i].type) +
                      " column, got " + dtypeName(c.type));
    if (c.rows != rows)
      return runError(llvm::formatv("{0}: has {1} rows but input 0 has {2}",
                                    where, c.rows, rows));
    if (rows < 0)
      return runError(where + ": negative row count");
    if (rows > 0 && !c.data)
      return runError(where + ": data pointer is null");
    if (c.type == DType::String) {
      if (rows > 0 && !c.offsets)
        return runError(where + ": offsets pointer is null");
      // Offsets are checked so a malformed column cannot make the kernel read
      // outside the caller's byte buffer from a negative length.
      if (rows > 0 && c.offsets[0] < 0)
        return runError(where + ": offsets[0] is negative");
      for (int64_t r = 0; r < rows; ++r)
        if (c.offsets[r + 1] < c.offsets[r])
          return runError(llvm::formatv("{0}: offsets decrease at row {1}",
                                        where, r));
      args.push_back(c.offsets);
    }
    args.push_back(c.data);
  }
  if (out.type != s.desc.outputType())
    return runError(llvm::Twine("run: output must be ") +
                    dtypeName(s.desc.outputType()) + ", got " +
                    dtypeName(out.type));
  if (out.cols != static_cast<int64_t>(s.desc.numOutputs()))
    return runError(llvm::formatv("run: output must have {0} columns, got {1}",
                                  s.desc.numOutputs(), out.cols));
  if (out.rows != rows)
    return runError(llvm::formatv(
        "run: output has {0} rows but the inputs have {1}", out.rows, rows));
  if (rows == 0)
    return llvm::Error::success();
  if (!out.data)
    return runError("run: output data pointer is null");

  KernelFn fn = s.compiled.load(std::memory_order_acquire);
  int64_t status = fn ? fn(args.data(), out.data, rows)
                      : s.interpreter->run(args.data(), out.data, rows);
  if (status < 0)
    return runError("run: out of memory for the interpreter's scratch space");
  if (status != 0)
    return runError(s.interpreter->describeFailure(args.data(), status - 1));
  return llvm::Error::success();
}

Backend Kernel::backend() const {
  return state_ && state_->compiled.load(std::memory_order_acquire)
             ? Backend::Jit
             : Backend::Interpreter;
}
Hash128 Kernel::hash() const { return state_->desc.hash(); }
double Kernel::compileMillis() const { return state_->compileMillis(); }
std::string Kernel::fallbackReason() const { return state_->fallbackReason(); }
bool Kernel::specialized() const { return state_->specialize; }
size_t Kernel::numInputs() const { return state_->desc.inputs().size(); }
size_t Kernel::numOutputs() const { return state_->desc.numOutputs(); }
const std::vector<std::string> &Kernel::outputNames() const {
  return state_->desc.outputNames();
}
DType Kernel::outputType() const { return state_->desc.outputType(); }
const Descriptor &Kernel::descriptor() const { return state_->desc; }

} // namespace jit
} // namespace specjit
