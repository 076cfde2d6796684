#!/usr/bin/env bash
# Remakes tests/data/k_diffusion.json, tests/data/diffusers.json and the pretrained models of
# tests/data/pretrained/ (with tests/data/pretrained.json) with k-diffusion and diffusers
# themselves: a virtualenv (under target/, or $VENV) with torch, k-diffusion and diffusers from
# PyPI, then the vector scripts. `CIFAR=DIR` also saves DDPM CIFAR-10's architecture with random
# weights into DIR, for tests/pretrained.rs's check by hand (DIFFLAB_CIFAR_UNET=DIR).
# k-diffusion is installed without its training dependencies; the script loads its
# sampling module alone. CI does not run this; tests/k_diffusion.rs reads its output.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${VENV:-target/reference-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch torchvision torchsde torchdiffeq scipy tqdm safetensors pillow
    "$venv/bin/pip" install --quiet --no-deps k-diffusion==0.1.1.post1
    "$venv/bin/pip" install --quiet diffusers==0.42.1
fi
"$venv/bin/python" tests/reference/k_diffusion_vectors.py
"$venv/bin/python" tests/reference/diffusers_vectors.py
"$venv/bin/python" tests/reference/diffusers_unet.py ${CIFAR:+--cifar "$CIFAR"}
