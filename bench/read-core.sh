#!/usr/bin/env bash
# bench/read-core.sh: TFRecord read throughput per core, SparkTF vs TensorFlow's C++ reader (issue 13)
#
# Usage: bench/read-core.sh [--records N] [--reps N] [--warmup N|steady] [--steady-jit-share S]
#                           [--warmup-max N] [--batch N] [--docs FILE] [--work DIR]
#                           [--timeout SECONDS]
#
#   --records  records per dataset (MNIST-like, Criteo-like), default 100000
#   --reps     timed passes per contender (the median is reported), default 5
#   --warmup   untimed passes first, default 3; "steady": every contender warms up until the
#              JIT compiler threads took under --steady-jit-share (default 0.05) of the process's
#              CPU in each of 3 passes in a row, at most --warmup-max (default 40) passes; the
#              table reports the passes each needed and the JIT's share of the timed passes
#   --batch    TensorFlow's ReaderReadUpTo / ParseExample batch, default 512
#   --docs     markdown file whose <!-- read-core:start/end --> section is replaced,
#              default docs/benchmarks.md
#   --work     where the TFRecord files are written once and reused, default
#              bench/target/read-core-work
#
# Every contender runs in a fresh JVM (org.sparktf.bench.ReadCoreBenchmark) on the same files,
# first pinned to one core (taskset -c 0: JIT, GC and every other thread share that core), then
# unpinned: sparktf-direct (rows written straight from the decoder), sparktf-row (directRows=false:
# decode, then UnsafeProjection) and tf-native (TF Java 1.1.0: TFRecordReader + ReaderReadUpTo +
# ParseExample, one thread, every output fetched). Checksums of every value must agree.
set -euo pipefail

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
cd "$REPO"
DOCS=$REPO/docs/benchmarks.md
WORK=$REPO/bench/target/read-core-work
RECORDS=100000
REPS=5
WARMUP=3
STEADY_JIT_SHARE=0.05
WARMUP_MAX=40
BATCH=512
TIMEOUT=900
COMMAND="bench/read-core.sh $*"
while (($#)); do
  case $1 in
    --records) RECORDS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --steady-jit-share) STEADY_JIT_SHARE=$2; shift 2 ;;
    --warmup-max) WARMUP_MAX=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --docs) DOCS=$(realpath -m "$2"); shift 2 ;;
    --work) WORK=$(realpath -m "$2"); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "Invalid option: $1" >&2; usage ;;
  esac
done
command -v taskset >/dev/null || { echo "Cannot benchmark: taskset (util-linux) is missing" >&2; exit 1; }

log() { echo "[read-core $(date +%T)] $*" >&2; }
log "building bench and its SparkTF modules (offline, no install)"
CP_FILE=target/read-core-classpath.txt
mvn -B -o -q -DskipTests -Dsparktf.assembly.skip=true -pl bench -am compile \
  dependency:build-classpath -DincludeScope=compile -DexcludeGroupIds=org.sparktf \
  -Dmdep.outputFile=$CP_FILE
CP="$REPO/datasources/target/classes:$REPO/core/target/classes:$REPO/estimators/target/classes"
CP="$CP:$REPO/bench/target/classes:$(cat "bench/$CP_FILE")"
OPENS=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' pom.xml)
[[ -n $OPENS ]] || { echo "Cannot benchmark: no <spark.java17.opens> in pom.xml" >&2; exit 1; }
# shellcheck disable=SC2206 # the pom's options are space-separated words
JAVA=(java -Xmx3g $OPENS -cp "$CP" org.sparktf.bench.ReadCoreBenchmark --work "$WORK")

LOGS=$WORK/logs-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$LOGS"
if [[ $(cat "$WORK/records" 2>/dev/null) != "$RECORDS" ]]; then
  log "writing $RECORDS records per dataset to $WORK"
  timeout "$TIMEOUT" "${JAVA[@]}" --generate --records "$RECORDS" >"$LOGS/generate.log" 2>&1 \
    || { echo "Cannot benchmark: generating the data failed; see $LOGS/generate.log" >&2; exit 1; }
  echo "$RECORDS" >"$WORK/records"
fi

RESULTS=$LOGS/results.txt
: >"$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for pinning in pinned unpinned; do
  PREFIX=()
  [[ $pinning == pinned ]] && PREFIX=(taskset -c 0)
  for dataset in mnist criteo; do
    for contender in sparktf-direct sparktf-row tf-native; do
      out=$LOGS/$pinning-$dataset-$contender.log
      log "$pinning $dataset $contender"
      timeout "$TIMEOUT" "${PREFIX[@]}" "${JAVA[@]}" --contender $contender --dataset $dataset \
        --warmup "$WARMUP" --steady-jit-share "$STEADY_JIT_SHARE" --warmup-max "$WARMUP_MAX" \
        --reps "$REPS" --batch "$BATCH" --label $pinning >"$out" 2>&1 \
        || { echo "Cannot benchmark: $pinning $dataset $contender failed; see $out" >&2; exit 1; }
      grep '^RESULT ' "$out" | tail -1 | tee -a "$RESULTS" >&2
      # Where the timed passes' CPU went, by thread kind (reader, planner, JIT compilers, GC).
      grep '^THREADS ' "$out" | tail -1 >&2 || true
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

WARMUP_TEXT=$WARMUP
[[ $WARMUP == steady ]] && WARMUP_TEXT="steady (JIT < $STEADY_JIT_SHARE of CPU for 3 passes, at most $WARMUP_MAX)"
MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
MACHINE="$MACHINE $(awk '/MemTotal/ {print $2, $3}' /proc/meminfo) memory, $(java -version 2>&1 | head -1)"
java -cp "$CP" org.sparktf.bench.ReadCoreReport --results "$RESULTS" --docs "$DOCS" \
  --command "$COMMAND (batch $BATCH, $WARMUP_TEXT warm-up + $REPS timed passes, median)" \
  --machine "$MACHINE" --load "$LOAD_BEFORE / $LOAD_AFTER"
log "section written to $DOCS; logs in $LOGS"
