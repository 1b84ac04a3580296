/* Runs the tiny pipeline exported under the default symbol on the rows of
 * tiny.csv and prints the output matrix exactly (%a), one row per line. */
#include "tiny.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  const double x[] = {2, 6, NAN, -2};
  const int64_t c[] = {1, -1, 0, 7};
  const char bytes[] = "redbluegreen, lightred";
  const int64_t offsets[] = {0, 3, 7, 19, 22};
  const void *args[specjit_kernel_NUM_ARGS] = {x, c, offsets, bytes};
  double out[4 * specjit_kernel_NUM_OUTPUTS];
  int64_t status = specjit_kernel(args, out, 4);
  if (status != 0) {
    fprintf(stderr, "kernel failed at row %lld\n", (long long)status - 1);
    return 1;
  }
  for (int r = 0; r < 4; ++r)
    for (int j = 0; j < specjit_kernel_NUM_OUTPUTS; ++j)
      printf("%a%c", out[r * specjit_kernel_NUM_OUTPUTS + j],
             j + 1 == specjit_kernel_NUM_OUTPUTS ? '\n' : ',');
  return 0;
}
