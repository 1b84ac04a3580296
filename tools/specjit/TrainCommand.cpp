//===- TrainCommand.cpp - specjit train -----------------------------------===//
//
//   specjit train TRAIN.json --input DATA.csv --output MODEL.json
//                 [--history H.csv] [--no-specialize] [--quiet]
//
// Reads the inputs and the label from the CSV, trains, and writes the model
// descriptor (and the history) only when training succeeded. Progress goes
// to stderr: a redrawn bar when stderr is a terminal, one line per epoch
// otherwise; --quiet leaves it out. The summary goes to stdout.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "Table.h"

#include "specjit/Errors.h"
#include "specjit/specjit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace specjit {
namespace tools {

using namespace jit;

namespace {

/// A loss for the progress line and the summary; "-" when there is none.
std::string lossText(double v) { return shortNumber(v, "-"); }

/// "52.1k" style rates.
std::string rateText(double v) {
  if (v >= 1e6)
    return llvm::formatv("{0:f1}M", v / 1e6).str();
  if (v >= 1e3)
    return llvm::formatv("{0:f1}k", v / 1e3).str();
  return llvm::formatv("{0:f0}", v).str();
}

/// Draws the progress of one epoch: a bar on a terminal, a line otherwise.
void drawProgress(const TrainProgress &p, bool terminal) {
  const EpochRecord &e = p.last;
  double perEpoch = e.epoch ? p.elapsedSeconds / e.epoch : 0;
  double eta = perEpoch * static_cast<double>(p.epochs - e.epoch);
  std::string text = llvm::formatv("epoch {0}/{1}  loss {2}  val {3}  {4} rows/s  ETA {5:f1} s",
                                   e.epoch, p.epochs, lossText(e.trainLoss),
                                   lossText(e.validationLoss), rateText(p.rowsPerSecond), eta);
  if (!terminal) {
    llvm::errs() << text << "\n";
    return;
  }
  const int width = 24;
  int filled = p.epochs ? static_cast<int>(width * e.epoch / p.epochs) : width;
  std::string bar(filled, '=');
  bar.resize(width, ' ');
  llvm::errs() << "\r[" << bar << "] " << text << "\033[K";
  llvm::errs().flush();
}

/// Writes `text` to `path` through a temporary file in the same directory,
/// renamed into place, so a reader never sees half a file.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef text) {
  llvm::SmallString<256> tmp(path);
  tmp += ".tmp-%%%%%%";
  int fd;
  llvm::SmallString<256> tmpPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(tmp, fd, tmpPath))
    return llvm::createStringError(ec, "cannot write '" + path + "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmpPath);
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "cannot write '" + path + "'");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmpPath, path)) {
    llvm::sys::fs::remove(tmpPath);
    return llvm::createStringError(ec, "cannot write '" + path + "': " + ec.message());
  }
  return llvm::Error::success();
}

std::string historyCsv(const TrainResult &r) {
  std::string out = "epoch,train_loss,validation_loss,seconds\n";
  for (const EpochRecord &e : r.history) {
    out += llvm::formatv("{0},{1},{2},{3}\n", e.epoch, llvm::formatv("{0:e16}", e.trainLoss).str(),
                         std::isnan(e.validationLoss)
                             ? std::string()
                             : llvm::formatv("{0:e16}", e.validationLoss).str(),
                         llvm::formatv("{0:f6}", e.seconds).str())
               .str();
  }
  return out;
}

} // namespace

int cmdTrain(int argc, char **argv) {
  Args a(argc, argv, {"no-specialize", "quiet"}, {"input", "output", "history"});
  if (!a.error.empty())
    return fail(a.error);
  if (a.positional.size() != 1 || !a.has("input") || !a.has("output"))
    return fail("usage: specjit train TRAIN.json --input DATA.csv --output "
                "MODEL.json [--history H.csv] [--no-specialize] [--quiet]");
  auto d = Descriptor::fromFile(a.positional[0]);
  if (!d)
    return fail(d.takeError());
  if (d->kind() != Kind::Train)
    return fail(a.positional[0] + ": expected a train descriptor, got kind '" +
                kindName(d->kind()) + "'");
  std::string input = a.get("input");
  auto table = readCsv(input, d->inputs());
  if (!table)
    return fail(table.takeError());

  TrainOptions options;
  if (a.has("no-specialize"))
    options.specialize = false;
  bool terminal = isatty(STDERR_FILENO);
  bool drew = false;
  if (!a.has("quiet"))
    options.progress = [&](const TrainProgress &p) {
      drawProgress(p, terminal);
      drew = true;
    };
  auto result = train(*d, table->views(), options);
  if (drew && terminal)
    llvm::errs() << "\n";
  if (!result) {
    // A data error names the CSV line: the header is line 1.
    llvm::Error rest =
        llvm::handleErrors(result.takeError(), [&](const RowError &e) -> llvm::Error {
          return llvm::createStringError(
              llvm::inconvertibleErrorCode(),
              llvm::formatv("{0}: line {1}: {2}", input, e.row() + 2, e.detail()));
        });
    return fail(std::move(rest));
  }
  if (auto err = writeFileAtomically(a.get("output"), result->modelJson + "\n"))
    return fail(std::move(err));
  if (a.has("history"))
    if (auto err = writeFileAtomically(a.get("history"), historyCsv(*result)))
      return fail(std::move(err));

  const std::string &name = d->name();
  llvm::outs() << "specjit train: " << (name.empty() ? "(unnamed)" : name) << " ["
               << d->hash().hex() << "]\n";
  const EpochRecord *last = result->history.empty() ? nullptr : &result->history.back();
  llvm::outs() << llvm::formatv(
      "  rows {0}, epochs {1}, stop {2}, best epoch {3}, backend {4}, {5:f2} s\n", table->rows,
      result->history.size(), stopReasonName(result->stop), result->bestEpoch,
      backendName(result->backend), result->seconds);
  if (last)
    llvm::outs() << "  last epoch: train loss " << lossText(last->trainLoss) << ", validation loss "
                 << lossText(last->validationLoss) << "\n";
  if (!result->fallbackReason.empty())
    llvm::outs() << "  fallback reason: " << result->fallbackReason << "\n";
  llvm::outs() << "  model written to " << a.get("output") << "\n";
  return 0;
}

} // namespace tools
} // namespace specjit
