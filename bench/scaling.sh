#!/usr/bin/env bash
# bench/scaling.sh [EXAMPLE...]: trains each example briefly with 1 PS + 2 workers on small data and
# prints the per-step profile the driver logs at the end of training (docs/scaling.md). EXAMPLE:
# mnist cifar10 inception inception-full criteo-linear criteo-fm (default: all but
# inception-full). Builds offline without installing. Work files and logs: bench/target/scaling-work.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
W="$REPO/bench/target/scaling-work"
mkdir -p "$W"
CP_FILE=target/scaling-classpath.txt
mvn -B -o -q -pl examples -am compile dependency:build-classpath -Dsparktf.assembly.skip=true \
  -DincludeScope=compile -DexcludeGroupIds=org.sparktf -Dmdep.outputFile=$CP_FILE
# A copy of the classes: a build in this tree while a job runs must not pull them from under it.
CP=""
for module in datasources core estimators examples; do
  rm -rf "$W/classes/$module"
  mkdir -p "$W/classes/$module"
  cp -r "$module/target/classes/." "$W/classes/$module/"
  CP="$CP$W/classes/$module:"
done
CP="$CP$(cat "examples/$CP_FILE")"
OPENS=$(sed -n 's:.*<spark.java17.opens>\(.*\)</spark.java17.opens>.*:\1:p' pom.xml)
[[ -n $OPENS ]] || { echo "Cannot measure: no <spark.java17.opens> in pom.xml" >&2; exit 1; }

# job NAME SLOTS MAIN ARGS...: runs one example job, on Spark local[SLOTS] (with SLOTS "-" the job
# picks its own local master); its output goes to $W/NAME.log; the profile and the load average
# are printed.
job() {
  local name=$1 master=() main=$3
  [[ $2 == - ]] || master=("-Dspark.master=local[$2]")
  shift 3
  echo "== $name: $main $* (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  local start=$SECONDS
  # shellcheck disable=SC2086 # the pom's options are space-separated words
  timeout 1800 java -Xmx3g $OPENS "${master[@]}" -Dspark.ui.enabled=false -cp "$CP" "$main" "$@" \
    >"$W/$name.log" 2>&1 || { echo "Cannot run $name: exit $?; see $W/$name.log" >&2; return 1; }
  echo "   $((SECONDS - start)) s (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
  grep -A3 ' profile at global step ' "$W/$name.log" | grep -v '^--$' || echo "   (no profile)"
}

E=org.sparktf.examples
run_one() {
  case $1 in
    mnist)
      rm -rf "$W/mnist"
      job mnist - $E.mnist.MnistJob --modes spark,tensorflow --epochs 3 --output "$W/mnist" ;;
    cifar10)
      rm -rf "$W/cifar10"
      job cifar10-data 2 $E.cifar10.Cifar10 generate --data_dir "$W/cifar10/data" \
        --train_images 2000 --test_images 100
      job cifar10 3 $E.cifar10.Cifar10 train --data_dir "$W/cifar10/data" \
        --model_dir "$W/cifar10/model" --workers 2 --ps 1 --batch_size 128 --steps 60 \
        --learning_rate 0.02 ;;
    inception | inception-full)
      local width=0.25 classes=11 aux=false steps=40
      if [[ $1 == inception-full ]]; then width=1.0 classes=1001 aux=true steps=12; fi
      rm -rf "$W/$1"
      job "$1-data" 2 $E.imagenet.SyntheticImageNet "file://$W/$1/data" 4 1 32 10
      job "$1" 3 $E.imagenet.ImageNetTraining --data_dir "file://$W/$1/data" \
        --train_dir "file://$W/$1/model" --max_steps $steps --batch_size 8 --num_executors 3 \
        --num_ps 1 --image_size 75 --num_classes $classes --width_multiplier $width \
        --aux_head $aux --learning_rate 0.03 --batch_norm_decay 0.95 --checkpoint_steps $steps \
        --summary_steps 10 --node_memory 2g ;;
    criteo-linear | criteo-fm)
      if [[ ! -d $W/criteo/data/training ]]; then
        rm -rf "$W/criteo"
        job criteo-generate - $E.criteo.CriteoGenerator --output "$W/criteo/raw" --rows 200000 \
          --files 4 --seed 42
        job criteo-etl - $E.criteo.CriteoEtl --input "$W/criteo/raw" --output "$W/criteo/data" \
          --train-chunks 8 --validation-chunks 2
      fi
      local type=${1#criteo-}
      rm -rf "$W/criteo/$type"
      job "$1" - $E.criteo.CriteoTraining --data "$W/criteo/data" --model "$W/criteo/$type" \
        --model-type "$type" --eval-records 10000 ;;
    *)
      echo "Invalid example: $1; use mnist, cifar10, inception, inception-full, criteo-linear or criteo-fm" >&2
      return 1 ;;
  esac
}

EXAMPLES=("$@")
[[ ${#EXAMPLES[@]} -gt 0 ]] || EXAMPLES=(mnist cifar10 inception criteo-linear criteo-fm)
for example in "${EXAMPLES[@]}"; do
  run_one "$example"
done
