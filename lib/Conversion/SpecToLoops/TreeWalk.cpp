//===- TreeWalk.cpp - tree ensembles as constant node arrays --------------===//
//
// The `walk` layout of spec.tree_ensemble. Nested branches (the `branches`
// layout) mispredict about once per level on unpredictable data and grow the
// code with every node, so LLVM's time grows with the ensemble; here the
// nodes are constant arrays in the kernel's module and one small function,
// @specjit_tree_walk, walks every block of rows through them branch-free:
//
//   for each group of 8 trees (the last filled up with trees adding -0.0):
//     level 0:    for t in group: for j in block: node[t][j] = step(root_t, j)
//     level 1..d: for t in group: for j in block: node[t][j] = step(node[t][j], j)
//     leaves:     for t in group: for j in block: acc[out_t][j] += value[node[t][j]]
//
// step(n, j) = n + (left(n) - n) + (x >= value[n]), x = feats[row(n)][j]:
// a split's children are adjacent, and a leaf is its own left child that
// reads a row of -inf, so a group walks as deep as its deepest tree. NaN
// costs no test: each feature is stored twice per block, NaN replaced by
// -inf for the splits that send it left and by +inf for the others.
//
// A block of fewer than kLockstepRows rows is walked a row at a time instead,
// the 8 trees of a group in registers, stepped together: the latency of one
// row is then 8 independent chains rather than one loop per tree and level.
//
// The function stays scalar (noimplicitfloat): the rows of a block are
// independent walks that the core overlaps, and on the x86 parts measured
// (docs/model-semantics.md, "Code shape") that beats the gathers LLVM's
// vectorizer would use. Each row adds its trees in tree order, as the
// branches layout and the interpreter do, so the sums round the same.
//
//===----------------------------------------------------------------------===//

#include "TreeWalk.h"

#include "LLVMAccess.h"
#include "specjit/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;

namespace specjit {

namespace {
// The constant arrays and the walk function.
constexpr const char *kValue = "specjit_tree_value";
constexpr const char *kMeta = "specjit_tree_meta";
constexpr const char *kRoot = "specjit_tree_root";
constexpr const char *kOutput = "specjit_tree_output";
constexpr const char *kDepth = "specjit_group_depth";
constexpr const char *kWalkFunction = "specjit_tree_walk";

/// Stack bytes the scratch of one block may take.
constexpr int64_t kScratchBytes = 256 * 1024;
constexpr int64_t kMinBlockRows = kWalkMinBlockRows;
/// Fewer rows than this take the row-at-a-time path.
constexpr int64_t kLockstepRows = 4;

/// An i32 array element, widened to i64 for indexing.
Value loadIndex(OpBuilder &b, Location loc, Value base, Value index) {
  return b.create<arith::ExtSIOp>(loc, b.getI64Type(), loadAt(b, loc, b.getI32Type(), base, index));
}

/// for (iv = lb; iv < ub; ++iv) body(iv), on i64.
void forRange(OpBuilder &b, Location loc, Value lb, Value ub,
              llvm::function_ref<void(Value)> body) {
  auto loop = b.create<scf::ForOp>(loc, lb, ub, i64(b, loc, 1));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

Attribute i32Array(OpBuilder &b, ArrayRef<int32_t> v) {
  auto t = RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getI32Type());
  return DenseElementsAttr::get(t, v);
}
} // namespace

FailureOr<TreeWalk> TreeWalk::plan(spec::TreeEnsembleOp op, int64_t maxBlockRows) {
  TreeWalk w(op);
  w.blockRowsLimit = maxBlockRows;
  w.f32 = op.getFloat32();
  w.numFeatures = op.getFeatures().size();
  w.numOutputs = op.getMargins().size();
  ArrayRef<int32_t> feat = op.getNodeFeatures(), lefts = op.getLeft(), rights = op.getRight();
  ArrayRef<double> thr = op.getThresholds(), leaves = op.getLeaves();
  ArrayRef<bool> dl = op.getDefaultLeft();
  // The ±inf rows need thresholds and leaves above -inf (NaN is not) in the
  // compare type.
  auto aboveMinusInf = [&](double v) {
    return w.f32 ? static_cast<float>(v) > -std::numeric_limits<float>::infinity()
                 : v > -std::numeric_limits<double>::infinity();
  };
  int64_t F = w.numFeatures;
  w.count.assign(w.numOutputs, 0);
  std::vector<int32_t> depths;
  for (auto [r, g] : llvm::zip(op.getRoots(), op.getGroups())) {
    int32_t base = static_cast<int32_t>(w.value.size());
    w.root.push_back(base);
    w.group.push_back(g);
    ++w.count[g];
    // Breadth-first: order[i] is the old index of new node base + i.
    std::vector<int32_t> order = {r}, depth = {0};
    int32_t treeDepth = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      int32_t old = order[i];
      if (feat[old] < 0) {
        if (!aboveMinusInf(leaves[old]))
          return op.emitOpError("leaf ") << old
                                         << " is not above -inf, which the "
                                            "walk layout needs";
        w.value.push_back(leaves[old]);
        w.row.push_back(static_cast<int32_t>(2 * F));
        w.delta.push_back(0);
        treeDepth = std::max(treeDepth, depth[i]);
        continue;
      }
      if (!aboveMinusInf(thr[old]))
        return op.emitOpError("threshold of node ")
               << old << " is not above -inf, which the walk layout needs";
      w.value.push_back(thr[old]);
      w.row.push_back(static_cast<int32_t>(dl[old] ? feat[old] : F + feat[old]));
      w.delta.push_back(static_cast<int64_t>(order.size()) - static_cast<int64_t>(i));
      order.push_back(lefts[old]);
      order.push_back(rights[old]);
      depth.push_back(depth[i] + 1);
      depth.push_back(depth[i] + 1);
      if (w.value.size() + order.size() - i >
          static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        return op.emitOpError("has too many nodes for the walk layout");
    }
    depths.push_back(treeDepth);
  }
  // Whole groups: the last is filled with trees of one leaf, -0.0, which
  // adds exactly (x + -0.0 == x, -0.0 included) and counts in no average.
  if (w.root.size() % kTreesPerGroup) {
    int32_t pad = static_cast<int32_t>(w.value.size());
    w.value.push_back(-0.0);
    w.row.push_back(static_cast<int32_t>(2 * F));
    w.delta.push_back(0);
    while (w.root.size() % kTreesPerGroup) {
      w.root.push_back(pad);
      w.group.push_back(0);
      depths.push_back(0);
    }
  }
  for (size_t t = 0; t < w.root.size(); t += kTreesPerGroup)
    w.groupDepth.push_back(
        *std::max_element(depths.begin() + t, depths.begin() + t + kTreesPerGroup));
  if (w.maxBlockRows() < kMinBlockRows)
    return op.emitOpError("has too many features (")
           << w.numFeatures << ") for the walk layout's scratch";
  return w;
}

int64_t TreeWalk::maxBlockRows() const {
  int64_t elem = f32 ? 4 : 8;
  int64_t perRow = featureRows() * elem + kTreesPerGroup * 4 + numOutputs * elem;
  int64_t rows = std::min(blockRowsLimit, kScratchBytes / perRow);
  return rows / kMinBlockRows * kMinBlockRows;
}

void TreeWalk::emitSetup(OpBuilder &b, Location loc, int64_t rows) {
  blockRows = rows;
  auto module = op->getParentOfType<ModuleOp>();
  Type elem = f32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  int64_t n = value.size();
  // Feature row r of block row j is feats[r * blockRows + j]; the meta
  // word's high half is the node's r * blockRows.
  std::vector<int64_t> words(n);
  for (int64_t i = 0; i < n; ++i)
    words[i] = (int64_t(row[i]) * blockRows) << 32 | delta[i];
  auto valueType = RankedTensorType::get({n}, elem);
  Attribute values;
  if (f32) {
    std::vector<float> v(value.begin(), value.end());
    values = DenseElementsAttr::get(valueType, ArrayRef<float>(v));
  } else {
    values = DenseElementsAttr::get(valueType, ArrayRef<double>(value));
  }
  auto globals = [&](StringRef name, Attribute init, Type t, int64_t count) {
    auto type = LLVM::LLVMArrayType::get(t, count);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(module.getBody());
    b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true, LLVM::Linkage::Private, name, init,
                             /*alignment=*/64);
  };
  Type i32 = b.getI32Type(), i64t = b.getI64Type();
  int64_t trees = root.size(), groups = groupDepth.size();
  globals(kValue, values, elem, n);
  globals(kMeta, DenseElementsAttr::get(RankedTensorType::get({n}, i64t), ArrayRef<int64_t>(words)),
          i64t, n);
  globals(kRoot, i32Array(b, root), i32, trees);
  globals(kOutput, i32Array(b, group), i32, trees);
  globals(kDepth, i32Array(b, groupDepth), i32, groups);

  auto scratch = [&](Type t, int64_t count) {
    return b.create<LLVM::AllocaOp>(loc, ptrType(b), t, i64(b, loc, count),
                                    /*alignment=*/64);
  };
  feats = scratch(elem, featureRows() * blockRows);
  nodes = scratch(i32, kTreesPerGroup * blockRows);
  acc = scratch(elem, numOutputs * blockRows);
  emitWalkFunction(b, loc, module);
}

void TreeWalk::emitStoreFeatures(OpBuilder &b, Location loc, ValueRange features,
                                 Value rowInBlock) {
  Type elem = f32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  auto at = [&](int64_t row) { return indexAdd(b, loc, i64(b, loc, row * blockRows), rowInBlock); };
  Value negInf = b.create<arith::ConstantOp>(
      loc, b.getFloatAttr(elem, -std::numeric_limits<double>::infinity()));
  Value posInf = b.create<arith::ConstantOp>(
      loc, b.getFloatAttr(elem, std::numeric_limits<double>::infinity()));
  for (auto [f, x] : llvm::enumerate(features)) {
    if (f32)
      x = b.create<arith::TruncFOp>(loc, b.getF32Type(), x);
    int64_t row = static_cast<int64_t>(f);
    Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
    storeAt(b, loc, b.create<arith::SelectOp>(loc, isNaN, negInf, x), feats, at(row));
    storeAt(b, loc, b.create<arith::SelectOp>(loc, isNaN, posInf, x), feats, at(numFeatures + row));
  }
  // The row leaves read: -inf. Stored with the row's features, so a call
  // pays for the rows it has, not for a whole block.
  storeAt(b, loc, negInf, feats, at(featureRows() - 1));
}

void TreeWalk::emitWalkFunction(OpBuilder &b, Location loc, ModuleOp module) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Type ptr = ptrType(b), i64t = b.getI64Type();
  walkFn = b.create<func::FuncOp>(loc, kWalkFunction, b.getFunctionType({ptr, ptr, ptr, i64t}, {}));
  walkFn.setPrivate();
  // noimplicitfloat keeps both of LLVM's vectorizers away: their gathers
  // lose to the scalar walk (see the file comment).
  walkFn->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline"),
                                                 b.getStringAttr("noimplicitfloat")}));
  for (unsigned i = 0; i < 3; ++i)
    walkFn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(), b.getUnitAttr());
  Block *entry = walkFn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value feats = entry->getArgument(0), nodes = entry->getArgument(1), acc = entry->getArgument(2),
        count = entry->getArgument(3);
  auto global = [&](StringRef name) {
    return b.create<LLVM::AddressOfOp>(loc, ptr, name).getResult();
  };
  Value valueArr = global(kValue), metaArr = global(kMeta), rootArr = global(kRoot),
        outArr = global(kOutput), depthArr = global(kDepth);

  Type elem = f32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  Value zero = i64(b, loc, 0), one = i64(b, loc, 1), rows = i64(b, loc, blockRows);
  Value c32 = i64(b, loc, 32), deltaMask = i64(b, loc, 0xffffffff);
  // Sums start at the base score; averages at -0.0 (which adds exactly).
  for (int64_t k = 0; k < numOutputs; ++k) {
    double init = op.getAverage() ? -0.0 : op.getBaseScore()[k];
    Value v = b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, init));
    Value base = i64(b, loc, k * blockRows);
    forRange(b, loc, zero, count,
             [&](Value j) { storeAt(b, loc, v, acc, indexAdd(b, loc, base, j)); });
  }
  // One step from node n (its value and meta word loaded) for row j:
  // n + (left - n) + (goes right).
  auto step = [&](Value n, Value threshold, Value word, Value j) {
    Value off = b.create<arith::ShRSIOp>(loc, word, c32);
    Value x = loadAt(b, loc, elem, feats, b.create<arith::AddIOp>(loc, off, j));
    // x is never NaN here (the ±inf rows): it goes right when x >= t.
    Value goRight = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGE, x, threshold);
    Value delta = b.create<arith::AndIOp>(loc, word, deltaMask);
    Value next = b.create<arith::AddIOp>(loc, b.create<arith::AddIOp>(loc, n, delta),
                                         b.create<arith::ExtUIOp>(loc, i64t, goRight));
    return b.create<arith::TruncIOp>(loc, b.getI32Type(), next);
  };
  Value numGroups = i64(b, loc, static_cast<int64_t>(groupDepth.size()));
  Value groupSize = i64(b, loc, kTreesPerGroup);
  // The leaf of tree t (node n) added to row j's sum.
  auto addLeaf = [&](Value t, Value n, Value j) {
    Value out = indexMul(b, loc, loadIndex(b, loc, outArr, t), rows);
    Value at = indexAdd(b, loc, out, j);
    Value sum = b.create<arith::AddFOp>(loc, loadAt(b, loc, elem, acc, at),
                                        loadAt(b, loc, elem, valueArr, n));
    storeAt(b, loc, sum, acc, at);
  };
  auto few =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, count, i64(b, loc, kLockstepRows));
  auto paths = b.create<scf::IfOp>(loc, few, /*withElse=*/true);
  {
    // A few rows: one row at a time, the 8 trees of a group in registers,
    // stepped together (8 independent chains for the core to overlap).
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&paths.getThenRegion().front());
    forRange(b, loc, zero, count, [&](Value j) {
      forRange(b, loc, zero, numGroups, [&](Value gi) {
        Value first = b.create<arith::MulIOp>(loc, gi, groupSize);
        SmallVector<Value> trees, start;
        for (int64_t k = 0; k < kTreesPerGroup; ++k) {
          trees.push_back(b.create<arith::AddIOp>(loc, first, i64(b, loc, k)));
          start.push_back(loadIndex(b, loc, rootArr, trees.back()));
        }
        auto levels = b.create<scf::ForOp>(loc, zero, loadIndex(b, loc, depthArr, gi), one, start);
        {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPointToStart(levels.getBody());
          SmallVector<Value> next;
          for (Value n : levels.getRegionIterArgs()) {
            Value word = loadAt(b, loc, i64t, metaArr, n);
            Value thr = loadAt(b, loc, elem, valueArr, n);
            next.push_back(b.create<arith::ExtSIOp>(loc, i64t, step(n, thr, word, j)));
          }
          b.create<scf::YieldOp>(loc, next);
        }
        for (int64_t k = 0; k < kTreesPerGroup; ++k)
          addLeaf(trees[k], levels.getResult(k), j);
      });
    });
  }
  // Many rows: level by level, each step over the block's rows.
  b.setInsertionPointToStart(&paths.getElseRegion().front());
  forRange(b, loc, zero, numGroups, [&](Value gi) {
    Value first = b.create<arith::MulIOp>(loc, gi, groupSize);
    Value end = b.create<arith::AddIOp>(loc, first, groupSize);
    Value depth = loadIndex(b, loc, depthArr, gi);
    auto slotOf = [&](Value t) {
      return b.create<arith::MulIOp>(loc, b.create<arith::SubIOp>(loc, t, first), rows);
    };
    // Level 0: the root's words are the same for every row.
    forRange(b, loc, first, end, [&](Value t) {
      Value r = loadIndex(b, loc, rootArr, t);
      Value word = loadAt(b, loc, i64t, metaArr, r);
      Value thr = loadAt(b, loc, elem, valueArr, r);
      Value slot = slotOf(t);
      forRange(b, loc, zero, count, [&](Value j) {
        storeAt(b, loc, step(r, thr, word, j), nodes, b.create<arith::AddIOp>(loc, slot, j));
      });
    });
    // Levels 1 .. depth - 1.
    forRange(b, loc, one, depth, [&](Value) {
      forRange(b, loc, first, end, [&](Value t) {
        Value slot = slotOf(t);
        forRange(b, loc, zero, count, [&](Value j) {
          Value at = b.create<arith::AddIOp>(loc, slot, j);
          Value n = loadIndex(b, loc, nodes, at);
          Value word = loadAt(b, loc, i64t, metaArr, n);
          Value thr = loadAt(b, loc, elem, valueArr, n);
          storeAt(b, loc, step(n, thr, word, j), nodes, at);
        });
      });
    });
    // The leaves, added in tree order.
    forRange(b, loc, first, end, [&](Value t) {
      Value slot = slotOf(t);
      forRange(b, loc, zero, count, [&](Value j) {
        addLeaf(t, loadIndex(b, loc, nodes, b.create<arith::AddIOp>(loc, slot, j)), j);
      });
    });
  });
  b.setInsertionPointAfter(paths);
  b.create<func::ReturnOp>(loc);
}

void TreeWalk::emitTrees(OpBuilder &b, Location loc, Value count) {
  b.create<func::CallOp>(loc, walkFn, ValueRange{feats, nodes, acc, count});
}

SmallVector<Value> TreeWalk::emitLoadMargins(OpBuilder &b, Location loc, Value rowInBlock) {
  Type elem = f32 ? Type(b.getF32Type()) : Type(b.getF64Type());
  SmallVector<Value> margins;
  for (int64_t k = 0; k < numOutputs; ++k) {
    Value at = indexAdd(b, loc, i64(b, loc, k * blockRows), rowInBlock);
    Value m = loadAt(b, loc, elem, acc, at);
    if (op.getAverage()) {
      // base + sum / count, as the branches layout computes it.
      Value base = b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, op.getBaseScore()[k]));
      if (count[k]) {
        Value n =
            b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, static_cast<double>(count[k])));
        m = b.create<arith::AddFOp>(loc, base, b.create<arith::DivFOp>(loc, m, n));
      } else {
        m = base;
      }
    }
    if (f32)
      m = b.create<arith::ExtFOp>(loc, b.getF64Type(), m);
    margins.push_back(m);
  }
  return margins;
}

} // namespace specjit
