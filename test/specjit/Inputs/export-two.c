/* Three exported kernels in one program: the churn pipeline (f32 output,
 * log through libmvec) as churn_features, the tiny series as price_series
 * and the tiny rules as rules_step. Prints one kernel's output (argv[1]:
 * churn | series | rules) exactly (%a). The series runs in two chunks
 * through one state, which must give what one run over all rows gives;
 * the rules update the state of export-rules.csv (11 agents: a vector
 * tile of 8 and 3 more) in place. */
#include "churn.h"
#include "rules.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int churn(void) {
  enum { N = 16 };
  const int64_t age[N] = {23, 35, 41, 58, 19, 67, 44, 30, 52, 27, 61, 38, 46, 33, 29, 70};
  const double income[N] = {31000, 54000.5, 72000,  NAN, 12000, 98000, 45000, 61000.25,
                            83000, 39000,   150000, 0,   47000, 52000, 28000, 66000};
  const double engagement[N] = {0.12, 0.5,  1.3,  0.9,  -0.2, 0.77, 0.01, 0.66,
                                0.35, 0.95, 0.42, 0.58, NAN,  0.21, 0.83, 0.05};
  const int64_t category[N] = {0, 1, 2, -1, 3, 1, 0, 2, -1, 1, 0, 2, 1, 0, 2, 1};
  const void *args[churn_features_NUM_ARGS] = {age, income, engagement, category};
  float out[N * churn_features_NUM_OUTPUTS];
  if (churn_features(args, out, N) != 0)
    return 1;
  for (int r = 0; r < N; ++r)
    for (int j = 0; j < churn_features_NUM_OUTPUTS; ++j)
      printf("%a%c", (double)out[r * churn_features_NUM_OUTPUTS + j],
             j + 1 == churn_features_NUM_OUTPUTS ? '\n' : ',');
  return 0;
}

static int series(void) {
  enum { N = 10, FIRST = 4 };
  const double close[N] = {10, 11, 12, 11, 10, 9, 10, 12, 14, 13};
  double out[N * price_series_NUM_OUTPUTS];
  /* The state is 8-byte aligned and zero for a fresh stream. */
  void *state = calloc(1, (size_t)price_series_state_bytes());
  if (!state)
    return 1;
  const void *first[price_series_NUM_ARGS] = {close, state};
  const void *rest[price_series_NUM_ARGS] = {close + FIRST, state};
  if (price_series(first, out, FIRST) != 0 ||
      price_series(rest, out + FIRST * price_series_NUM_OUTPUTS, N - FIRST) != 0)
    return 1;
  free(state);
  for (int r = 0; r < N; ++r)
    for (int j = 0; j < price_series_NUM_OUTPUTS; ++j)
      printf("%a%c", out[r * price_series_NUM_OUTPUTS + j],
             j + 1 == price_series_NUM_OUTPUTS ? '\n' : ',');
  return 0;
}

static int rules(void) {
  enum { N = 11 };
  double state[N * rules_step_NUM_OUTPUTS] = {0.9, 0.1,  0.4,  0.5,  0.45, 0.0, 0.1, 0.15,
                                              1.0, 0.3,  0.55, 0.19, 0.0,  0.0, 0.7, 0.25,
                                              0.3, 0.05, 0.49, 0.21, 0.95, 0.12};
  if (rules_step(NULL, state, N) != 0)
    return 1;
  for (int r = 0; r < N; ++r)
    for (int j = 0; j < rules_step_NUM_OUTPUTS; ++j)
      printf("%a%c", state[r * rules_step_NUM_OUTPUTS + j],
             j + 1 == rules_step_NUM_OUTPUTS ? '\n' : ',');
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "churn") == 0)
    return churn();
  if (argc == 2 && strcmp(argv[1], "series") == 0)
    return series();
  if (argc == 2 && strcmp(argv[1], "rules") == 0)
    return rules();
  fprintf(stderr, "usage: %s churn|series|rules\n", argv[0]);
  return 2;
}
