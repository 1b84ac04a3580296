/* Scores CSV rows with an exported kernel of f32 inputs and f32 outputs,
 * with no LLVM and no specjit library: only the object, its header and
 * libc/libm. Built for examples/model_trees.json (the fraud_gbdt model):
 *
 *   specjit export examples/model_trees.json -o fraud.o --header fraud.h \
 *       --symbol fraud_gbdt
 *   cc -std=c99 -I. examples/aot/score.c fraud.o -o score -lm
 *   ./score < rows.csv          # a header line, then one row per line
 *
 * Another kernel of f32 inputs: -DKERNEL_HEADER='"other.h"' -DKERNEL=name.
 * Each input row is the kernel's inputs in header order, an empty field
 * being missing (NaN). Prints each output row with %a (exact), so that it
 * can be compared bit for bit with `specjit run`. Exit status 0, 1 on bad
 * input, 3 when a row fails a data check (the kernel's status names it). */
#ifndef KERNEL_HEADER
#define KERNEL_HEADER "fraud.h"
#define KERNEL fraud_gbdt
#endif
#include KERNEL_HEADER

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define NUM_ARGS CAT(KERNEL, _NUM_ARGS)
#define NUM_OUTPUTS CAT(KERNEL, _NUM_OUTPUTS)

/* Reads one CSV field of `line` at `*p` as a float (empty: NaN). */
static int field(char **p, float *out) {
  char *end = *p + strcspn(*p, ",\r\n");
  if (end == *p) {
    *out = NAN;
  } else {
    char *stop;
    *out = strtof(*p, &stop);
    if (stop != end)
      return 0;
  }
  *p = *end == ',' ? end + 1 : end;
  return 1;
}

int main(void) {
  char line[4096];
  if (!fgets(line, sizeof line, stdin)) /* the header */
    return 1;
  size_t rows = 0, cap = 1024;
  float *cols = malloc(sizeof(float) * NUM_ARGS * cap);
  while (cols && fgets(line, sizeof line, stdin)) {
    if (rows == cap) {
      cap *= 2;
      float *more = realloc(cols, sizeof(float) * NUM_ARGS * cap);
      if (!more)
        break;
      cols = more;
    }
    char *p = line;
    for (int j = 0; j < NUM_ARGS; ++j)
      if (!field(&p, &cols[(size_t)j * cap + rows])) {
        fprintf(stderr, "line %zu: field %d is not a number\n", rows + 2, j + 1);
        return 1;
      }
    ++rows;
  }
  if (!cols)
    return 1;
  /* Column-major: args[j] is input j's column. */
  const void *args[NUM_ARGS];
  for (int j = 0; j < NUM_ARGS; ++j)
    args[j] = &cols[(size_t)j * cap];
  float *out = malloc(sizeof(float) * NUM_OUTPUTS * (rows ? rows : 1));
  if (!out)
    return 1;
  int64_t status = KERNEL(args, out, (int64_t)rows);
  if (status != 0) {
    fprintf(stderr, "row %lld failed a data check\n", (long long)(status - 1));
    return 3;
  }
  for (size_t r = 0; r < rows; ++r)
    for (int j = 0; j < NUM_OUTPUTS; ++j)
      printf("%a%c", (double)out[r * NUM_OUTPUTS + j], j + 1 == NUM_OUTPUTS ? '\n' : ',');
  free(out);
  free(cols);
  return 0;
}
