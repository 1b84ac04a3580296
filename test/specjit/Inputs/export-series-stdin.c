/* Runs an exported one-input series kernel (KERNEL, its header
 * KERNEL_HEADER) over the prices of a one-column CSV on stdin (a header
 * line, then one value per line; an empty line is NaN), in chunks of 37 rows through one state,
 * and prints every output exactly (%a), comma-separated. */
#include KERNEL_HEADER

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NUM_OUTPUTS CAT(KERNEL, _NUM_OUTPUTS)
#define STATE_BYTES CAT(KERNEL, _state_bytes)

int main(void) {
  static double close[100000];
  char line[256];
  size_t n = 0;
  if (!fgets(line, sizeof line, stdin))
    return 1;
  while (n < sizeof close / sizeof close[0] && fgets(line, sizeof line, stdin))
    close[n++] = line[0] == '\n' ? NAN : strtod(line, NULL); /* empty: missing */
  double *out = malloc((n ? n : 1) * NUM_OUTPUTS * sizeof(double));
  void *state = calloc(1, (size_t)STATE_BYTES());
  if (!out || !state)
    return 1;
  for (size_t at = 0; at < n; at += 37) {
    size_t rows = n - at < 37 ? n - at : 37;
    const void *args[2] = {close + at, state};
    if (KERNEL(args, out + at * NUM_OUTPUTS, (int64_t)rows) != 0)
      return 2;
  }
  for (size_t r = 0; r < n; ++r)
    for (int j = 0; j < NUM_OUTPUTS; ++j)
      printf("%a%c", out[r * NUM_OUTPUTS + j], j + 1 == NUM_OUTPUTS ? '\n' : ',');
  free(out);
  free(state);
  return 0;
}
