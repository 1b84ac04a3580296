#!/usr/bin/env bash
# Runs the libFuzzer harnesses of fuzz/ (descriptor parser, expression
# parser, CSV reader, XGBoost importer, and the differential harness:
# interpreter against compiled kernels), seeding their corpora from
# examples/ and the tests, each for a fixed time.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     (default: 60 s; descriptor
#                                               expr csv xgboost)
#
# SECONDS 0 only replays fuzz/regressions/ and the corpora.
# FUZZ_SEED fixes libFuzzer's seed (0: random), as CI does.
# The harnesses are built by the ASan + UBSan build (fuzz/CMakeLists.txt,
# target specjit-fuzzers): run scripts/sanitize.sh asan first (its build
# directory: ${ASAN_DIR:-build-asan}). Needs clang-19 and libFuzzer
# (apt-get install -y clang-19 libfuzzer-19-dev libclang-rt-19-dev).
# Output in ${FUZZ_DIR:-build-fuzz}: links to the binaries, corpus-NAME/
# (grown by the runs), NAME.log, and crash-* / leak-* / timeout-*
# reproducers, which `build-fuzz/NAME-fuzzer FILE` replays. One core per
# harness run. See docs/reliability.md ("Fuzzing").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FUZZ_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(descriptor expr csv xgboost)
mkdir -p "$out"

for h in "${harnesses[@]}"; do
  case "$h" in
    descriptor|expr|csv|xgboost|differential) ;;
    *) echo "unknown harness '$h'" >&2; exit 2 ;;
  esac
  bin="${ASAN_DIR:-$root/build-asan}/bin/specjit-$h-fuzzer"
  [ -x "$bin" ] || { echo "$bin is missing: run scripts/sanitize.sh asan first" >&2; exit 2; }
  ln -sf "$bin" "$out/$h-fuzzer"
done

# Seed corpora (copied once; the runs add what they find).
seed() { # seed NAME FILE...
  local dir="$out/corpus-$1"
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp -n "$f" "$dir/" || true
  done
}
seed descriptor "$root"/examples/*.json "$root"/test/specjit/Inputs/*.json \
  "$root"/test/data/rules/*.json "$root"/test/data/series/*.json
seed xgboost "$root"/test/data/models/xgb_*.json
# Each input of the differential harness compiles a kernel (milliseconds), so
# its inputs stay small; larger seeds would be cut and no longer parse.
DIFF_MAX_LEN="${DIFF_MAX_LEN:-4096}"
seed_small() { # seed_small NAME MAXBYTES FILE...
  local dir="$out/corpus-$1" max="$2"
  shift 2
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le "$max" ] && cp -n "$f" "$dir/" || true
  done
}
seed_small differential "$DIFF_MAX_LEN" "$root"/examples/*.json \
  "$root"/test/specjit/Inputs/*.json "$root"/test/data/rules/*.json \
  "$root"/test/data/series/*.json
if [ ! -d "$out/corpus-csv" ]; then
  mkdir -p "$out/corpus-csv"
  # First byte: 0 reads one f64 column x, 1 the five columns of CsvFuzzer.cpp.
  for f in "$root"/test/specjit/Inputs/*.csv; do
    { printf '\0'; cat "$f"; } > "$out/corpus-csv/one-$(basename "$f")"
  done
  printf '\0x\n1\n\n3\n' > "$out/corpus-csv/blank"
  printf '\1\357\273\277x,c,s,b,f\r\n1.5,,"a ""q"", b",true,1e39\r\n,-1,"",0,\r\n' \
    > "$out/corpus-csv/five"
fi
if [ ! -d "$out/corpus-expr" ]; then
  mkdir -p "$out/corpus-expr"
  /usr/bin/python3 - "$root" "$out/corpus-expr" <<'EOF'
import glob, json, os, sys
root, out = sys.argv[1], sys.argv[2]
found = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "expr" and isinstance(x, str):
                found.append(x)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for path in glob.glob(os.path.join(root, "examples", "*.json")) + \
        glob.glob(os.path.join(root, "test", "data", "pipeline", "*.json")):
    try:
        walk(json.load(open(path)))
    except ValueError:
        pass
found += ["select(a > 1, log(b), -c ** 2)", "`odd name` + 1e-3", "not (a and b) or c"]
for i, e in enumerate(sorted(set(found))):
    open(os.path.join(out, "seed%d" % i), "w").write(e)
EOF
fi

# First the inputs that once crashed a harness (fuzz/regressions/NAME-*),
# then fixed-time runs, one after another; a summary line each. SECONDS 0:
# replay the regressions and the corpus only.
status=0
for h in "${harnesses[@]}"; do
  regressions=("$root"/fuzz/regressions/"$h"-*)
  if [ -e "${regressions[0]}" ]; then
    if "$out/$h-fuzzer" "${regressions[@]}" > "$out/$h-regressions.log" 2>&1; then
      echo "$h: ${#regressions[@]} regression inputs pass"
    else
      echo "$h: a regression input fails (see $out/$h-regressions.log)"
      status=1
    fi
  fi
  if [ "$seconds" -eq 0 ]; then
    runs=(-runs=0)
  else
    runs=(-max_total_time="$seconds")
  fi
  max_len="${MAX_LEN:-16384}"
  [ "$h" = differential ] && max_len="$DIFF_MAX_LEN"
  (cd "$out" && "./$h-fuzzer" "corpus-$h" "${runs[@]}" \
      -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -seed="${FUZZ_SEED:-0}" \
      > "$h.log" 2>&1) || status=1
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$h.log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(ls "$out" | grep -c -E "^(crash|leak|timeout|oom)-" || true)
  echo "$h: $execs executions in ${seconds}s (max_len $max_len), corpus $(ls "$out/corpus-$h" | wc -l) inputs," \
       "$(grep -q -E 'ERROR|deadly signal|==ERROR' "$out/$h.log" && echo "FAILED (see $out/$h.log)" || echo "no crash")," \
       "reproducers in $out: $crashes"
done
exit $status
