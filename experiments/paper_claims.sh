#!/usr/bin/env bash
# The runs behind docs/paper_claims.md, each resumable stage by stage (rerun the same command to go
# on where it stopped). One thread each: run one at a time beside a long GAN run, never more.
#   experiments/paper_claims.sh OUT table1|figure2|heldout|gan|all [LAGM]
# table1:  the Table 1 protocol at N = 10 and N = 2, development seeds 0-3
# figure2: the semi-supervised comparison at N = 2 and N = 10, development seeds 0-3, with gradient
#          matching alone (no pull), the route ceiling and every route arm's U-Net also trained on
#          its synthesized set alone (the paper's protocol) as rows of their own
# Some seeds have folders of their own (OUT/table1-N2-seeds23 holds seed 2, OUT/table1-N2-seed3,
# OUT/figure2-N10-seed3): they were run
# beside the others, on the second core, to finish sooner; experiments/paper_claims_table.py pools
# the folders of one comparison by seed. Each folder's summary covers the seeds it holds.
# heldout: the same runs once on the held-out seed 9 (only after every choice is made)
# gan:     the generator trained on from scratch to 600 kimg (run folder OUT/faces64-long)
# all:     table1 and figure2 one after the other (the gan run goes beside it); heldout is run apart,
#          once the development seeds have settled every choice
set -euo pipefail
out=$1 what=$2 lagm=${3:-build/lagm}
mkdir -p "$out"
demo() { "$lagm" demo --threads 1 "$@"; }
figure2=(--arms matching_alone,mean_teacher,adversarial_ssl --route-ceiling --synthetic-only-rows)
case "$what" in
  table1) table1=(--labelled-source generated --arms supervised,datasetgan)
          demo "${table1[@]}" --labels 10 --seeds 0,1,2,3 --out "$out/table1-N10"
          demo "${table1[@]}" --labels 2 --seeds 0,1 --out "$out/table1-N2"
          demo "${table1[@]}" --labels 2 --seeds 2 --out "$out/table1-N2-seeds23"
          demo "${table1[@]}" --labels 2 --seeds 3 --out "$out/table1-N2-seed3" ;;
  figure2) demo "${figure2[@]}" --labels 2 --seeds 0,1,2,3 --out "$out/figure2-N2"
           demo "${figure2[@]}" --labels 10 --seeds 0,1,2 --out "$out/figure2-N10"
           demo "${figure2[@]}" --labels 10 --seeds 3 --out "$out/figure2-N10-seed3" ;;
  heldout) for n in 2 10; do
             demo "${figure2[@]}" --labels "$n" --seeds 9 --out "$out/heldout/figure2-N$n"
           done
           demo --labelled-source generated --arms supervised,datasetgan --labels 10 --seeds 9 \
             --out "$out/heldout/table1-N10" ;;
  gan) if [ -f "$out/faces64-long/config.json" ]; then
         "$lagm" train-gan --resume "$out/faces64-long" --threads 1
       else
         "$lagm" train-gan --out "$out/faces64-long" --domain faces --style photo --res 64 --batch 16 \
           --kimg 600 --snapshot-kimg 10 --seed 0 --threads 1
       fi ;;
  all) for step in table1 figure2; do "$0" "$out" "$step" "$lagm"; done ;;
  *) echo "unknown run '$what' (table1, figure2, heldout, gan, all)" >&2; exit 2 ;;
esac
