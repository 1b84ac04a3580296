//===- TrainCommand.cpp - specjit train -----------------------------------===//
#include "Driver.h"

namespace specjit {
namespace tools {

int cmdTrain(int, char **) { return fail("train: not available in this build"); }

} // namespace tools
} // namespace specjit
