#!/usr/bin/env bash
# Stub "scheduler" for the cluster-generic profile: runs the job script locally in the
# background and prints a job id, as a real submit command (sbatch, qsub, bsub) would.
# Arguments: MEM_MB THREADS JOBSCRIPT
set -euo pipefail
jobscript="${@: -1}"
log="$(dirname "$jobscript")/$(basename "$jobscript").out"
nohup bash "$jobscript" >"$log" 2>&1 &
echo "local-$!"
