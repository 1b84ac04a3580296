//===- LookupTables.cpp - Lookups as constant tables ----------------------===//
//
// See LookupTables.h for the shapes. Everything searched at run time is a
// private constant global named specjit_lookup<N>_<what>, so the lowered IR
// shows which lookups took a table. Every table is a byte array (the
// little-endian bytes of its i32 / i64 / f64 elements): LLVM emits those
// as one block of data, where arrays of wider elements cost it time per
// element.
//
//===----------------------------------------------------------------------===//

#include "LookupTables.h"
#include "LLVMAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cstring>
#include <numeric>

using namespace mlir;

namespace specjit {

namespace {

// The string hash: h = seed ^ len; per 8-byte word, then per remaining
// byte c, h = mix(h ^ c); then murmur3's 64-bit finalizer. mix is a
// bijection, so the last word or byte always changes the state.
constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMul = 0xff51afd7ed558ccdull;
constexpr uint64_t kFin1 = 0xff51afd7ed558ccdull;
constexpr uint64_t kFin2 = 0xc4ceb9fe1a85ec53ull;

uint64_t mix(uint64_t h) {
  h *= kMul;
  return h ^ (h >> 32);
}
uint64_t finish(uint64_t h) {
  h ^= h >> 33;
  h *= kFin1;
  h ^= h >> 33;
  h *= kFin2;
  return h ^ (h >> 33);
}

/// Slots of the string hash table: a power of two at least twice the keys.
uint64_t hashSlots(size_t keys) {
  uint64_t slots = 2;
  while (slots < 2 * keys)
    slots *= 2;
  return slots;
}

Value constI64(OpBuilder &b, Location loc, uint64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(static_cast<int64_t>(v)));
}

/// The IR of mix() and finish() above.
Value emitMix(OpBuilder &b, Location loc, Value h) {
  h = b.create<arith::MulIOp>(loc, h, constI64(b, loc, kMul));
  return b.create<arith::XOrIOp>(loc, h, b.create<arith::ShRUIOp>(loc, h, constI64(b, loc, 32)));
}
Value emitFinish(OpBuilder &b, Location loc, Value h) {
  auto xorShift = [&](Value v) {
    return b.create<arith::XOrIOp>(loc, v, b.create<arith::ShRUIOp>(loc, v, constI64(b, loc, 33)));
  };
  h = b.create<arith::MulIOp>(loc, xorShift(h), constI64(b, loc, kFin1));
  h = b.create<arith::MulIOp>(loc, xorShift(h), constI64(b, loc, kFin2));
  return xorShift(h);
}

/// memcmp, declared once per module.
LLVM::LLVMFuncOp memcmpFunction(OpBuilder &b, ModuleOp module) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>("memcmp"))
    return fn;
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(module.getBody());
  auto type = LLVM::LLVMFunctionType::get(b.getI32Type(), {ptrType(b), ptrType(b), b.getI64Type()});
  return b.create<LLVM::LLVMFuncOp>(module.getLoc(), "memcmp", type);
}

/// The bytes of `values` as the kernel reads them (the host is
/// little-endian, like every target the kernels run on).
template <typename T> std::string bytesOf(ArrayRef<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

} // namespace

uint64_t lookupStringHash(llvm::StringRef s) {
  uint64_t h = kSeed ^ s.size();
  size_t at = 0;
  for (; at + 8 <= s.size(); at += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + at, 8); // little-endian, as the kernel loads it
    h = mix(h ^ w);
  }
  for (; at < s.size(); ++at)
    h = mix(h ^ static_cast<uint8_t>(s[at]));
  return finish(h);
}

LookupTables::LookupTables(ModuleOp module) : module(module) {
  // Tables of an earlier lowering of the module keep their numbers.
  for (auto g : module.getOps<LLVM::GlobalOp>()) {
    StringRef name = g.getSymName();
    unsigned n;
    if (name.consume_front("specjit_lookup") && !name.take_while(llvm::isDigit).getAsInteger(10, n))
      nextTable = std::max(nextTable, n + 1);
  }
}

Value LookupTables::global(OpBuilder &b, Location loc, Operation *owner, StringRef what,
                           llvm::function_ref<std::string()> init) {
  auto [it, fresh] = tableOf.try_emplace(owner, nextTable);
  if (fresh)
    ++nextTable;
  std::string name = ("specjit_lookup" + llvm::Twine(it->second) + "_" + what).str();
  if (!module.lookupSymbol(name)) {
    std::string bytes = init();
    if (bytes.empty())
      bytes.push_back('\0'); // no zero-length arrays
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(module.getBody());
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
    b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true, LLVM::Linkage::Private, name,
                             b.getStringAttr(bytes), /*alignment=*/16);
  }
  return b.create<LLVM::AddressOfOp>(loc, ptrType(b), name);
}

Value LookupTables::emitF64Array(OpBuilder &b, Location loc, Operation *owner, StringRef what,
                                 ArrayRef<double> values) {
  return global(b, loc, owner, what, [&] { return bytesOf(values); });
}

Value LookupTables::emitIntLookup(OpBuilder &b, Location loc, Operation *owner,
                                  ArrayRef<int64_t> keys, Value x) {
  int64_t n = static_cast<int64_t>(keys.size());
  Type i32 = b.getI32Type(), i64t = b.getI64Type();
  Value minusOne = i64(b, loc, -1);
  int64_t lo = *std::min_element(keys.begin(), keys.end());
  int64_t hi = *std::max_element(keys.begin(), keys.end());
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);

  bool identity = lo == 0 && span == static_cast<uint64_t>(n - 1);
  for (int64_t i = 0; identity && i < n; ++i)
    identity = keys[i] == i;
  if (identity) {
    // Unsigned: negative values are out of range too.
    Value inRange = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, x, i64(b, loc, n));
    return b.create<arith::SelectOp>(loc, inRange, x, minusOne);
  }

  if (span < 4 * static_cast<uint64_t>(n) + 64) {
    // index[x - lo], with every value outside [lo, hi] clamped to the last
    // entry, which is -1.
    Value table = global(b, loc, owner, "dense", [&] {
      std::vector<int32_t> index(span + 2, -1);
      for (int64_t j = 0; j < n; ++j)
        index[static_cast<uint64_t>(keys[j]) - static_cast<uint64_t>(lo)] = static_cast<int32_t>(j);
      return bytesOf(ArrayRef<int32_t>(index));
    });
    Value d = b.create<arith::SubIOp>(loc, x, i64(b, loc, lo));
    d = b.create<arith::MinUIOp>(loc, d, constI64(b, loc, span + 1));
    return b.create<arith::ExtSIOp>(loc, i64t, loadAt(b, loc, i32, table, d));
  }

  // Sorted keys with their indices; the search keeps the last position
  // whose key is <= x in [base, base + len), halving len a fixed number of
  // times (the same for every x), without branches.
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t c) { return keys[a] < keys[c]; });
  Value sorted = global(b, loc, owner, "keys", [&] {
    std::vector<int64_t> v;
    for (int32_t j : order)
      v.push_back(keys[j]);
    return bytesOf(ArrayRef<int64_t>(v));
  });
  Value index = global(b, loc, owner, "index", [&] { return bytesOf(ArrayRef<int32_t>(order)); });
  int64_t steps = 0;
  for (int64_t len = n; len > 1; len -= len / 2)
    ++steps;
  auto search =
      b.create<scf::ForOp>(loc, i64(b, loc, 0), i64(b, loc, steps), i64(b, loc, 1),
                           ValueRange{i64(b, loc, 0), i64(b, loc, n)},
                           [&](OpBuilder &nb, Location l, Value, ValueRange acc) {
                             Value base = acc[0], len = acc[1];
                             Value half = nb.create<arith::ShRUIOp>(l, len, i64(nb, l, 1));
                             Value probe = nb.create<arith::AddIOp>(l, base, half);
                             Value key = loadAt(nb, l, i64t, sorted, probe);
                             Value le =
                                 nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sle, key, x);
                             Value next = nb.create<arith::SelectOp>(l, le, probe, base);
                             Value rest = nb.create<arith::SubIOp>(l, len, half);
                             nb.create<scf::YieldOp>(l, ValueRange{next, rest});
                           });
  Value at = search.getResult(0);
  Value found =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, loadAt(b, loc, i64t, sorted, at), x);
  Value position = b.create<arith::ExtSIOp>(loc, i64t, loadAt(b, loc, i32, index, at));
  return b.create<arith::SelectOp>(loc, found, position, minusOne);
}

Value LookupTables::emitStringLookup(OpBuilder &b, Location loc, Operation *owner,
                                     ArrayRef<StringRef> keys, Value bytes, Value len) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), i64t = b.getI64Type();
  uint64_t slots = hashSlots(keys.size());
  Value blob = global(b, loc, owner, "bytes", [&] {
    std::string all;
    for (StringRef k : keys)
      all += k;
    return all;
  });
  Value offsets = global(b, loc, owner, "offsets", [&] {
    std::vector<int64_t> off{0};
    for (StringRef k : keys)
      off.push_back(off.back() + static_cast<int64_t>(k.size()));
    return bytesOf(ArrayRef<int64_t>(off));
  });
  Value table = global(b, loc, owner, "slots", [&] {
    std::vector<int32_t> slot(slots, -1);
    for (size_t j = 0; j < keys.size(); ++j) {
      uint64_t s = lookupStringHash(keys[j]) & (slots - 1);
      while (slot[s] >= 0)
        s = (s + 1) & (slots - 1);
      slot[s] = static_cast<int32_t>(j);
    }
    return bytesOf(ArrayRef<int32_t>(slot));
  });
  LLVM::LLVMFuncOp memcmp = memcmpFunction(b, module);

  // The hash of the row's bytes: whole words, then the remaining bytes.
  Value one = i64(b, loc, 1);
  Value h = b.create<arith::XOrIOp>(loc, len, constI64(b, loc, kSeed));
  Value words = b.create<arith::ShRUIOp>(loc, len, i64(b, loc, 3));
  auto wordLoop = b.create<scf::ForOp>(
      loc, i64(b, loc, 0), words, one, ValueRange{h},
      [&](OpBuilder &nb, Location l, Value w, ValueRange acc) {
        Value at = nb.create<arith::ShLIOp>(l, w, i64(nb, l, 3));
        Value p = elementAddress(nb, l, i8, bytes, at);
        Value word = nb.create<LLVM::LoadOp>(l, i64t, p, /*alignment=*/1);
        nb.create<scf::YieldOp>(l, emitMix(nb, l, nb.create<arith::XOrIOp>(l, acc[0], word)));
      });
  Value tailStart = b.create<arith::ShLIOp>(loc, words, i64(b, loc, 3));
  auto byteLoop = b.create<scf::ForOp>(
      loc, tailStart, len, one, ValueRange{wordLoop.getResult(0)},
      [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
        Value c = nb.create<arith::ExtUIOp>(l, i64t, loadAt(nb, l, i8, bytes, i));
        nb.create<scf::YieldOp>(l, emitMix(nb, l, nb.create<arith::XOrIOp>(l, acc[0], c)));
      });
  Value mask = constI64(b, loc, slots - 1);
  Value first = b.create<arith::AndIOp>(loc, emitFinish(b, loc, byteLoop.getResult(0)), mask);

  // Probe from the first slot until an empty one (-1) or the key.
  auto probe =
      b.create<scf::WhileOp>(loc, TypeRange{i64t, i64t}, ValueRange{first, i64(b, loc, -1)});
  {
    OpBuilder::InsertionGuard g(b);
    Block *before = b.createBlock(&probe.getBefore(), {}, {i64t, i64t}, {loc, loc});
    Value slot = before->getArgument(0);
    Value e = b.create<arith::ExtSIOp>(loc, i64t, loadAt(b, loc, i32, table, slot));
    Value occupied = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, e, i64(b, loc, 0));
    auto check = b.create<scf::IfOp>(loc, TypeRange{b.getI1Type()}, occupied, true);
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(&check.getThenRegion().front());
      Value start = loadAt(b, loc, i64t, offsets, e);
      Value end = loadAt(b, loc, i64t, offsets, b.create<arith::AddIOp>(loc, e, one));
      Value keyLen = b.create<arith::SubIOp>(loc, end, start);
      Value sameLen = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, keyLen, len);
      auto cmp = b.create<scf::IfOp>(loc, TypeRange{b.getI1Type()}, sameLen, true);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(&cmp.getThenRegion().front());
        Value key = elementAddress(b, loc, i8, blob, start);
        Value r = b.create<LLVM::CallOp>(loc, memcmp, ValueRange{key, bytes, len}).getResult();
        Value differ =
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, r,
                                    b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(0)));
        b.create<scf::YieldOp>(loc, differ);
        b.setInsertionPointToStart(&cmp.getElseRegion().front());
        b.create<scf::YieldOp>(loc,
                               b.create<arith::ConstantOp>(loc, b.getBoolAttr(true)).getResult());
      }
      b.create<scf::YieldOp>(loc, cmp.getResult(0));
      b.setInsertionPointToStart(&check.getElseRegion().front());
      b.create<scf::YieldOp>(loc,
                             b.create<arith::ConstantOp>(loc, b.getBoolAttr(false)).getResult());
    }
    // Go on while the slot holds another key.
    b.create<scf::ConditionOp>(loc, check.getResult(0), ValueRange{slot, e});
    Block *after = b.createBlock(&probe.getAfter(), {}, {i64t, i64t}, {loc, loc});
    Value next = b.create<arith::AndIOp>(
        loc, b.create<arith::AddIOp>(loc, after->getArgument(0), one), mask);
    b.create<scf::YieldOp>(loc, ValueRange{next, after->getArgument(1)});
  }
  // The last slot read: -1 (empty) or the key's index.
  return probe.getResult(1);
}

} // namespace specjit
