//===- TreeWalk.h - tree ensembles as constant node arrays ------*- C++ -*-===//
//
// The `walk` layout of spec.tree_ensemble (see TreeWalk.cpp). The kernel's
// row loop runs in blocks; per block, a first row loop stores each row's
// features into a scratch matrix, the tree phase walks every row of the block
// through the trees, and a last row loop reads the margins back.
//
//===----------------------------------------------------------------------===//
#ifndef SPECJIT_LIB_CONVERSION_TREEWALK_H
#define SPECJIT_LIB_CONVERSION_TREEWALK_H

#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <vector>

namespace specjit {

class TreeWalk {
public:
  /// Trees walked side by side (one group of trees per level pass).
  static constexpr int64_t kTreesPerGroup = 8;

  /// Plans the arrays of `op` (layout "walk"). Fails with a diagnostic when
  /// a threshold or leaf is not above -inf in the compare type, the trees
  /// have more nodes than i32 indices reach, or the scratch of even the
  /// smallest block would not fit the stack.
  static mlir::FailureOr<TreeWalk> plan(spec::TreeEnsembleOp op, int64_t maxBlockRows);

  /// The largest block (rows) whose scratch stays within the stack budget,
  /// at most the planned maxBlockRows.
  int64_t maxBlockRows() const;

  /// Creates the constant arrays (module globals) and the scratch buffers
  /// (allocas at the insertion point, the function's entry) for blocks of
  /// `blockRows` rows.
  void emitSetup(mlir::OpBuilder &b, mlir::Location loc, int64_t blockRows);

  /// Stores the features of row `rowInBlock` (the op's operands, already
  /// mapped to this row's values) into the scratch matrix, with the row's
  /// entry of the leaves' row.
  void emitStoreFeatures(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange features,
                         mlir::Value rowInBlock);

  /// The tree phase for the first `count` rows of the block: a call of the
  /// walk function (created by emitSetup).
  void emitTrees(mlir::OpBuilder &b, mlir::Location loc, mlir::Value count);

  /// The margins (f64, as the op's results) of row `rowInBlock`.
  llvm::SmallVector<mlir::Value> emitLoadMargins(mlir::OpBuilder &b, mlir::Location loc,
                                                 mlir::Value rowInBlock);

private:
  explicit TreeWalk(spec::TreeEnsembleOp op) : op(op) {}
  /// The walk over the trees, a private function of the module.
  void emitWalkFunction(mlir::OpBuilder &b, mlir::Location loc, mlir::ModuleOp module);
  /// Rows of the feature matrix: each feature twice, NaN replaced by -inf
  /// (rows 0..F-1, read by splits that send NaN left) and by +inf (rows
  /// F..2F-1, read by the others), so a split compares once, x < t; and a
  /// row of -inf (row 2F) that leaves read: a leaf is its own left child, so
  /// walking on leaves it where it is. This needs thresholds and leaf values
  /// above -inf in the compare type (descriptors guarantee finite ones).
  int64_t featureRows() const { return 2 * numFeatures + 1; }

  spec::TreeEnsembleOp op;
  bool f32 = false;
  int64_t numFeatures = 0, numOutputs = 0, blockRows = 0, blockRowsLimit = 0;
  // Nodes, renumbered per tree in breadth-first order so that the children
  // of a split are adjacent (right = left + 1).
  std::vector<double> value;        // split: threshold; leaf: its value
  std::vector<int64_t> delta;       // left child - self (leaf: 0)
  std::vector<int32_t> row;         // the feature-matrix row the node reads
  std::vector<int32_t> root, group; // per tree
  std::vector<int32_t> groupDepth;  // per group of kTreesPerGroup trees
  std::vector<int64_t> count;       // trees per output (for averages)

  // Set by emitSetup.
  mlir::Value feats, nodes, acc;
  mlir::func::FuncOp walkFn;
};

} // namespace specjit

#endif
