//===- specjit/specjit.h - Umbrella header ----------------------*- C++ -*-===//
#ifndef SPECJIT_SPECJIT_H
#define SPECJIT_SPECJIT_H

#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Eval.h"
#include "specjit/Export.h"
#include "specjit/Kernel.h"
#include "specjit/Stats.h"
#include "specjit/Train.h"
#include "specjit/Types.h"

#endif // SPECJIT_SPECJIT_H
