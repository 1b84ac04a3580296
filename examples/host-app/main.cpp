// A host application of specjit: compiles a descriptor (a file, or a small
// pipeline built in C++), runs it over caller-owned columns and prints the
// output. Usage: host-app [DESC.json]; with a file, the inputs are made up
// from its declared types (numbers 0, 1, 2, ...; strings "a", "b", ...).
#include "specjit/specjit.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace specjit;
using namespace specjit::jit;

namespace {

int failWith(llvm::Error err) {
  std::fprintf(stderr, "host-app: %s\n", llvm::toString(std::move(err)).c_str());
  return 1;
}

llvm::Expected<Descriptor> descriptorFor(int argc, char **argv) {
  if (argc > 1)
    return Descriptor::fromFile(argv[1]);
  return PipelineBuilder("host_app")
      .input("x", DType::F64)
      .input("n", DType::I64, -1)
      .output(DType::F64)
      .standardize("x", 1.0, 2.0)
      .impute("n", 5)
      .expr("sum", "x + n")
      .build();
}

} // namespace

int main(int argc, char **argv) {
  auto d = descriptorFor(argc, argv);
  if (!d)
    return failWith(d.takeError());
  if (d->kind() != Kind::Pipeline && d->kind() != Kind::Model) {
    std::fprintf(stderr, "host-app: runs pipeline and model descriptors, not %s\n",
                 kindName(d->kind()).str().c_str());
    return 1;
  }
  auto k = compile(*d);
  if (!k)
    return failWith(k.takeError());

  // Caller-owned input buffers, one per declared input.
  const int64_t rows = 4;
  std::vector<std::vector<double>> f64s;
  std::vector<std::vector<float>> f32s;
  std::vector<std::vector<int64_t>> i64s;
  std::vector<std::vector<int32_t>> i32s;
  std::vector<std::vector<uint8_t>> bools;
  std::vector<std::vector<int64_t>> offsets;
  std::vector<std::string> bytes;
  const auto &inputs = d->inputs();
  f64s.reserve(inputs.size()), f32s.reserve(inputs.size()), i64s.reserve(inputs.size());
  i32s.reserve(inputs.size()), bools.reserve(inputs.size()), offsets.reserve(inputs.size());
  bytes.reserve(inputs.size());
  std::vector<Column> columns;
  for (const InputColumn &in : inputs) {
    switch (in.type) {
    case DType::F64:
      f64s.push_back({0.0, 1.0, 2.0, 3.0});
      columns.push_back(Column::f64(f64s.back().data(), rows));
      break;
    case DType::F32:
      f32s.push_back({0.0f, 1.0f, 2.0f, 3.0f});
      columns.push_back(Column::f32(f32s.back().data(), rows));
      break;
    case DType::I64:
      // The missing sentinel in the last row, when there is one.
      i64s.push_back({0, 1, 2, in.missing ? *in.missing : 3});
      columns.push_back(Column::i64(i64s.back().data(), rows));
      break;
    case DType::I32:
      i32s.push_back({0, 1, 2, 3});
      columns.push_back(Column::i32(i32s.back().data(), rows));
      break;
    case DType::Bool:
      bools.push_back({0, 1, 0, 1});
      columns.push_back(Column::boolean(bools.back().data(), rows));
      break;
    case DType::String:
      bytes.push_back("abcd");
      offsets.push_back({0, 1, 2, 3, 4});
      columns.push_back(Column::strings(offsets.back().data(), bytes.back().data(), rows));
      break;
    }
  }

  size_t cols = k->numOutputs();
  std::vector<double> out64;
  std::vector<float> out32;
  Output out = k->outputType() == DType::F32
                   ? (out32.resize(rows * cols), Output::f32(out32.data(), rows, cols))
                   : (out64.resize(rows * cols), Output::f64(out64.data(), rows, cols));
  if (auto err = k->run(columns, out))
    return failWith(std::move(err));

  std::printf("%s: backend %s, hash %s\n", d->name().empty() ? "(unnamed)" : d->name().c_str(),
              backendName(k->backend()).str().c_str(), k->hash().hex().c_str());
  for (size_t j = 0; j < cols; ++j)
    std::printf("%s%s", j ? "," : "", k->outputNames()[j].c_str());
  std::printf("\n");
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < cols; ++j) {
      double v = out32.empty() ? out64[r * cols + j] : out32[r * cols + j];
      std::printf("%s%.17g", j ? "," : "", v);
    }
    std::printf("\n");
  }
  return 0;
}
