//===- SpecDialect.td - The spec dialect -------------------*- tablegen -*-===//
#ifndef SPECJIT_SPEC_DIALECT
#define SPECJIT_SPEC_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Spec_Dialect : Dialect {
  let name = "spec";
  let summary = "Descriptor stages of specjit kernels";
  let description = [{
    One op per descriptor stage. A `spec.kernel` holds the computation of one
    row; its configuration (means, categories, edges, ...) lives in op
    attributes so that lowering folds it into the generated code as constants.
    Integer columns travel as i64 (with their missing sentinel as an
    attribute), numeric columns as f64, string columns as `!spec.str`.
  }];
  let cppNamespace = "::specjit::spec";
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

class Spec_Type<string name, string typeMnemonic> : TypeDef<Spec_Dialect, name> {
  let mnemonic = typeMnemonic;
}

def Spec_StrType : Spec_Type<"Str", "str"> {
  let summary = "a row's string value: a slice of a string input column";
}

// The code shape of a spec.tree_ensemble (its `layout`), chosen by
// spec-select-tree-layout: #spec.tree_layout<branches> or <walk>.
def Spec_TreeLayoutBranches : I32EnumAttrCase<"Branches", 0, "branches">;
def Spec_TreeLayoutWalk : I32EnumAttrCase<"Walk", 1, "walk">;
def Spec_TreeLayout : I32EnumAttr<"TreeLayout", "the code shape of a tree ensemble",
                                  [Spec_TreeLayoutBranches, Spec_TreeLayoutWalk]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::specjit::spec";
}
def Spec_TreeLayoutAttr : EnumAttr<Spec_Dialect, Spec_TreeLayout, "tree_layout"> {
  let assemblyFormat = "`<` $value `>`";
}

class Spec_Op<string mnemonic, list<Trait> traits = []>
    : Op<Spec_Dialect, mnemonic, traits>;

// Legality between the two spec lowerings, declared on the ops: spec-expand
// rewrites every spec op into arith/math/scf except those marked
// LoweredByLoops, which convert-spec-to-loops lowers (the kernel ops and the
// primitives that need loops of their own).
def Spec_LoweredByLoops : NativeOpTrait<"LoweredByLoops"> {
  let cppNamespace = "::specjit::spec::SpecTrait";
}

#endif // SPECJIT_SPEC_DIALECT
