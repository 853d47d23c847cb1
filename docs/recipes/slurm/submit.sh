#!/bin/bash
# Submit the grading array, then the merge job that waits for all of it to succeed.
set -euo pipefail
here=$(dirname "$0")
array=$(sbatch --parsable "$here/grade.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" "$here/merge.sbatch")
echo "grading: job array $array; merging: job $merge (starts when every shard has succeeded)"
