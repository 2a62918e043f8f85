#!/usr/bin/env bash
# bench/ab.sh: is the happy path slower than at an earlier revision? (issue 10)
#
# Usage: bench/ab.sh BEFORE_REV [REPS] [--docs FILE] [--work DIR] [--timeout SECONDS]
#                    [-- HARNESS_ARGS...]
#
#   BEFORE_REV  the "before" revision (e.g. ead8786); "after" is this working tree (its HEAD,
#               plus uncommitted changes, which the report flags)
#   REPS        runs per side, default 5
#   --docs      markdown file whose <!-- happy-path-ab:start/end --> section is replaced,
#               default docs/benchmarks.md (give a temp file for smoke runs)
#   --work      where the generated TFRecords are kept and reused, and the run logs go,
#               default bench/target/happy-path-work (~1 GB at the default sizes)
#   --timeout   limit per benchmark JVM, default 1200 s
#   HARNESS_ARGS  passed to org.sparktf.bench.HappyPathBenchmark (sizes), e.g.
#               -- --feed-rows 60000 --feed-epochs 5 --read-records 200000 --read-passes 3
#
# What it does:
#   1. checks out BEFORE_REV into a temporary git worktree under /tmp (removed on exit) and
#      builds its datasources + core classes there, offline (mvn -o ... compile; never install);
#   2. builds this tree's bench module with its dependencies (mvn -o ... package) and lists the
#      third-party class path (dependency:build-classpath, org.sparktf excluded);
#   3. assembles two class paths that differ only in SparkTF's datasources and core classes:
#      <side>/datasources/target/classes:<side>/core/target/classes:bench classes:third-party;
#      the node processes inherit the driver's java.class.path, so they run the same side;
#   4. generates the TFRecord data once (reused by later runs), then runs HappyPathBenchmark
#      alternately before, after, before, after ... REPS times each in fresh JVMs with the bench
#      exec options (-Xmx8g and Spark's Java 17 --add-opens from the parent pom); every run's
#      CLASSES line must show the driver, the node and the tfrecord source loading that side's
#      classes, or the script fails;
#   5. writes medians, spread (min - max), after/before ratio and the verdict per metric into
#      the docs section (org.sparktf.bench.HappyPathAbReport): a slowdown counts when the
#      medians differ by more than 5% and by more than the spread.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
cd "$REPO"
DOCS=$REPO/docs/benchmarks.md
WORK=$REPO/bench/target/happy-path-work
TIMEOUT=1200
BEFORE_REV=
REPS=5
HARNESS_ARGS=()
POSITIONAL=()
COMMAND="bench/ab.sh $*"
while (($#)); do
  case $1 in
    --docs) DOCS=$(realpath -m "$2"); shift 2 ;;
    --work) WORK=$(realpath -m "$2"); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --) shift; HARNESS_ARGS=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "Invalid option: $1" >&2; usage ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done
((${#POSITIONAL[@]} >= 1 && ${#POSITIONAL[@]} <= 2)) || usage
BEFORE_REV=${POSITIONAL[0]}
REPS=${POSITIONAL[1]:-5}
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "Invalid REPS: $REPS; use a positive integer" >&2; exit 2; }

BEFORE_SHA=$(git rev-parse --verify --quiet "$BEFORE_REV^{commit}") \
  || { echo "Cannot benchmark: $BEFORE_REV is not a commit of $REPO" >&2; exit 2; }
AFTER_SHA=$(git rev-parse HEAD)
describe() { git log -1 --format='`%h` (%cs, %s)' "$1"; }
BEFORE_DESC=$(describe "$BEFORE_SHA")
AFTER_DESC=$(describe "$AFTER_SHA")
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
  AFTER_DESC="$AFTER_DESC plus uncommitted changes"
fi

TMP=$(mktemp -d /tmp/sparktf-ab.XXXXXX)
BEFORE_TREE=$TMP/before
cleanup() {
  git -C "$REPO" worktree remove --force "$BEFORE_TREE" >/dev/null 2>&1 || true
  rm -rf "$TMP"
  git -C "$REPO" worktree prune >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MVN=(mvn -B -o -q -DskipTests -Dsparktf.assembly.skip=true)
log() { echo "[ab $(date +%T)] $*" >&2; }

log "before: $BEFORE_DESC in $BEFORE_TREE"
git worktree add --detach --quiet "$BEFORE_TREE" "$BEFORE_SHA"
log "building before's datasources + core"
(cd "$BEFORE_TREE" && "${MVN[@]}" -pl core -am compile)

log "after: $AFTER_DESC; building bench and its SparkTF modules"
CP_FILE=target/happy-path-classpath.txt # relative: each module of the reactor writes its own
"${MVN[@]}" -pl bench -am package dependency:build-classpath \
  -DincludeScope=compile -DexcludeGroupIds=org.sparktf -Dmdep.outputFile=$CP_FILE
THIRD_PARTY=$(cat "bench/$CP_FILE")
if tr ':' '\n' <<<"$THIRD_PARTY" | grep -q -e '/org/sparktf/' -e "^$REPO/"; then
  echo "Cannot benchmark: SparkTF classes left in the third-party class path bench/$CP_FILE" >&2
  exit 1
fi

side_dir() { if [[ $1 == before ]]; then echo "$BEFORE_TREE"; else echo "$REPO"; fi; }
classpath() {
  local dir
  dir=$(side_dir "$1")
  for module in datasources core; do
    [[ -d $dir/$module/target/classes ]] \
      || { echo "Cannot benchmark: $dir/$module/target/classes was not built" >&2; exit 1; }
  done
  echo "$dir/datasources/target/classes:$dir/core/target/classes:$REPO/bench/target/classes:$THIRD_PARTY"
}
BEFORE_CP=$(classpath before)
AFTER_CP=$(classpath after)

OPENS=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' pom.xml)
[[ -n $OPENS ]] || { echo "Cannot benchmark: no <spark.java17.opens> in pom.xml" >&2; exit 1; }
# shellcheck disable=SC2206 # the pom's options are space-separated words
JAVA_OPTS=(-Xmx8g $OPENS)
MAIN=org.sparktf.bench.HappyPathBenchmark

LOGS=$WORK/logs-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$LOGS"
RESULTS=$LOGS/results.txt
: >"$RESULTS"
log "logs in $LOGS"

log "generating the TFRecord data in $WORK (once; reused later)"
timeout "$TIMEOUT" java "${JAVA_OPTS[@]}" -cp "$AFTER_CP" $MAIN --work "$WORK" --prepare \
  "${HARNESS_ARGS[@]}" >"$LOGS/prepare.log" 2>&1 \
  || { echo "Cannot benchmark: data generation failed; see $LOGS/prepare.log" >&2; exit 1; }

run_side() { # side rep
  local side=$1 rep=$2 cp out dir classes
  if [[ $side == before ]]; then cp=$BEFORE_CP; else cp=$AFTER_CP; fi
  dir=$(side_dir "$side")
  out=$LOGS/$rep-$side.log
  log "run $rep/$REPS $side"
  timeout "$TIMEOUT" java "${JAVA_OPTS[@]}" -cp "$cp" $MAIN --work "$WORK" "${HARNESS_ARGS[@]}" \
    >"$out" 2>&1 || { echo "Cannot benchmark: run $rep $side failed; see $out" >&2; exit 1; }
  classes="$(grep '^CLASSES ' "$out" | tail -1) "
  for expected in driver_core=$dir/core/target/classes node_core=$dir/core/target/classes \
    datasources=$dir/datasources/target/classes; do
    [[ $classes == *" $expected "* ]] || {
      echo "Cannot benchmark: run $rep $side did not load $expected; it says: $classes" >&2
      exit 1
    }
  done
  grep '^RESULT ' "$out" | tail -1 | sed "s/^/$side /" | tee -a "$RESULTS" >&2
}
for ((rep = 1; rep <= REPS; rep++)); do
  run_side before "$rep"
  run_side after "$rep"
done

java -cp "$AFTER_CP" org.sparktf.bench.HappyPathAbReport --results "$RESULTS" --docs "$DOCS" \
  --before "$BEFORE_DESC" --after "$AFTER_DESC" \
  --command "$COMMAND"
log "section written to $DOCS"
