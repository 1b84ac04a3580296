//===- Family.h - What every descriptor family implements -------*- C++ -*-===//
//
// Internal. A descriptor family (pipeline, series, rules, model, train, eval)
// is one jit::Family: its name, its parser (validation, analysis and the
// canonical text), what the Descriptor accessors read from its spec, its
// interpreter, its import into the spec dialect, and the traits where the
// engine and the driver treat families differently (RunShape, the pipeline
// in front of it). Each family implements it in
// lib/Families/<Family>/<Family>Family.cpp, beside the rest of its code;
// Families.def is the registry, and everything that used to switch on the
// kind asks the family instead (docs/architecture.md, "Families").
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_FAMILY_H
#define SPECJIT_LIB_FAMILIES_FAMILY_H

#include "specjit/Descriptor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace specjit {
namespace interp {
class Interpreter;
} // namespace interp

namespace jit {

struct PipelineSpec;

class Family {
public:
  Family(Kind kind, llvm::StringRef name) : kind_(kind), name_(name) {}
  virtual ~Family();
  Family(const Family &) = delete;
  Family &operator=(const Family &) = delete;

  Kind kind() const { return kind_; }
  /// The `kind` spelling ("pipeline", ...).
  llvm::StringRef name() const { return name_; }

  //===--- The descriptor -------------------------------------------------===//

  /// Validates and analyzes a document of this kind whose header
  /// (`specjit`, `kind`) is already checked, and writes its canonical text
  /// (DescriptorParser::make). Every error names the JSON path of the fault.
  virtual llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const = 0;

  /// What the Descriptor accessors of the same names return.
  virtual const std::string &name(const Descriptor &d) const = 0;
  virtual const std::vector<std::string> &outputNames(const Descriptor &d) const = 0;
  virtual DType outputType(const Descriptor &d) const = 0;
  virtual const std::vector<InputColumn> &inputs(const Descriptor &d) const = 0;
  virtual llvm::StringRef outputNoun() const { return "outputs"; }
  virtual RunShape runShape() const = 0;
  /// Descriptor::summary(): the family's lines for `specjit info`.
  virtual std::string summary(const Descriptor &d) const = 0;

  /// The feature pipeline in front of the family's computation, whose data
  /// checks (one_hot with unknown: "error") a run makes over every row
  /// first: the pipeline itself, a model's or a training's preprocessing;
  /// null for the families without one.
  virtual const PipelineSpec *featurePipeline(const Descriptor &) const { return nullptr; }

  /// Whether the kernel computes exp, log, log1p, pow or tanh anywhere
  /// (links and activations included): where compiled code may call a
  /// vector math library, whose results can differ from the C library's
  /// scalar functions in the last bits, so the JIT agrees with the
  /// interpreter within a few ulp instead of bit for bit. By default: the
  /// feature pipeline's log / log1p steps and expressions.
  virtual bool callsTranscendentals(const Descriptor &d) const;

  /// Whether the kernel runs as fast after LLVM's lean pass pipeline as
  /// after the full -O2/-O3 one (lib/Engine/LLVMBackend.h, "lean"): row loops
  /// whose speed comes from the lowering's own shapes (constants folded,
  /// branch-free selects, interleaved stores) and the loop vectorizer, at
  /// a third to half of the optimizer's time. A family says yes only for
  /// kernels measured to run as fast (docs/benchmarks.md, "Compile
  /// latency"); by default no.
  virtual bool leanOptimization(const Descriptor &) const { return false; }

  //===--- Running it -----------------------------------------------------===//

  /// The family's interpreter (the generic code every kernel falls back
  /// to). Families that are not kernels (RunShape::Driven) say how to run
  /// them instead.
  virtual llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const = 0;

  /// A module holding the family's kernel in the spec dialect (the first
  /// stage of the compiler; docs/architecture.md). The dialects it needs are
  /// loaded into `ctx` by importDescriptor().
  virtual llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const = 0;

private:
  Kind kind_;
  llvm::StringRef name_;
};

/// The base of a family whose analyzed form is `Spec` (with its `kKind`).
template <typename Spec> class FamilyOf : public Family {
protected:
  explicit FamilyOf(llvm::StringRef name) : Family(Spec::kKind, name) {}
  static const Spec &spec(const Descriptor &d) { return d.spec<Spec>(); }
};

/// The registry (Families.def): the family of a kind, every family in
/// registry order, and the family a `kind` spelling names (null if none).
const Family &family(Kind kind);
llvm::ArrayRef<const Family *> allFamilies();
const Family *familyNamed(llvm::StringRef name);

/// Each family's entry in the registry (its <Family>Family.cpp).
#define SPECJIT_FAMILY(K, FAMILY) const Family &FAMILY();
#include "Families/Families.def"

/// The spec module of `d` (Family::importToSpec), with the spec, arith and
/// math dialects loaded into `ctx`.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importDescriptor(mlir::MLIRContext &ctx,
                                                                   const Descriptor &d);

/// Family::createInterpreter of a family that is not a kernel: "kind: a
/// train descriptor does not compile into a kernel; run it with jit::train
/// or `specjit train`".
llvm::Error notAKernel(const Descriptor &d, llvm::StringRef api, llvm::StringRef command);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_FAMILY_H
