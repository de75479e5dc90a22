#!/bin/bash
# Alternates the c601778 and dispatch foil binaries on the same training runs.
for i in 1 2 3; do
  for mode in baseline sa; do
    for b in c601778 dispatch; do
      rm -rf /tmp/tr/$b-$mode-$i
      /work/notes/s42/bin/foil-$b train --model mlp --act 'gelu(x)' --width 512 --depth 4 --epochs 3 --mode $mode --out /tmp/tr/$b-$mode-$i >/dev/null 2>&1
      python3 -c "
import json;d=json.load(open('/tmp/tr/$b-$mode-$i/metrics.json'))
e=d['epochs'];print('$b $mode $i', round(sum(x['seconds'] for x in e),2), e[-1]['test_accuracy'])"
    done
  done
done
