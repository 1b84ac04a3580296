//===- LookupTables.h - Lookups as constant tables ------------*- C++ -*-===//
//
// The table shape of a lookup (`spec.lookup = "table"`): the keys become
// constant data (private LLVM globals of the module) and the code that
// searches them has the same size whatever the number of keys.
//
// - Integer keys (one_hot categories, label_encode keys on i64):
//   * identity: keys 0..n-1 in order (the indices of a string lookup):
//     a range check, no table;
//   * dense: keys within a span under 4n + 64: an i32 array indexed by
//     x - min (-1 for holes, one extra -1 entry that out-of-range values
//     are clamped to), branch-free;
//   * sorted: the keys sorted as i64 with their original indices, searched
//     by a branch-free binary search of a fixed number of steps.
//   These are the interpreter's modes (lib/Interpreter/Lookup.cpp), with
//   the same results: keys are unique, so the position is the key's index.
// - String keys: an open-addressing hash table (linear probing, at most
//   half full) of key indices over a byte blob of the keys and their
//   offsets. The hash reads the row's bytes as little-endian 8-byte words
//   and then single bytes; candidates are compared by length, then with
//   memcmp. Bytes are unsigned, so keys with bytes >= 0x80, empty keys and
//   keys that are prefixes of others need nothing special.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_LIB_CONVERSION_LOOKUPTABLES_H
#define SPECJIT_LIB_CONVERSION_LOOKUPTABLES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/DenseMap.h"

#include <string>

namespace specjit {

/// The hash of a string key in the string tables; the lowered code computes
/// the same function of the row's bytes.
uint64_t lookupStringHash(llvm::StringRef s);

/// Emits table lookups into one module; each op's tables are made once,
/// however often its lookup is emitted (the checking loop and the row loop).
class LookupTables {
public:
  explicit LookupTables(mlir::ModuleOp module);

  /// The index in `keys` (unique) of the i64 `x`, or -1, as i64.
  mlir::Value emitIntLookup(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *owner,
                            llvm::ArrayRef<int64_t> keys, mlir::Value x);
  /// The index in `keys` (unique) of the `len` bytes at `bytes`, or -1, as
  /// i64.
  mlir::Value emitStringLookup(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *owner,
                               llvm::ArrayRef<llvm::StringRef> keys, mlir::Value bytes,
                               mlir::Value len);
  /// The address of a constant f64 array.
  mlir::Value emitF64Array(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *owner,
                           llvm::StringRef what, llvm::ArrayRef<double> values);

private:
  /// The address of the constant global `what` of `owner`'s tables, with
  /// the bytes `init` makes the first time.
  mlir::Value global(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *owner,
                     llvm::StringRef what, llvm::function_ref<std::string()> init);

  mlir::ModuleOp module;
  unsigned nextTable = 0;
  llvm::DenseMap<mlir::Operation *, unsigned> tableOf;
};

} // namespace specjit

#endif
