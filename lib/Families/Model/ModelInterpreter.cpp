//===- ModelInterpreter.cpp - The generic interpreter of `model` ----------===//
//
// docs/model-semantics.md. A call runs in two layers:
//
//  1. the preprocessing (the model's PipelineSpec) runs on the pipeline
//     interpreter's program (FeatureProgram): data checks over every row
//     first, then, block by block, the features as f64 columns;
//  2. each block of features (cut into chunks of at most B rows so that the
//     per-call scratch stays within a budget) is evaluated by the model:
//     - linear and MLP layers column-at-a-time: z = w_0*x_0, z += w_j*x_j
//       for j = 1.., z += b (the page's order, per row), then the
//       activation;
//     - tree ensembles: the chunk's features are transposed to rows (f32
//       under `float32`, rounded once per row); then tree by tree, for each
//       row, an iterative walk of the tree's packed nodes, adding the leaf
//       to its group's accumulator (starting from the base score; with
//       `average`, the sum of the leaves is divided by the group's tree
//       count, then added to the base score);
//     - the link on the f64 margins (identity, logistic, softmax, argmax), or
//       none under `margin`;
//     - a scatter of the result columns into the row-major output.
//
// Trees are repacked at create() time in breadth-first order so that the two
// children of a split are adjacent (right = left + 1), and a node is
// {threshold or leaf, feature and flags, left}: 12 bytes under float32, 16
// otherwise (see PackedNode). A step is branch-free, and a leaf steps to
// itself, so 8 rows walk a tree in lockstep (their chains of dependent loads
// overlap) until all of them stand on leaves; per row, the nodes visited and
// the comparisons made are exactly those of the page's walk.
//
// Every operation is the page's, in its order, so a compiled kernel agrees
// bit for bit (up to exp/tanh through a vector math library).
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Interpreter/Interpreter.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

namespace specjit {
namespace interp {

namespace {

using jit::Activation;
using jit::DType;
using jit::Link;
using jit::ModelType;

/// Per-call scratch budget of the model stage; chunks shrink below
/// kInterpreterBlockRows when a model is so wide that full blocks would
/// exceed it.
constexpr int64_t kModelScratchBudgetBytes = 8 << 20;

llvm::Error modelError(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "interpreter: model: " + msg);
}

/// A packed tree node. Splits: `fd` = feature * 4 + (1 when a missing value
/// goes right), children at `left` and `left + 1` (tree-relative), `value`
/// the threshold. Leaves: `fd` = 2 (bit 1 set: never move; reads feature 0),
/// `left` their own index, `value` the leaf. A step from a leaf stays on it,
/// so several rows can walk in lockstep without branches.
template <class T> struct PackedNode {
  T value;
  int32_t fd;
  int32_t left;
};

constexpr int32_t kLeafBit = 2;

/// One step of a walk: the next node from node `nd` for row `x`.
template <class T> inline int32_t step(const PackedNode<T> &nd, const T *__restrict x) {
  int32_t fd = nd.fd;
  T v = x[fd >> 2];
  // !(v < threshold) is 1 for NaN; a NaN then goes right only when its
  // default is right. Leaves never move.
  int32_t notLess = !(v < nd.value);
  int32_t notNaN = v == v;
  int32_t right = notLess & (notNaN | fd) & ~(fd >> 1) & 1;
  return nd.left + right;
}

/// Rows walked in lockstep through one tree.
constexpr int kLanes = 8;

struct Layer {
  int32_t inputs = 0, outputs = 0;
  std::vector<double> weights; // outputs x inputs
  std::vector<double> biases;
  Activation act = Activation::Identity;
};

/// Per-call scratch; allocation never throws.
struct Scratch {
  int64_t B = 0;
  std::unique_ptr<double[]> f64; // every f64 area
  std::unique_ptr<float[]> f32;  // float32 ensembles: rows, accumulators
  std::unique_ptr<const double *[]> ptrs;
  double *margins = nullptr;     // K columns of B
  double *aux = nullptr;         // 2 columns of B
  double *rows64 = nullptr;      // B x F, row-major (f64 ensembles)
  double *layers = nullptr;      // 2 x maxWidth columns of B (MLP)
  float *rows32 = nullptr;       // B x F (float32 ensembles)
  float *acc32 = nullptr;        // K columns of B (float32 ensembles)
  const double **feat = nullptr; // F pointers: the chunk's features
  const double **hin = nullptr;  // maxWidth pointers: a layer's inputs
  const double **res = nullptr;  // output column pointers
};

template <class T> bool allocArray(std::unique_ptr<T[]> &p, size_t n) {
  if (n == 0)
    return true;
  p.reset(new (std::nothrow) T[n]);
  return p != nullptr;
}

/// z[r] = ((w[0]*x_0[r] + w[1]*x_1[r]) + ...) + b over n rows.
void affine(double *__restrict z, const double *w, const double *const *x, int64_t in, double b,
            int64_t n) {
  if (in == 0) {
    for (int64_t r = 0; r < n; ++r)
      z[r] = b;
    return;
  }
  {
    const double *__restrict x0 = x[0];
    double w0 = w[0];
    for (int64_t r = 0; r < n; ++r)
      z[r] = w0 * x0[r];
  }
  for (int64_t j = 1; j < in; ++j) {
    const double *__restrict xj = x[j];
    double wj = w[j];
    for (int64_t r = 0; r < n; ++r)
      z[r] = z[r] + wj * xj[r];
  }
  for (int64_t r = 0; r < n; ++r)
    z[r] = z[r] + b;
}

inline double logistic(double z) { return 1.0 / (1.0 + std::exp(-z)); }

void activate(double *__restrict z, Activation a, int64_t n) {
  switch (a) {
  case Activation::Identity:
    return;
  case Activation::Relu:
    for (int64_t r = 0; r < n; ++r)
      z[r] = z[r] > 0.0 ? z[r] : 0.0;
    return;
  case Activation::Tanh:
    for (int64_t r = 0; r < n; ++r)
      z[r] = std::tanh(z[r]);
    return;
  case Activation::Logistic:
    for (int64_t r = 0; r < n; ++r)
      z[r] = logistic(z[r]);
    return;
  }
}

/// The leaf values reached by rows [0, n) of X (rows of `stride` values) in
/// the packed tree `t`, to `add` (or store, when `store`) into a[0, n).
/// kLanes rows walk together, until each has reached a leaf.
template <class T>
void walkRows(const PackedNode<T> *__restrict t, const T *__restrict X, int64_t stride,
              T *__restrict a, int64_t n, bool store) {
  int64_t r = 0;
  for (; r + kLanes <= n; r += kLanes) {
    const T *x = X + r * stride;
    int64_t i[kLanes];
    for (int l = 0; l < kLanes; ++l)
      i[l] = 0;
    int32_t moving;
    do {
      moving = 0;
#pragma GCC unroll 8
      for (int l = 0; l < kLanes; ++l) {
        const PackedNode<T> &nd = t[i[l]];
        moving |= ~nd.fd & kLeafBit;
        i[l] = step(nd, x + l * stride);
      }
    } while (moving);
    for (int l = 0; l < kLanes; ++l)
      a[r + l] = store ? t[i[l]].value : a[r + l] + t[i[l]].value;
  }
  for (; r < n; ++r) {
    const T *x = X + r * stride;
    int32_t i = 0;
    while (!(t[i].fd & kLeafBit))
      i = step(t[i], x);
    a[r] = store ? t[i].value : a[r] + t[i].value;
  }
}

/// Writes `m` f64 columns of `n` rows as rows of U.
template <class U> void interleave(const double *const *cols, U *out, int64_t m, int64_t n) {
  for (int64_t j = 0; j < m; ++j) {
    const double *__restrict c = cols[j];
    U *__restrict o = out + j;
    for (int64_t r = 0; r < n; ++r)
      o[r * m] = static_cast<U>(c[r]);
  }
}

class ModelInterpreter final : public Interpreter {
public:
  static llvm::Expected<std::unique_ptr<ModelInterpreter>> build(const jit::ModelSpec &spec);

  int64_t run(const void *const *args, void *out, int64_t rows) const override;
  std::string describeFailure(const void *const *args, int64_t row) const override {
    return features_->describeFailure(args, row);
  }

private:
  llvm::Error buildTrees(const jit::ModelSpec &spec);
  llvm::Error buildMlp(const jit::ModelSpec &spec);
  bool allocate(Scratch &s) const;
  /// Values per row of a tree ensemble's feature rows (at least one).
  int64_t rowStride() const { return std::max<int64_t>(F_, 1); }

  /// Evaluates rows [base, base + n) of the call (n <= B) whose features are
  /// s.feat, and writes them to `out`.
  void evalChunk(Scratch &s, void *out, int64_t base, int64_t n) const;
  void evalLinear(Scratch &s, int64_t n) const;
  void evalMlp(Scratch &s, int64_t n) const;
  template <class T> void evalTrees(Scratch &s, int64_t n) const;
  /// Applies the link to s.margins; sets s.res.
  void applyLink(Scratch &s, int64_t n) const;

  std::unique_ptr<FeatureProgram> features_;
  ModelType type_ = ModelType::Linear;
  int64_t F_ = 0, K_ = 1, C_ = 1;
  Link link_ = Link::Identity;
  bool margin_ = false;
  DType outType_ = DType::F32;
  int64_t B_ = kInterpreterBlockRows;

  // linear
  std::vector<double> weights_, intercepts_;

  // tree ensembles: trees in order, packed nodes of tree t from start_[t]
  std::vector<PackedNode<double>> nodes64_;
  std::vector<PackedNode<float>> nodes32_;
  std::vector<int64_t> start_;
  std::vector<int32_t> group_;
  std::vector<char> firstOfGroup_; // the first tree of its group
  std::vector<int64_t> count_;     // trees per group
  std::vector<double> base64_;
  std::vector<float> base32_;
  bool average_ = false, float32_ = false;

  // mlp
  std::vector<Layer> layers_;
  int64_t maxWidth_ = 0;
};

llvm::Expected<std::unique_ptr<ModelInterpreter>>
ModelInterpreter::build(const jit::ModelSpec &spec) {
  auto ip = std::make_unique<ModelInterpreter>();
  ModelInterpreter &M = *ip;

  auto fp = FeatureProgram::create(spec.pipeline);
  if (!fp)
    return fp.takeError();
  M.features_ = std::move(*fp);

  if (spec.numFeatures < 0)
    return modelError("negative number of features");
  M.F_ = spec.numFeatures;
  if (static_cast<int64_t>(M.features_->numColumns()) != M.F_)
    return modelError("the model reads " + std::to_string(M.F_) +
                      " features but the preprocessing yields " +
                      std::to_string(M.features_->numColumns()) + " columns");
  if (spec.numOutputs < 1)
    return modelError("the model has no outputs");
  M.K_ = spec.numOutputs;
  M.type_ = spec.type;
  M.link_ = spec.link;
  M.margin_ = spec.margin;
  if (spec.outputType != DType::F32 && spec.outputType != DType::F64)
    return modelError("output type must be f32 or f64");
  M.outType_ = spec.outputType;
  M.C_ = (!M.margin_ && M.link_ == Link::Argmax) ? 1 : M.K_;
  if (!spec.outputNames.empty() && static_cast<int64_t>(spec.outputNames.size()) != M.C_)
    return modelError(std::to_string(spec.outputNames.size()) + " output columns named, " +
                      std::to_string(M.C_) + " expected");

  switch (spec.type) {
  case ModelType::Linear:
    if (static_cast<int64_t>(spec.weights.size()) != M.K_ * M.F_)
      return modelError("linear weights are not num_outputs x num_features");
    if (static_cast<int64_t>(spec.intercepts.size()) != M.K_)
      return modelError("linear intercepts are not one per output");
    M.weights_ = spec.weights;
    M.intercepts_ = spec.intercepts;
    break;
  case ModelType::TreeEnsemble:
    if (llvm::Error e = M.buildTrees(spec))
      return std::move(e);
    break;
  case ModelType::Mlp:
    if (llvm::Error e = M.buildMlp(spec))
      return std::move(e);
    break;
  default:
    return modelError("unknown model type");
  }

  // Chunk rows: the scratch per row, within the budget.
  int64_t perRow = (M.K_ + 2) * 8; // margins, aux
  if (M.type_ == ModelType::TreeEnsemble)
    perRow += M.float32_ ? (M.rowStride() + M.K_) * 4 : M.rowStride() * 8;
  if (M.type_ == ModelType::Mlp)
    perRow += 2 * M.maxWidth_ * 8;
  M.B_ = std::max<int64_t>(
      1, std::min<int64_t>(kInterpreterBlockRows, kModelScratchBudgetBytes / perRow));
  return ip;
}

llvm::Error ModelInterpreter::buildTrees(const jit::ModelSpec &spec) {
  if (spec.trees.empty())
    return modelError("a tree ensemble needs trees");
  if (!spec.baseScore.empty() && static_cast<int64_t>(spec.baseScore.size()) != K_)
    return modelError("base_score is not one per output");
  if (F_ >= (int64_t(1) << 29))
    return modelError("too many features for a tree ensemble");
  average_ = spec.average;
  float32_ = spec.float32;
  for (int64_t k = 0; k < K_; ++k) {
    double b = spec.baseScore.empty() ? 0.0 : spec.baseScore[k];
    base64_.push_back(b);
    base32_.push_back(static_cast<float>(b));
  }
  count_.assign(K_, 0);

  std::vector<int32_t> order;   // new position -> old index
  std::vector<int32_t> newLeft; // new position -> new left (splits)
  std::vector<char> reached;    // old index -> reached from the root
  for (size_t t = 0; t < spec.trees.size(); ++t) {
    const jit::Tree &tree = spec.trees[t];
    std::string where = "trees[" + std::to_string(t) + "]";
    if (tree.group < 0 || tree.group >= K_)
      return modelError(where + ": group " + std::to_string(tree.group) + " is not an output");
    const std::vector<jit::TreeNode> &nodes = tree.nodes;
    int64_t size = static_cast<int64_t>(nodes.size());
    if (size == 0)
      return modelError(where + ": no nodes");
    // Breadth-first from the root: the children of a split get adjacent
    // positions. Children are later nodes, so every walk ends; a node
    // reached twice would make the count exceed the size.
    order.assign(1, 0);
    newLeft.assign(1, -1);
    reached.assign(nodes.size(), 0);
    reached[0] = 1;
    for (size_t p = 0; p < order.size(); ++p) {
      int32_t i = order[p];
      const jit::TreeNode &nd = nodes[i];
      if (nd.feature < 0)
        continue;
      std::string at = where + ".nodes[" + std::to_string(i) + "]";
      if (nd.feature >= F_)
        return modelError(at + ": feature " + std::to_string(nd.feature) + " out of range (" +
                          std::to_string(F_) + " features)");
      if (nd.left <= i || nd.left >= size || nd.right <= i || nd.right >= size)
        return modelError(at + ": children must be later nodes of the tree");
      if (reached[nd.left] || reached[nd.right] || nd.left == nd.right)
        return modelError(at + ": a node is reached more than once");
      reached[nd.left] = reached[nd.right] = 1;
      newLeft[p] = static_cast<int32_t>(order.size());
      order.push_back(nd.left);
      order.push_back(nd.right);
      newLeft.push_back(-1);
      newLeft.push_back(-1);
    }
    int64_t start = static_cast<int64_t>(float32_ ? nodes32_.size() : nodes64_.size());
    if (start + static_cast<int64_t>(order.size()) > (int64_t(1) << 31) - 1)
      return modelError("too many tree nodes");
    start_.push_back(start);
    for (size_t p = 0; p < order.size(); ++p) {
      const jit::TreeNode &nd = nodes[order[p]];
      bool leaf = nd.feature < 0;
      int32_t fd = leaf ? kLeafBit : nd.feature * 4 + (nd.defaultLeft ? 0 : 1);
      int32_t left = leaf ? static_cast<int32_t>(p) : newLeft[p];
      double v = leaf ? nd.leaf : nd.threshold;
      if (float32_)
        nodes32_.push_back({static_cast<float>(v), fd, left});
      else
        nodes64_.push_back({v, fd, left});
    }
    group_.push_back(tree.group);
    firstOfGroup_.push_back(count_[tree.group] == 0);
    ++count_[tree.group];
  }
  return llvm::Error::success();
}

llvm::Error ModelInterpreter::buildMlp(const jit::ModelSpec &spec) {
  if (spec.layers.empty())
    return modelError("an MLP needs layers");
  int64_t in = F_;
  for (size_t l = 0; l < spec.layers.size(); ++l) {
    const jit::DenseLayer &dl = spec.layers[l];
    std::string where = "layers[" + std::to_string(l) + "]";
    if (dl.inputs != in)
      return modelError(where + ": takes " + std::to_string(dl.inputs) + " inputs, " +
                        std::to_string(in) + " expected");
    if (dl.outputs < 1)
      return modelError(where + ": no outputs");
    if (static_cast<int64_t>(dl.weights.size()) != static_cast<int64_t>(dl.outputs) * dl.inputs ||
        static_cast<int64_t>(dl.biases.size()) != dl.outputs)
      return modelError(where + ": weights or biases do not match its shape");
    Layer L;
    L.inputs = dl.inputs;
    L.outputs = dl.outputs;
    L.weights = dl.weights;
    L.biases = dl.biases;
    L.act = dl.activation;
    layers_.push_back(std::move(L));
    maxWidth_ = std::max<int64_t>(maxWidth_, dl.outputs);
    in = dl.outputs;
  }
  if (in != K_)
    return modelError("the last layer has " + std::to_string(in) + " outputs, num_outputs is " +
                      std::to_string(K_));
  return llvm::Error::success();
}

bool ModelInterpreter::allocate(Scratch &s) const {
  int64_t B = s.B = B_;
  int64_t nf64 = (K_ + 2) * B;
  int64_t nf32 = 0;
  bool trees = type_ == ModelType::TreeEnsemble;
  if (trees && !float32_)
    nf64 += rowStride() * B;
  if (trees && float32_)
    nf32 = (rowStride() + K_) * B;
  if (type_ == ModelType::Mlp)
    nf64 += 2 * maxWidth_ * B;
  int64_t nptr = F_ + maxWidth_ + std::max(C_, K_);
  if (!allocArray(s.f64, static_cast<size_t>(nf64)) ||
      !allocArray(s.f32, static_cast<size_t>(nf32)) ||
      !allocArray(s.ptrs, static_cast<size_t>(nptr)))
    return false;
  double *p = s.f64.get();
  s.margins = p;
  p += K_ * B;
  s.aux = p;
  p += 2 * B;
  if (trees && !float32_) {
    s.rows64 = p;
    p += rowStride() * B;
  }
  if (type_ == ModelType::Mlp)
    s.layers = p;
  if (nf32) {
    s.rows32 = s.f32.get();
    s.acc32 = s.rows32 + rowStride() * B;
  }
  s.feat = s.ptrs.get();
  s.hin = s.feat + F_;
  s.res = s.hin + maxWidth_;
  return true;
}

void ModelInterpreter::evalLinear(Scratch &s, int64_t n) const {
  for (int64_t k = 0; k < K_; ++k)
    affine(s.margins + k * s.B, weights_.data() + k * F_, s.feat, F_, intercepts_[k], n);
}

void ModelInterpreter::evalMlp(Scratch &s, int64_t n) const {
  const double *const *in = s.feat;
  int64_t B = s.B;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer &L = layers_[l];
    bool last = l + 1 == layers_.size();
    // The last layer writes the margins; the others alternate between two
    // areas of maxWidth columns.
    double *z = last ? s.margins : s.layers + (l % 2) * maxWidth_ * B;
    for (int64_t o = 0; o < L.outputs; ++o) {
      double *zo = z + o * B;
      affine(zo, L.weights.data() + o * L.inputs, in, L.inputs, L.biases[o], n);
      activate(zo, L.act, n);
    }
    for (int64_t o = 0; o < L.outputs; ++o)
      s.hin[o] = z + o * B;
    in = s.hin;
  }
}

template <class T> void ModelInterpreter::evalTrees(Scratch &s, int64_t n) const {
  constexpr bool F32 = std::is_same_v<T, float>;
  int64_t B = s.B;
  // Rows of features (rounded to f32 once per row under float32).
  T *X = nullptr;
  if constexpr (F32)
    X = s.rows32;
  else
    X = s.rows64;
  int64_t stride = rowStride();
  for (int64_t j = 0; j < F_; ++j) {
    const double *__restrict c = s.feat[j];
    T *__restrict d = X + j;
    for (int64_t r = 0; r < n; ++r)
      d[r * stride] = static_cast<T>(c[r]);
  }
  if (F_ == 0) // leaves read feature 0
    for (int64_t r = 0; r < n; ++r)
      X[r] = T(0);
  // Accumulators: the base score, or (average) the sum of the leaves.
  T *acc = nullptr;
  const PackedNode<T> *nodes = nullptr;
  if constexpr (F32) {
    acc = s.acc32;
    nodes = nodes32_.data();
  } else {
    acc = s.margins;
    nodes = nodes64_.data();
  }
  if (!average_)
    for (int64_t k = 0; k < K_; ++k) {
      T b;
      if constexpr (F32)
        b = base32_[k];
      else
        b = base64_[k];
      T *__restrict a = acc + k * B;
      for (int64_t r = 0; r < n; ++r)
        a[r] = b;
    }
  size_t numTrees = start_.size();
  for (size_t t = 0; t < numTrees; ++t) {
    const PackedNode<T> *tree = nodes + start_[t];
    int32_t g = group_[t];
    T *__restrict a = acc + g * B;
    // Average: the sum starts with the group's first leaf (v_1 + v_2 + ...).
    walkRows(tree, X, stride, a, n, average_ && firstOfGroup_[t]);
  }
  for (int64_t k = 0; k < K_; ++k) {
    T *__restrict a = acc + k * B;
    double *__restrict m = s.margins + k * B;
    T b;
    if constexpr (F32)
      b = base32_[k];
    else
      b = base64_[k];
    if (average_) {
      if (count_[k] == 0) {
        for (int64_t r = 0; r < n; ++r)
          m[r] = static_cast<double>(b);
        continue;
      }
      T cnt = static_cast<T>(count_[k]);
      for (int64_t r = 0; r < n; ++r)
        m[r] = static_cast<double>(static_cast<T>(b + a[r] / cnt));
    } else if constexpr (F32) {
      for (int64_t r = 0; r < n; ++r)
        m[r] = static_cast<double>(a[r]);
    }
  }
}

void ModelInterpreter::applyLink(Scratch &s, int64_t n) const {
  int64_t B = s.B;
  double *M = s.margins;
  if (margin_ || link_ == Link::Identity) {
    for (int64_t k = 0; k < K_; ++k)
      s.res[k] = M + k * B;
    return;
  }
  switch (link_) {
  case Link::Identity:
    break;
  case Link::Logistic:
    for (int64_t k = 0; k < K_; ++k) {
      double *__restrict m = M + k * B;
      for (int64_t r = 0; r < n; ++r)
        m[r] = logistic(m[r]);
      s.res[k] = m;
    }
    return;
  case Link::Softmax: {
    double *__restrict mx = s.aux;
    double *__restrict sum = s.aux + B;
    for (int64_t r = 0; r < n; ++r)
      mx[r] = M[r];
    for (int64_t k = 1; k < K_; ++k) {
      const double *__restrict m = M + k * B;
      for (int64_t r = 0; r < n; ++r)
        mx[r] = m[r] > mx[r] ? m[r] : mx[r];
    }
    for (int64_t k = 0; k < K_; ++k) {
      double *__restrict m = M + k * B;
      for (int64_t r = 0; r < n; ++r)
        m[r] = std::exp(m[r] - mx[r]);
    }
    for (int64_t r = 0; r < n; ++r)
      sum[r] = M[r];
    for (int64_t k = 1; k < K_; ++k) {
      const double *__restrict e = M + k * B;
      for (int64_t r = 0; r < n; ++r)
        sum[r] = sum[r] + e[r];
    }
    for (int64_t k = 0; k < K_; ++k) {
      double *__restrict m = M + k * B;
      for (int64_t r = 0; r < n; ++r)
        m[r] = m[r] / sum[r];
      s.res[k] = m;
    }
    return;
  }
  case Link::Argmax: {
    // The smallest index of the largest margin; a NaN margin never wins
    // (all NaN: 0).
    double *__restrict best = s.aux;
    double *__restrict idx = s.aux + B;
    for (int64_t r = 0; r < n; ++r) {
      best[r] = M[r];
      idx[r] = 0.0;
    }
    for (int64_t k = 1; k < K_; ++k) {
      const double *__restrict m = M + k * B;
      double kk = static_cast<double>(k);
      for (int64_t r = 0; r < n; ++r) {
        bool take = m[r] > best[r] || (best[r] != best[r] && m[r] == m[r]);
        best[r] = take ? m[r] : best[r];
        idx[r] = take ? kk : idx[r];
      }
    }
    s.res[0] = idx;
    return;
  }
  }
}

void ModelInterpreter::evalChunk(Scratch &s, void *out, int64_t base, int64_t n) const {
  switch (type_) {
  case ModelType::Linear:
    evalLinear(s, n);
    break;
  case ModelType::Mlp:
    evalMlp(s, n);
    break;
  case ModelType::TreeEnsemble:
    if (float32_)
      evalTrees<float>(s, n);
    else
      evalTrees<double>(s, n);
    break;
  }
  applyLink(s, n);
  if (outType_ == DType::F32)
    interleave(s.res, static_cast<float *>(out) + base * C_, C_, n);
  else
    interleave(s.res, static_cast<double *>(out) + base * C_, C_, n);
}

int64_t ModelInterpreter::run(const void *const *args, void *out, int64_t rows) const {
  if (rows <= 0)
    return 0;
  Scratch s;
  if (!allocate(s))
    return -1;
  auto block = [&](const double *const *cols, int64_t base, int64_t n) {
    for (int64_t off = 0; off < n; off += s.B) {
      int64_t m = std::min(s.B, n - off);
      for (int64_t j = 0; j < F_; ++j)
        s.feat[j] = cols[j] + off;
      evalChunk(s, out, base + off, m);
    }
  };
  return features_->run(args, rows, block);
}

} // namespace

llvm::Expected<std::unique_ptr<Interpreter>> createModelInterpreter(const jit::ModelSpec &spec) {
  auto ip = ModelInterpreter::build(spec);
  if (!ip)
    return ip.takeError();
  return std::unique_ptr<Interpreter>(std::move(*ip));
}

} // namespace interp
} // namespace specjit
