#!/usr/bin/env bash
# The runs behind docs/paper_claims.md, each resumable stage by stage (rerun the same command to go
# on where it stopped). One thread each: run one at a time beside a long GAN run, never more.
#   experiments/paper_claims.sh OUT table1|figure2|ceiling|heldout|gan|all [LAGM]
# table1:  the Table 1 protocol at N = 10, development seeds 0-3
# figure2: the semi-supervised comparison at N = 2 and N = 10, development seeds 0-3
# ceiling: the route ceiling with the synthesized set alone downstream (the paper's protocol)
# heldout: the three comparisons once on the held-out seed 9 (only after every choice is made)
# gan:     the generator trained on from scratch to 600 kimg (run folder OUT/faces64-long)
# all:     table1, figure2 and ceiling one after the other (the gan run goes beside it); heldout is
#          run apart, once the development seeds have settled every choice
set -euo pipefail
out=$1 what=$2 lagm=${3:-build/lagm}
mkdir -p "$out"
demo() { "$lagm" demo --threads 1 "$@"; }
case "$what" in
  table1) demo --labelled-source generated --arms supervised,datasetgan --labels 10 --seeds 0,1,2,3 \
            --out "$out/table1-N10" ;;
  figure2) for n in 2 10; do
             demo --arms mean_teacher,adversarial_ssl --labels "$n" --seeds 0,1,2,3 --out "$out/figure2-N$n"
           done ;;
  ceiling) demo --route-ceiling --mix-labels 0 --labels 10 --seeds 0,1,2,3 --out "$out/ceiling-N10" ;;
  heldout) demo --labelled-source generated --arms supervised,datasetgan --labels 10 --seed 9 \
             --out "$out/heldout/table1-N10"
           for n in 2 10; do
             demo --arms mean_teacher,adversarial_ssl --labels "$n" --seed 9 --out "$out/heldout/figure2-N$n"
           done
           demo --route-ceiling --mix-labels 0 --labels 10 --seed 9 --out "$out/heldout/ceiling-N10" ;;
  gan) if [ -f "$out/faces64-long/config.json" ]; then
         "$lagm" train-gan --resume "$out/faces64-long" --threads 1
       else
         "$lagm" train-gan --out "$out/faces64-long" --domain faces --style photo --res 64 --batch 16 \
           --kimg 600 --snapshot-kimg 10 --seed 0 --threads 1
       fi ;;
  all) for step in table1 figure2 ceiling; do "$0" "$out" "$step" "$lagm"; done ;;
  *) echo "unknown run '$what' (table1, figure2, ceiling, heldout, gan, all)" >&2; exit 2 ;;
esac
