#!/usr/bin/env bash
# Multi-process training with torchrun: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# NNODES, NODE_RANK, MASTER_ADDR and PORT select multi-node runs; machines without a GPU train with gloo.
set -euo pipefail
CONFIG=$1
NPROCS=$2
shift 2
exec python -m torch.distributed.run \
  --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
  --master_port="${PORT:-29500}" --nproc_per_node="$NPROCS" \
  "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
