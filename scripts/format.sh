#!/usr/bin/env bash
# Formats every C and C++ file under version control with clang-format-19
# and the repository's .clang-format (LLVM style, 100 columns).
#
#   scripts/format.sh           # rewrite the files in place
#   scripts/format.sh --check   # change nothing; exit 1 naming the files
#                               # that are not formatted (.ci/run)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tool="${CLANG_FORMAT:-clang-format-19}"
command -v "$tool" > /dev/null || { echo "$tool is missing: apt-get install -y clang-format-19" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.c')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$tool" --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} of ${#files[@]} files are not formatted (run scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  "$tool" -i "${files[@]}"
fi
