//===- Family.cpp - The family registry and what dispatches through it ----===//
//
// Families.def lists the families; everything that depends on the kind of a
// descriptor asks its Family here: the `kind` header of a document and the
// family's parser (Descriptor::fromJSON), the Descriptor accessors, the
// interpreter (interp::Interpreter::create) and the import into the spec
// dialect (importDescriptor).
//
//===----------------------------------------------------------------------===//

#include "Families/Family.h"

#include "Descriptor/DescriptorInternal.h"
#include "Descriptor/Expr.h"
#include "Descriptor/JsonText.h"
#include "Families/Pipeline/PipelineSpec.h"
#include "Interpreter/Interpreter.h"

#include "specjit/Dialect/Spec/IR/SpecOps.h"
#include "specjit/ReadFile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/JSON.h"

namespace json = llvm::json;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

Family::~Family() = default;

bool Family::callsTranscendentals(const Descriptor &d) const {
  const PipelineSpec *p = featurePipeline(d);
  if (!p)
    return false;
  for (const Step &s : p->steps)
    if (s.op == StepOp::Log || s.op == StepOp::Log1p ||
        (s.op == StepOp::Expr && callsTranscendental(s.expr.get())))
      return true;
  return false;
}

//===----------------------------------------------------------------------===//
// The registry
//===----------------------------------------------------------------------===//

llvm::ArrayRef<const Family *> allFamilies() {
  static const Family *const families[] = {
#define SPECJIT_FAMILY(K, FAMILY) &FAMILY(),
#include "Families/Families.def"
  };
  return families;
}

const Family &family(Kind kind) {
  for (const Family *f : allFamilies())
    if (f->kind() == kind)
      return *f;
  // Every enumerator has its line in Families.def (checked by a test).
  llvm_unreachable("a Kind without a family in Families.def");
}

const Family *familyNamed(StringRef name) {
  for (const Family *f : allFamilies())
    if (f->name() == name)
      return f;
  return nullptr;
}

llvm::StringRef kindName(Kind k) { return family(k).name(); }

Error notAKernel(const Descriptor &d, StringRef api, StringRef command) {
  return detail::makeError("kind: a " + kindName(d.kind()) +
                           " descriptor does not compile into a kernel; run it with jit::" + api +
                           " or `specjit " + command + "`");
}

//===----------------------------------------------------------------------===//
// The header of a document
//===----------------------------------------------------------------------===//

namespace {

std::string kindList() {
  std::string out;
  for (const Family *f : allFamilies())
    out += (out.empty() ? "" : ", ") + f->name().str();
  return out;
}

/// Checks `specjit` (the version) and reads `kind`: an unknown kind is an
/// error listing every family, with a did-you-mean.
Expected<const Family *> parseHeader(const json::Object &root) {
  using detail::expected;
  using detail::failAt;
  const json::Value *v;
  if (Error e = detail::requireKey(root, "", "specjit", "the format version, 1", v))
    return std::move(e);
  std::optional<int64_t> version = detail::asInt64(*v);
  if (!version)
    return expected("specjit", "the format version 1", *v);
  if (*version != 1)
    return failAt("specjit", "unsupported format version " + Twine(*version) +
                                 " (this build reads version 1)");
  if (Error e =
          detail::requireKey(root, "", "kind", "the descriptor family: one of " + kindList(), v))
    return std::move(e);
  std::optional<StringRef> name = v->getAsString();
  if (!name)
    return expected("kind", "a string naming the family (one of " + kindList() + ")", *v);
  if (const Family *f = familyNamed(*name))
    return f;
  std::string msg =
      "unknown kind " + detail::quoted(*name) + " (expected one of " + kindList() + ")";
  for (const Family *f : allFamilies())
    if (name->edit_distance(f->name(), true, 3) <= 2) {
      msg += "; did you mean '" + f->name().str() + "'?";
      break;
    }
  return failAt("kind", msg);
}

} // namespace

//===----------------------------------------------------------------------===//
// Descriptor
//===----------------------------------------------------------------------===//

Expected<Descriptor> Descriptor::parse(StringRef text) {
  Expected<size_t> maxBytes = limitBytes(kDescriptorReadLimit);
  if (!maxBytes)
    return maxBytes.takeError();
  if (text.size() > *maxBytes)
    return detail::makeError("descriptor: the text is " + Twine(text.size()) +
                             " bytes, more than the limit of " + Twine(*maxBytes) + " bytes (set " +
                             kDescriptorReadLimit.envVar + " to change it)");
  detail::JsonReadOptions opts; // the descriptor defaults
  opts.maxDepth = detail::kMaxNesting;
  Expected<json::Value> value = detail::parseStrictJson(text, opts);
  if (!value)
    return value.takeError();
  return fromJSON(*value);
}

Expected<Descriptor> Descriptor::fromJSON(const json::Value &v) {
  const json::Object *root = v.getAsObject();
  if (!root)
    return detail::expected("", "a JSON object (a descriptor)", v);
  Expected<const Family *> f = parseHeader(*root);
  if (!f)
    return f.takeError();
  return (*f)->parse(*root);
}

Expected<Descriptor> Descriptor::fromFile(StringRef path) {
  Expected<std::string> text = readBoundedFile(path, kDescriptorReadLimit);
  if (!text)
    return text.takeError();
  return parse(*text);
}

RunShape Descriptor::runShape() const { return family(kind_).runShape(); }
const std::string &Descriptor::name() const { return family(kind_).name(*this); }
std::string Descriptor::summary() const { return family(kind_).summary(*this); }
const std::vector<std::string> &Descriptor::outputNames() const {
  return family(kind_).outputNames(*this);
}
DType Descriptor::outputType() const { return family(kind_).outputType(*this); }
llvm::StringRef Descriptor::outputNoun() const { return family(kind_).outputNoun(); }
const std::vector<InputColumn> &Descriptor::inputs() const { return family(kind_).inputs(*this); }

//===----------------------------------------------------------------------===//
// The interpreter and the spec dialect
//===----------------------------------------------------------------------===//

Expected<mlir::OwningOpRef<mlir::ModuleOp>> importDescriptor(mlir::MLIRContext &ctx,
                                                             const Descriptor &d) {
  ctx.getOrLoadDialect<spec::SpecDialect>();
  ctx.getOrLoadDialect<mlir::arith::ArithDialect>();
  ctx.getOrLoadDialect<mlir::math::MathDialect>();
  return family(d.kind()).importToSpec(ctx, d);
}

} // namespace jit

namespace interp {

Expected<std::unique_ptr<Interpreter>> Interpreter::create(const jit::Descriptor &d) {
  return jit::family(d.kind()).createInterpreter(d);
}

} // namespace interp
} // namespace specjit
