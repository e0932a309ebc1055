#!/bin/bash
# ganplay's GPU numbers (README "On a GPU"): a 64 px DCGAN in fp32, bf16 and torch.compile'd,
# each beside a plain PyTorch loop, then the 28 px mnist-dcgan. Run from the repository root on a
# CUDA machine with the package's dependencies installed; writes OUT (default ./gpu-bench).
OUT=${OUT:-gpu-bench}; STEPS=${STEPS:-100}; REP=${REP:-3}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
S="data.image_size=64 model.z_dim=100 model.g_channels=64 model.d_channels=64"
for B in 256 1024; do
  extra=""; [ "$B" = 256 ] && extra="--compile"
  echo "== DCGAN-64 batch $B" | tee -a "$OUT/gpu.txt"
  python3 -m ganplay bench --steps "$STEPS" --repeats "$REP" --batch-size "$B" --set $S $extra \
     --json "$OUT/dcgan64_b$B.json" 2>&1 | grep -v "^bench: measuring" | tee -a "$OUT/gpu.txt"
done
echo "== mnist-dcgan (28 px) batch 64" | tee -a "$OUT/gpu.txt"
python3 -m ganplay bench --steps "$STEPS" --repeats "$REP" --batch-size 64 --json "$OUT/dcgan28_b64.json" 2>&1 \
  | grep -v "^bench: measuring" | tee -a "$OUT/gpu.txt"
