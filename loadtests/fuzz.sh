#!/usr/bin/env bash
# Longer fuzzing than CI's: every alarm parser and the EventBridge pattern matcher, fed
# arbitrary bytes, arbitrary JSON and mutated real documents (property-based, on stable Rust).
# Usage: loadtests/fuzz.sh [CASES]   (default 200000 per property; CI runs 256)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-200000}"
start=$SECONDS
TOCSIN_FUZZ_CASES="$cases" cargo test --release -p tocsin-core --test formats -- properties 2>&1 | tail -20
echo "fuzzed ${cases} cases per property in $((SECONDS - start)) s"
