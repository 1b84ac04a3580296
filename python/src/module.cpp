//===- module.cpp - specjit's Python extension (_specjit) -----------------===//
//
// The thin C++ layer under python/specjit: descriptors go in as JSON text,
// columns as numpy arrays, and the calls reach the C++ API directly. The
// arrays a kernel reads are used in place (the Python layer, specjit/
// __init__.py, decides which arrays qualify and converts the others once);
// the GIL is released while a kernel runs or a model trains. Every
// llvm::Error becomes specjit.Error, whose `path` is the JSON path (or
// "row N") the message starts with.
//
//===----------------------------------------------------------------------===//

#include "specjit/Cache.h"
#include "specjit/Errors.h"
#include "specjit/Import.h"
#include "specjit/specjit.h"

#include "llvm/ADT/SmallVector.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace py = pybind11;
using namespace specjit::jit;

namespace {

/// The exception type errors raise: specjit.Error once the package set it.
PyObject *errorType = nullptr;

[[noreturn]] void raise(llvm::Error err) {
  std::string message = llvm::toString(std::move(err));
  PyErr_SetString(errorType, message.c_str());
  throw py::error_already_set();
}

template <typename T> T unwrap(llvm::Expected<T> v) {
  if (!v)
    raise(v.takeError());
  return std::move(*v);
}

void check(llvm::Error err) {
  if (err)
    raise(std::move(err));
}

Descriptor parseDescriptor(const std::string &text) { return unwrap(Descriptor::parse(text)); }

/// A column handed over by the Python layer: a contiguous 1-D array of the
/// right dtype (kept alive by the caller for the call), or, for strings,
/// int64 offsets (rows + 1) and a uint8 byte array.
Column columnOf(const InputColumn &decl, const py::object &obj, int64_t &rows) {
  auto data = [](const py::array &a) { return a.request().ptr; };
  if (decl.type == DType::String) {
    auto pair = obj.cast<py::tuple>();
    py::array offsets = pair[0], bytes = pair[1];
    int64_t n = static_cast<int64_t>(offsets.size()) - 1;
    rows = n;
    return Column::strings(static_cast<const int64_t *>(data(offsets)),
                           static_cast<const char *>(data(bytes)), n);
  }
  py::array a = obj.cast<py::array>();
  rows = static_cast<int64_t>(a.size());
  Column c;
  c.type = decl.type;
  c.data = data(a);
  c.rows = rows;
  return c;
}

std::vector<Column> columnsOf(const std::vector<InputColumn> &decl, const py::list &cols) {
  if (cols.size() != decl.size())
    throw py::value_error("expected " + std::to_string(decl.size()) + " columns, got " +
                          std::to_string(cols.size()));
  std::vector<Column> out;
  for (size_t i = 0; i < decl.size(); ++i) {
    int64_t rows = 0;
    out.push_back(columnOf(decl[i], cols[i], rows));
  }
  return out;
}

Output outputOf(const Kernel &k, py::array &out) {
  py::buffer_info info = out.request(/*writable=*/true);
  int64_t cols = static_cast<int64_t>(k.numOutputs());
  int64_t rows = info.ndim == 0 ? 0 : info.shape[0];
  Output o;
  o.type = k.outputType();
  o.data = info.ptr;
  o.rows = rows;
  o.cols = cols;
  return o;
}

/// Binds `cols` and `out` for `kernel` and calls `runner(inputs, output)`
/// (a Kernel's or a Stream's run) with the GIL released.
template <typename Runner>
void runReleased(const Kernel &kernel, const py::list &cols, py::array &out, Runner runner) {
  std::vector<Column> in = columnsOf(kernel.descriptor().inputs(), cols);
  Output o = outputOf(kernel, out);
  llvm::Error err = llvm::Error::success();
  {
    py::gil_scoped_release release;
    err = runner(in, o);
  }
  check(std::move(err));
}

/// The numpy type number of a kernel's column type (none for strings).
std::optional<int> numpyType(DType t) {
  switch (t) {
  case DType::F64:
    return py::dtype::of<double>().num();
  case DType::F32:
    return py::dtype::of<float>().num();
  case DType::I64:
    return py::dtype::of<int64_t>().num();
  case DType::I32:
    return py::dtype::of<int32_t>().num();
  case DType::Bool:
    return py::dtype::of<uint8_t>().num();
  case DType::String:
    return std::nullopt;
  }
  return std::nullopt;
}

/// Whether `obj` is an ndarray of numpy type `num`, `ndim` dimensions,
/// C-contiguous (and writeable when asked): what a kernel reads or writes
/// in place. Reads the array's header only (no buffer request).
bool fitsInPlace(const py::handle &obj, int num, int ndim, bool writeable) {
  if (!py::isinstance<py::array>(obj))
    return false;
  auto a = py::reinterpret_borrow<py::array>(obj);
  int want = py::array::c_style | (writeable ? py::detail::npy_api::NPY_ARRAY_WRITEABLE_ : 0);
  return a.ndim() == ndim && a.dtype().num() == num && (a.flags() & want) == want;
}

/// `call()` (a compile, a training, an evaluation: an llvm::Expected) run
/// with the GIL released; its result is handled with the GIL held again.
template <typename Call> auto withoutGil(Call call) {
  py::gil_scoped_release release;
  return call();
}

struct PyKernel {
  Kernel kernel;
  void run(const py::list &cols, py::array out) {
    runReleased(kernel, cols, out, [&](auto &in, auto &o) { return kernel.run(in, o); });
  }

  /// Kernel.run's fast path: `columns` a dict holding, for every input, an
  /// array the kernel reads in place, and `out` None or an array it writes
  /// in place. Returns the output, or None when anything does not fit (the
  /// Python layer then converts, checks and explains). Only what decides
  /// between the paths is checked here; Kernel::run checks the rest.
  py::object runFast(const py::handle &columns, const py::handle &out) {
    const Descriptor &d = kernel.descriptor();
    if (!PyDict_Check(columns.ptr()) || d.runShape() == RunShape::State)
      return py::none();
    const std::vector<InputColumn> &decls = d.inputs();
    llvm::SmallVector<Column, 16> in;
    in.reserve(decls.size());
    int64_t rows = -1;
    for (const InputColumn &decl : decls) {
      PyObject *v = PyDict_GetItemString(columns.ptr(), decl.name.c_str()); // borrowed
      std::optional<int> num = numpyType(decl.type);
      if (!v || !num || !fitsInPlace(v, *num, 1, false))
        return py::none();
      auto a = py::reinterpret_borrow<py::array>(v);
      int64_t n = static_cast<int64_t>(a.shape(0));
      if (rows >= 0 && n != rows)
        return py::none(); // the Python layer names the column
      rows = n;
      Column c;
      c.type = decl.type;
      c.data = a.data();
      c.rows = n;
      in.push_back(c);
    }
    if (rows < 0)
      return py::none();
    int outNum = *numpyType(kernel.outputType());
    int64_t cols = static_cast<int64_t>(kernel.numOutputs());
    py::array result;
    if (out.is_none()) {
      std::vector<py::ssize_t> shape{rows, cols};
      switch (kernel.outputType()) {
      case DType::F32:
        result = py::array_t<float>(shape);
        break;
      case DType::F64:
        result = py::array_t<double>(shape);
        break;
      default:
        return py::none(); // the Python layer allocates the rest
      }
    } else {
      if (!fitsInPlace(out, outNum, 2, true))
        return py::none();
      result = py::reinterpret_borrow<py::array>(out);
      if (result.shape(0) != rows || result.shape(1) != cols)
        return py::none();
    }
    Output o{kernel.outputType(), result.mutable_data(), rows, cols};
    llvm::Error err = llvm::Error::success();
    {
      py::gil_scoped_release release;
      err = kernel.run(in, o);
    }
    check(std::move(err));
    return std::move(result);
  }
};

struct PyStream {
  Stream stream;
  Kernel kernel;
  void run(const py::list &cols, py::array out) {
    runReleased(kernel, cols, out, [&](auto &in, auto &o) { return stream.run(in, o); });
  }
};

py::dict describe(const Descriptor &d) {
  py::dict out;
  out["kind"] = kindName(d.kind()).str();
  out["name"] = d.name();
  out["hash"] = d.hash().hex();
  out["canonical"] = d.canonical();
  py::list inputs;
  for (const InputColumn &c : d.inputs()) {
    py::dict col;
    col["name"] = c.name;
    col["type"] = dtypeName(c.type).str();
    if (c.missing)
      col["missing"] = *c.missing;
    inputs.append(col);
  }
  out["inputs"] = inputs;
  out["outputs"] = d.outputNames();
  out["output_type"] = dtypeName(d.outputType()).str();
  return out;
}

} // namespace

PYBIND11_MODULE(_specjit, m) {
  m.doc() = "specjit: descriptors to specialized native kernels (C++ layer)";
  errorType = PyErr_NewException("specjit._specjit.Error", PyExc_ValueError, nullptr);
  m.attr("Error") = py::handle(errorType);
  // The package installs its own specjit.Error (with `path`) here.
  m.def("_set_error_type", [](py::object type) { errorType = type.release().ptr(); });

  m.def(
      "describe", [](const std::string &text) { return describe(parseDescriptor(text)); },
      "Parses and validates descriptor text; its kind, hash, inputs and outputs.");

  py::class_<PyKernel>(m, "Kernel")
      .def_property_readonly(
          "backend", [](const PyKernel &k) { return backendName(k.kernel.backend()).str(); })
      .def_property_readonly("hash", [](const PyKernel &k) { return k.kernel.hash().hex(); })
      .def_property_readonly("fallback_reason",
                             [](const PyKernel &k) { return k.kernel.fallbackReason(); })
      .def_property_readonly("compile_ms",
                             [](const PyKernel &k) { return k.kernel.compileMillis(); })
      .def_property_readonly(
          "kind", [](const PyKernel &k) { return kindName(k.kernel.descriptor().kind()).str(); })
      .def_property_readonly("output_names",
                             [](const PyKernel &k) { return k.kernel.outputNames(); })
      .def_property_readonly(
          "output_type", [](const PyKernel &k) { return dtypeName(k.kernel.outputType()).str(); })
      .def_property_readonly("descriptor",
                             [](const PyKernel &k) { return describe(k.kernel.descriptor()); })
      .def_property_readonly(
          "tier_state", [](const PyKernel &k) { return tierStateName(k.kernel.tierState()).str(); })
      .def_property_readonly("threads", [](const PyKernel &k) { return k.kernel.threads(); })
      .def_property_readonly(
          "source", [](const PyKernel &k) { return kernelSourceName(k.kernel.source()).str(); })
      .def(
          "wait_for_compiled",
          [](const PyKernel &k, double seconds) {
            py::gil_scoped_release release;
            return k.kernel.waitForCompiled(
                std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, seconds) * 1000)));
          },
          py::arg("timeout"))
      .def("run", &PyKernel::run, py::arg("columns"), py::arg("out"))
      .def("run_fast", &PyKernel::runFast, py::arg("columns"), py::arg("out"))
      .def("stream",
           [](const PyKernel &k) { return PyStream{unwrap(k.kernel.stream()), k.kernel}; });

  py::class_<PyStream>(m, "Stream")
      .def("run", &PyStream::run, py::arg("columns"), py::arg("out"))
      .def_property_readonly("rows_seen", [](const PyStream &s) { return s.stream.rowsSeen(); })
      .def_property_readonly(
          "backend", [](const PyStream &s) { return backendName(s.stream.backend()).str(); });

  m.def(
      "compile",
      [](const std::string &text, std::optional<bool> specialize, const std::string &treeLayout,
         bool useCache, int optLevel, std::optional<std::string> tier, uint64_t compileAfterCalls,
         uint64_t compileAfterRows, bool costModel, bool verify, std::optional<bool> diskCache,
         unsigned threads) {
        Descriptor d = parseDescriptor(text);
        CompileOptions o;
        o.threads = threads;
        o.specialize = specialize;
        o.useCache = useCache;
        o.optLevel = optLevel;
        o.diskCache = diskCache;
        if (tier) {
          auto t = parseTier(*tier);
          if (!t)
            throw py::value_error("tier: expected sync or tiered");
          o.tier = *t;
        }
        o.tierPolicy.compileAfterCalls = compileAfterCalls;
        o.tierPolicy.compileAfterRows = compileAfterRows;
        o.tierPolicy.costModel = costModel;
        o.tierPolicy.verify = verify;
        if (auto l = parseTreeLayout(treeLayout))
          o.treeLayout = *l;
        else
          throw py::value_error("tree_layout: expected auto, branches or walk");
        return PyKernel{unwrap(withoutGil([&] { return compile(d, o); }))};
      },
      py::arg("descriptor"), py::arg("specialize") = py::none(), py::arg("tree_layout") = "auto",
      py::arg("use_cache") = true, py::arg("opt_level") = 3, py::arg("tier") = py::none(),
      py::arg("compile_after_calls") = TierPolicy().compileAfterCalls,
      py::arg("compile_after_rows") = TierPolicy().compileAfterRows,
      py::arg("cost_model") = TierPolicy().costModel, py::arg("verify") = TierPolicy().verify,
      py::arg("disk_cache") = py::none(), py::arg("threads") = 1u);

  m.def(
      "train",
      [](const std::string &text, const py::list &cols, std::optional<bool> specialize,
         py::object progress) {
        Descriptor d = parseDescriptor(text);
        std::vector<Column> in = columnsOf(d.inputs(), cols);
        TrainOptions o;
        o.specialize = specialize;
        std::atomic<bool> cancel{false};
        o.cancel = &cancel;
        if (!progress.is_none())
          o.progress = [&](const TrainProgress &p) {
            py::gil_scoped_acquire gil;
            try {
              progress(p.last.epoch, p.last.trainLoss, p.last.validationLoss, p.elapsedSeconds,
                       p.rowsPerSecond);
            } catch (py::error_already_set &e) {
              // An exception in the callback (KeyboardInterrupt included)
              // cancels the training; it is raised again below.
              cancel = true;
              e.restore();
            }
          };
        llvm::Expected<TrainResult> r = withoutGil([&] { return train(d, in, o); });
        if (PyErr_Occurred()) {
          if (!r)
            llvm::consumeError(r.takeError());
          throw py::error_already_set();
        }
        TrainResult res = unwrap(std::move(r));
        py::list history;
        for (const EpochRecord &e : res.history)
          history.append(py::make_tuple(e.epoch, e.trainLoss, e.validationLoss, e.seconds));
        py::dict out;
        out["model"] = res.modelJson;
        out["history"] = history;
        out["stop"] = stopReasonName(res.stop).str();
        out["best_epoch"] = res.bestEpoch;
        out["backend"] = backendName(res.backend).str();
        out["fallback_reason"] = res.fallbackReason;
        out["seconds"] = res.seconds;
        return out;
      },
      py::arg("descriptor"), py::arg("columns"), py::arg("specialize") = py::none(),
      py::arg("progress") = py::none());

  m.def(
      "evaluate",
      [](const std::string &text, const py::list &cols, std::optional<bool> specialize,
         unsigned threads) {
        Descriptor d = parseDescriptor(text);
        std::vector<Column> in = columnsOf(d.inputs(), cols);
        EvalOptions o;
        o.specialize = specialize;
        o.threads = threads;
        return evalResultJson(unwrap(withoutGil([&] { return evaluate(d, in, o); })));
      },
      py::arg("descriptor"), py::arg("columns"), py::arg("specialize") = py::none(),
      py::arg("threads") = 0);

  m.def(
      "import_xgboost",
      [](const std::string &modelJson, std::vector<std::string> features, bool margin,
         const std::string &name) {
        XGBoostImportOptions o;
        o.featureNames = std::move(features);
        o.margin = margin;
        o.name = name;
        return unwrap(importXGBoostJSON(modelJson, o));
      },
      py::arg("model_json"), py::arg("features") = std::vector<std::string>{},
      py::arg("margin") = false, py::arg("name") = "xgboost");

  m.def("set_specialize", &setSpecialize);
  m.def("specialize_enabled", &specializeEnabled);
  m.def("cache_stats", [] {
    CacheStats s = cacheStats();
    py::dict d;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["compiles"] = s.compiles;
    d["entries"] = s.entries;
    d["evictions"] = s.evictions;
    d["code_bytes"] = s.codeBytes;
    return d;
  });
  m.def("clear_cache", &clearCache);
  m.def("disk_cache_stats", [] {
    DiskCacheStats s = diskCacheStats();
    py::dict d, rejected;
    d["enabled"] = s.enabled;
    d["disabled_reason"] = s.disabledReason;
    d["directory"] = s.directory;
    d["entries"] = s.entries;
    d["bytes"] = s.bytes;
    d["max_bytes"] = s.maxBytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["stores"] = s.stores;
    d["store_failures"] = s.storeFailures;
    d["evictions"] = s.evictions;
    for (size_t i = 0; i < kDiskCacheRejectKinds; ++i)
      rejected[py::str(diskCacheRejectName(static_cast<DiskCacheReject>(i)).str())] = s.rejected[i];
    d["rejected"] = rejected;
    return d;
  });
  m.def(
      "stats_json", [] { return statsJson(stats()); },
      "jit::stats() as JSON text (docs/runtime.md).");
}
