#!/usr/bin/env bash
# bench/sparse.sh [ARGS...]: Criteo-shaped training with dense vs sparse updates at several hash
# bucket counts (org.sparktf.bench.SparseTrainingBenchmark), 1 PS + 2 workers, then a sparse run of
# a larger weight vector sharded over 2 PS + 2 workers whose SavedModel (one table) it checks, all
# in one run; writes its section of docs/benchmarks.md. Builds offline without installing: the
# SparkTF modules' target/classes plus the third-party class path. ARGS: --buckets 18,20,22 (log2
# sizes) --sharded 24 (log2 size of the sharded run, or none) --steps 100 (timed steps per worker)
# --batch 512 --threads default,1/1 (the nodes' TensorFlow inter-op/intra-op pool sizes: every 1-PS
# size runs, dense and sparse, with each setting in turn, so the two sit side by side; the sharded
# run uses the first) --steps-per-run 1,16 (training steps per Session.run, built into one graph
# run by ReplicatedTraining: every 1-PS size runs, dense and sparse, with each in turn; the sharded
# run uses the last) --docs FILE. Memory: the tables are TensorFlow native memory (2^24: 64 MB of weights
# and 64 MB of AdaGrad accumulator over the 2 PS, 64 MB more in the chief's export and in this JVM's
# check of it), outside the JVMs' heaps (-Xmx4g here, -Xmx1g per node).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
CP_FILE=target/sparse-classpath.txt
mvn -B -o -q -pl bench -am compile dependency:build-classpath -Dsparktf.assembly.skip=true \
  -DincludeScope=compile -DexcludeGroupIds=org.sparktf -Dmdep.outputFile=$CP_FILE
THIRD_PARTY=$(cat "bench/$CP_FILE")
CP="$REPO/datasources/target/classes:$REPO/core/target/classes:$REPO/estimators/target/classes"
CP="$CP:$REPO/bench/target/classes:$THIRD_PARTY"
OPENS=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' pom.xml)
[[ -n $OPENS ]] || { echo "Cannot benchmark: no <spark.java17.opens> in pom.xml" >&2; exit 1; }
# shellcheck disable=SC2086 # the pom's options are space-separated words
# The caller's options come first: the benchmark takes the first of each.
exec timeout 3600 java -Xmx4g $OPENS -cp "$CP" org.sparktf.bench.SparseTrainingBenchmark "$@" \
  --threads default,1/1 --steps-per-run 1,16 --work "$REPO/bench/target/bench-work" --docs "$REPO/docs/benchmarks.md"
