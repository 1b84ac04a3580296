//===- tree_shapes.cpp - tree code shapes, measured side by side ----------===//
//
// The study behind the `walk` layout (docs/model-semantics.md, "Code
// shape"): one XGBoost ensemble evaluated by hand-written versions of each
// candidate shape, compiled by clang -O3 -march=native, timed in CPU time in
// one run. Every variant must reproduce the per-row walk bit for bit. Run by
// bench/tree_shapes/run.sh.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>
using namespace std;
struct Node {
  int f;
  float t;
  int l, r;
  int dl;
  float leaf;
};
static int F = 28, NR = 100000;
vector<vector<Node>> trees;
float base;
// BFS layout
vector<float> val;
vector<int32_t> meta, leftA, packed;
vector<int32_t> root, depthT;
vector<int32_t> gfirst, gend, gdepth;
static const int B = 256, G = 8;
void build() {
  for (auto &t : trees) {
    int b = val.size();
    root.push_back(b);
    vector<int> order{0}, dep{0};
    int md = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      const Node &n = t[order[i]];
      int self = b + i;
      if (n.f < 0) {
        val.push_back(n.leaf);
        meta.push_back(F * B * 2 + 1);
        leftA.push_back(self);
        packed.push_back((F << 21) | (1 << 20) | 0);
        md = max(md, dep[i]);
        continue;
      }
      val.push_back(n.t);
      meta.push_back(n.f * B * 2 + n.dl);
      int lc = b + order.size();
      leftA.push_back(lc);
      packed.push_back((n.f << 21) | (n.dl << 20) | (lc - self));
      order.push_back(n.l);
      order.push_back(n.r);
      dep.push_back(dep[i] + 1);
      dep.push_back(dep[i] + 1);
    }
    depthT.push_back(md);
  }
  for (size_t t = 0; t < trees.size(); t += G) {
    size_t e = min(trees.size(), t + G);
    gfirst.push_back(t);
    gend.push_back(e);
    gdepth.push_back(*max_element(depthT.begin() + t, depthT.begin() + e));
  }
}
// reference: per row per tree pointer walk
float ref(const float *x, int t) {
  const auto &tr = trees[t];
  int i = 0;
  while (tr[i].f >= 0) {
    float v = x[tr[i].f];
    i = isnan(v) ? (tr[i].dl ? tr[i].l : tr[i].r) : (v < tr[i].t ? tr[i].l : tr[i].r);
  }
  return tr[i].leaf;
}
void runRef(const float *X, int n, float *out) {
  for (int r = 0; r < n; ++r) {
    float a = base;
    for (size_t t = 0; t < trees.size(); ++t)
      a += ref(X + r * F, t);
    out[r] = a;
  }
}

// V1: level-synchronous, 3 arrays
template <bool Packed> void runWalk(const float *X, int n, float *out) {
  alignas(64) float feats[(28 + 1) * B];
  alignas(64) int32_t nodes[G * B];
  alignas(64) float acc[B];
  for (int j = 0; j < B; ++j)
    feats[F * B + j] = NAN;
  for (int first = 0; first < n; first += B) {
    int cnt = min(B, n - first);
    for (int j = 0; j < cnt; ++j)
      for (int f = 0; f < F; ++f)
        feats[f * B + j] = X[(first + j) * F + f];
    for (int j = 0; j < cnt; ++j)
      acc[j] = base;
    for (size_t g = 0; g < gfirst.size(); ++g) {
      int f0 = gfirst[g], e = gend[g], d = gdepth[g];
      for (int t = f0; t < e; ++t) {
        int r = root[t];
        int32_t *nd = nodes + (t - f0) * B;
        if (Packed) {
          int m = packed[r];
          float th = val[r];
          const float *xr = feats + (m >> 21) * B;
          int dl = (m >> 20) & 1;
          int lc = r + (m & 0xFFFFF);
          for (int j = 0; j < cnt; ++j) {
            float x = xr[j];
            bool gl = x < th || (x != x && dl);
            nd[j] = lc + !gl;
          }
        } else {
          int m = meta[r];
          float th = val[r];
          int lc = leftA[r];
          for (int j = 0; j < cnt; ++j) {
            float x = feats[(m >> 1) + j];
            bool gl = x < th || (x != x && (m & 1));
            nd[j] = lc + !gl;
          }
        }
      }
      for (int lv = 1; lv < d; ++lv)
        for (int t = f0; t < e; ++t) {
          int32_t *nd = nodes + (t - f0) * B;
          for (int j = 0; j < cnt; ++j) {
            int c = nd[j];
            if (Packed) {
              int m = packed[c];
              float th = val[c];
              float x = feats[(m >> 21) * B + j];
              bool gl = x < th || (x != x && ((m >> 20) & 1));
              nd[j] = c + (m & 0xFFFFF) + !gl;
            } else {
              int m = meta[c];
              float th = val[c];
              int lc = leftA[c];
              float x = feats[(m >> 1) + j];
              bool gl = x < th || (x != x && (m & 1));
              nd[j] = lc + !gl;
            }
          }
        }
      for (int t = f0; t < e; ++t) {
        int32_t *nd = nodes + (t - f0) * B;
        for (int j = 0; j < cnt; ++j)
          acc[j] += val[nd[j]];
      }
    }
    for (int j = 0; j < cnt; ++j)
      out[first + j] = acc[j];
  }
}
// scalar branch-free level-synchronous packed
void runWalkScalar(const float *X, int n, float *out) {
  alignas(64) float feats[(28 + 1) * B];
  alignas(64) int32_t nodes[G * B];
  alignas(64) float acc[B];
  for (int j = 0; j < B; ++j)
    feats[F * B + j] = NAN;
  for (int first = 0; first < n; first += B) {
    int cnt = min(B, n - first);
    for (int j = 0; j < cnt; ++j)
      for (int f = 0; f < F; ++f)
        feats[f * B + j] = X[(first + j) * F + f];
    for (int j = 0; j < cnt; ++j)
      acc[j] = base;
    for (size_t g = 0; g < gfirst.size(); ++g) {
      int f0 = gfirst[g], e = gend[g], d = gdepth[g];
      for (int t = f0; t < e; ++t) {
        int32_t *nd = nodes + (t - f0) * B;
        int r = root[t];
#pragma clang loop vectorize(disable)
        for (int j = 0; j < cnt; ++j)
          nd[j] = r;
      }
      for (int lv = 0; lv < d; ++lv)
        for (int t = f0; t < e; ++t) {
          int32_t *nd = nodes + (t - f0) * B;
#pragma clang loop vectorize(disable) interleave(disable)
          for (int j = 0; j < cnt; ++j) {
            int c = nd[j];
            int m = packed[c];
            float th = val[c];
            float x = feats[(m >> 21) * B + j];
            int gr = !(x < th) & !(__builtin_isnan(x) & (m >> 20));
            nd[j] = c + (m & 0xFFFFF) + gr;
          }
        }
      for (int t = f0; t < e; ++t) {
        int32_t *nd = nodes + (t - f0) * B;
#pragma clang loop vectorize(disable)
        for (int j = 0; j < cnt; ++j)
          acc[j] += val[nd[j]];
      }
    }
    for (int j = 0; j < cnt; ++j)
      out[first + j] = acc[j];
  }
}
// per row, trees lockstep scalar
void runRowScalar(const float *X, int n, float *out) {
  for (int r = 0; r < n; ++r) {
    const float *x = X + r * F;
    float xs[29];
    memcpy(xs, x, F * 4);
    xs[F] = NAN;
    float a = base;
    for (size_t g = 0; g < gfirst.size(); ++g) {
      int f0 = gfirst[g], e = gend[g], d = gdepth[g];
      int nd[G];
      for (int t = f0; t < e; ++t)
        nd[t - f0] = root[t];
      for (int lv = 0; lv < d; ++lv)
#pragma clang loop vectorize(disable) unroll(full)
        for (int k = 0; k < G; ++k) {
          if (k >= e - f0)
            break;
          int c = nd[k];
          int m = packed[c];
          float th = val[c];
          float v = xs[m >> 21];
          int gr = !(v < th) & !(__builtin_isnan(v) & (m >> 20));
          nd[k] = c + (m & 0xFFFFF) + gr;
        }
      for (int k = 0; k < e - f0; ++k)
        a += val[nd[k]];
    }
    out[r] = a;
  }
}
// inf-rows trick: row f = NaN->-inf (NaN left), row F+f = NaN->+inf (NaN right), row 2F = -inf
// (leaves)
vector<int32_t> pinf;
vector<int32_t> rootv;
void buildInf() {
  for (size_t i = 0; i < val.size(); ++i) {
    int m = packed[i];
    int f = m >> 21, dl = (m >> 20) & 1, delta = m & 0xFFFFF;
    int row = f == F ? 2 * F : (dl ? f : F + f);
    pinf.push_back((row << 20) | delta);
  }
}
static const int R2 = 2 * 28 + 1;
void fillInf(const float *X, int first, int cnt, float *feats) {
  for (int j = 0; j < cnt; ++j)
    for (int f = 0; f < F; ++f) {
      float x = X[(first + j) * F + f];
      bool nn = x != x;
      feats[f * B + j] = nn ? -INFINITY : x;
      feats[(F + f) * B + j] = nn ? INFINITY : x;
    }
}
void runWalkInf(const float *X, int n, float *out) {
  alignas(64) static float feats[R2 * B];
  alignas(64) int32_t nodes[G * B];
  alignas(64) float acc[B];
  for (int j = 0; j < B; ++j)
    feats[2 * F * B + j] = -INFINITY;
  for (int first = 0; first < n; first += B) {
    int cnt = min(B, n - first);
    fillInf(X, first, cnt, feats);
    for (int j = 0; j < cnt; ++j)
      acc[j] = base;
    for (size_t g = 0; g < gfirst.size(); ++g) {
      int f0 = gfirst[g], e = gend[g], d = gdepth[g];
      for (int t = f0; t < e; ++t) {
        int32_t *nd = nodes + (t - f0) * B;
        int r = root[t];
#pragma clang loop vectorize(disable)
        for (int j = 0; j < cnt; ++j)
          nd[j] = r;
      }
      for (int lv = 0; lv < d; ++lv)
        for (int t = f0; t < e; ++t) {
          int32_t *nd = nodes + (t - f0) * B;
#pragma clang loop vectorize(disable) interleave(disable)
          for (int j = 0; j < cnt; ++j) {
            int c = nd[j];
            int m = pinf[c];
            float th = val[c];
            float x = feats[(m >> 20) * B + j];
            nd[j] = c + (m & 0xFFFFF) + !(x < th);
          }
        }
      for (int t = f0; t < e; ++t) {
        int32_t *nd = nodes + (t - f0) * B;
#pragma clang loop vectorize(disable)
        for (int j = 0; j < cnt; ++j)
          acc[j] += val[nd[j]];
      }
    }
    for (int j = 0; j < cnt; ++j)
      out[first + j] = acc[j];
  }
}
#ifdef WITH_SELECTS
void selTrees(const float *feats, float *acc, int cnt);
void runSel(const float *X, int n, float *out) {
  alignas(64) static float feats[R2 * B];
  alignas(64) float acc[B];
  for (int first = 0; first < n; first += B) {
    int cnt = min(B, n - first);
    fillInf(X, first, cnt, feats);
    for (int j = 0; j < cnt; ++j)
      acc[j] = base;
    selTrees(feats, acc, cnt);
    for (int j = 0; j < cnt; ++j)
      out[first + j] = acc[j];
  }
}
#endif
#include <time.h>
static double cpuns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
template <class Fn> double timeit(Fn fn, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    double t0 = cpuns();
    fn();
    best = min(best, cpuns() - t0);
  }
  return best;
}
int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tree_shapes MODEL.txt [ROWS] [REPS]\n");
    return 1;
  }
  ifstream in(argv[1]);
  int nt;
  in >> nt >> base;
  for (int t = 0; t < nt; ++t) {
    int nn;
    in >> nn;
    vector<Node> v(nn);
    for (auto &x : v)
      in >> x.f >> x.t >> x.l >> x.r >> x.dl >> x.leaf;
    trees.push_back(v);
  }
  build();
  buildInf();
  vector<float> X(size_t(NR) * F);
  FILE *fx = fopen("x.f32", "rb");
  if (!fx || fread(X.data(), 4, X.size(), fx) != X.size()) {
    fprintf(stderr, "cannot read x.f32\n");
    return 1;
  }
  fclose(fx);
  int rows = argc > 2 ? atoi(argv[2]) : NR;
  int reps = argc > 3 ? atoi(argv[3]) : 5;
  struct V {
    const char *name;
    void (*fn)(const float *, int, float *);
  } vs[] = {
      {"per-row pointer walk, branches", runRef},
      {"level walk, 3 arrays, gathers (vectorized)", runWalk<false>},
      {"level walk, packed, gathers (vectorized)", runWalk<true>},
      {"level walk, packed, scalar, NaN test", runWalkScalar},
      {"level walk, scalar, +-inf rows (specjit)", runWalkInf},
      {"per row, 8 trees in lockstep, scalar", runRowScalar},
#ifdef WITH_SELECTS
      {"selects, every node, immediates (vectorized)", runSel},
#endif
  };
  vector<float> want(rows), got(rows);
  runRef(X.data(), rows, want.data());
  printf("%d trees, %d rows; CPU ns per row, best of %d\n", nt, rows, reps);
  for (auto &v : vs) {
    double ns = timeit([&] { v.fn(X.data(), rows, got.data()); }, reps);
    int bad = 0;
    for (int r = 0; r < rows; ++r)
      bad += memcmp(&got[r], &want[r], 4) != 0;
    printf("  %-46s %9.1f%s\n", v.name, ns / rows, bad ? "  (WRONG)" : "");
  }
}
