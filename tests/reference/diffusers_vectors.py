"""Reference vectors for difflab's diffusers samplers, made by diffusers itself.

Runs diffusers' own schedulers (the release `make_vectors.sh` pins) in float64 on the exact
denoiser of the ring8 Gaussian mixture (tests/data/ring8.json) and writes
tests/data/diffusers.json: for each run the sampler, its options, the VE noise levels σ the
scheduler steps through (its `sigmas`, made float64 before the run), the starting point in
VE coordinates, the NFE and the output. `tests/diffusers.rs` replays every run.

diffusers works in VP coordinates x = α x0 + σ_VP ε with α = 1/√(1 + σ²), σ_VP = σ α; the
model output given to it is the exact ε = (x − α D(x/α, σ))/σ_VP, and its result at σ = 0 is
the sample itself.
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k_diffusion_vectors import Mixture  # noqa: E402  (the same exact denoiser)

torch.set_default_dtype(torch.float64)
DATA = Path(__file__).resolve().parent.parent / "data"


def run_scheduler(scheduler, steps, mix, eps, stop=None):
    """Runs `steps` steps, or only the first `stop`; returns the σ list run, the start and the
    end in VE coordinates."""
    scheduler.set_timesteps(steps)
    # every scheduler quantity in float64, so the comparison is at float64 precision
    for name in ("sigmas", "alphas_cumprod", "alpha_t", "sigma_t", "lambda_t"):
        if hasattr(scheduler, name) and isinstance(getattr(scheduler, name), torch.Tensor):
            setattr(scheduler, name, getattr(scheduler, name).double())
    sigmas = scheduler.sigmas
    alpha0 = 1 / torch.sqrt(sigmas[0] ** 2 + 1)
    x = eps * scheduler.init_noise_sigma
    x_ve = (x / alpha0).clone()
    mix.calls = 0
    stop = len(scheduler.timesteps) if stop is None else stop
    for i, t in enumerate(scheduler.timesteps[:stop]):
        sigma = sigmas[i]
        alpha = 1 / torch.sqrt(sigma**2 + 1)
        denoised = mix(x / alpha, sigma * torch.ones(x.shape[0]))
        model_output = (x - alpha * denoised) / (sigma * alpha)
        x = scheduler.step(model_output, t, x).prev_sample
    alpha_end = 1 / torch.sqrt(sigmas[stop] ** 2 + 1)
    return sigmas[: stop + 1].tolist(), x_ve.tolist(), (x / alpha_end).tolist()


def pndm_scheduler(config):
    """A PNDMScheduler whose ᾱ are made in float64 from the same linear β (diffusers makes
    them in float32), so that difflab's `vp_linear(1e-4, 0.02, 1000)` has the same levels."""
    from diffusers import PNDMScheduler

    scheduler = PNDMScheduler(**config)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    scheduler.alphas_cumprod = torch.cumprod(1 - betas, 0)
    scheduler.final_alpha_cumprod = torch.tensor(1.0) if config["set_alpha_to_one"] else scheduler.alphas_cumprod[0]
    return scheduler


def run_pndm(scheduler, steps, mix, eps):
    """PNDM (its Runge-Kutta steps too, whose midpoints lie between the listed levels) and its
    PLMS path: its own timesteps and ᾱ, converted to the VE σ list it steps through."""
    scheduler.set_timesteps(steps)
    bar = scheduler.alphas_cumprod
    ve = lambda a: torch.sqrt((1 - a) / a)
    sigmas = [ve(bar[t]).item() for t in scheduler._timesteps[::-1].tolist()]
    sigmas.append(ve(scheduler.final_alpha_cumprod).item())
    x = eps * scheduler.init_noise_sigma
    x_ve = x * torch.sqrt(1 + torch.tensor(sigmas[0]) ** 2)
    mix.calls = 0
    for t in scheduler.timesteps:
        alpha, sigma_vp = torch.sqrt(bar[t]), torch.sqrt(1 - bar[t])
        denoised = mix(x / alpha, (sigma_vp / alpha) * torch.ones(x.shape[0]))
        x = scheduler.step((x - alpha * denoised) / sigma_vp, t, x).prev_sample
    out = x / torch.sqrt(scheduler.final_alpha_cumprod)
    return sigmas, x_ve.tolist(), out.tolist()


def run_ipndm(sigmas, mix, eps):
    """diffusers' IPNDMScheduler along a given VE σ list: its `trained_betas` are the VP noise
    scales σ/√(1 + σ²) of the steps (the last 0), its model output the v-prediction
    α ε − σ_VP x0."""
    from diffusers import IPNDMScheduler

    sigmas = torch.tensor(sigmas)
    vp = sigmas / torch.sqrt(1 + sigmas**2)
    scheduler = IPNDMScheduler(trained_betas=vp.tolist())
    scheduler.set_timesteps(len(sigmas) - 1)
    scheduler.betas, scheduler.alphas = vp, torch.sqrt(1 - vp**2)
    x = eps * vp[0]  # x_VP = α x_VE with x_VE = σ_0 ε
    x_ve = (eps * sigmas[0]).tolist()
    mix.calls = 0
    for i, t in enumerate(scheduler.timesteps):
        alpha, sigma_vp = scheduler.alphas[i], vp[i]
        denoised = mix(x / alpha, sigmas[i] * torch.ones(x.shape[0]))
        eps_hat = (x - alpha * denoised) / sigma_vp
        x = scheduler.step(alpha * eps_hat - sigma_vp * denoised, t, x).prev_sample
    return x_ve, x.tolist(), mix.calls


def record(name, scheduler, config, options, steps, mix, eps, stop=None):
    sigmas, x_start, out = run_scheduler(scheduler, steps, mix, eps, stop)
    return {"sampler": name, "options": options, "diffusers": {**config, "steps": steps, "stopped_after": stop},
            "sigmas": sigmas, "x": x_start, "nfe": mix.calls, "output": out}


def main():
    from diffusers import DEISMultistepScheduler, UniPCMultistepScheduler
    from importlib.metadata import version

    ring8 = json.loads((DATA / "ring8.json").read_text())
    mix = Mixture(ring8["problem"])
    gen = torch.Generator().manual_seed(20221206)
    eps = torch.randn(8, 2, generator=gen)
    runs = []
    for steps in (5, 12):
        for spacing in ("linspace", "trailing", "karras"):
            for order in (1, 2, 3):
                config = dict(solver_order=order, solver_type="bh2")
                if spacing == "karras":
                    config["use_karras_sigmas"] = True
                else:
                    config["timestep_spacing"] = spacing
                runs.append(record("unipc", UniPCMultistepScheduler(**config), config, {"order": order}, steps, mix, eps))
        # B(h) = −h and full order to the end: diffusers cannot take either into σ = 0 (the first
        # gives NaN, the second singular order conditions), so these runs stop one step short
        for order in (1, 2, 3):
            for variant in ("bh1", "bh2"):
                config = dict(solver_order=order, solver_type=variant, lower_order_final=False, use_karras_sigmas=True)
                options = {"order": order, "variant": variant, "lower_order_final": 0}
                runs.append(record("unipc", UniPCMultistepScheduler(**config), config, options, steps, mix, eps, stop=steps - 1))
        # the predictor alone: diffusers' disable_corrector lists the steps whose correction is skipped
        config = dict(solver_order=2, disable_corrector=list(range(steps)))
        runs.append(record("unipc", UniPCMultistepScheduler(**config), config, {"order": 2, "corrector": 0}, steps, mix, eps))
    # DEIS: below 15 steps lower_order_final lowers the last two orders; 20 steps run at full
    # order to the end. Its Karras list repeats σ_min as the last level (a step of length 0),
    # so those runs stop one step short, at full order (lower_order_final would lower the
    # order of steps counted from that extra one)
    for steps in (5, 12, 20):
        for spacing in ("linspace", "trailing", "karras"):
            for order in (1, 2, 3):
                for lower_order_final in (True, False):
                    if (order == 1 and not lower_order_final) or (spacing == "karras" and order > 1 and lower_order_final):
                        continue
                    config = dict(solver_order=order, lower_order_final=lower_order_final)
                    if spacing == "karras":
                        config["use_karras_sigmas"] = True
                    else:
                        config["timestep_spacing"] = spacing
                    options = {"order": order, "lower_order_final": int(lower_order_final)}
                    stop = steps - 1 if spacing == "karras" else None
                    runs.append(record("deis", DEISMultistepScheduler(**config), config, options, steps, mix, eps, stop))
    # PLMS as Stable Diffusion configures it: "leading" timesteps with offset 1, so that each
    # step's target is the next timestep evaluated (with "linspace" diffusers steps to
    # t − T/N but evaluates the model at the rounded linspace point)
    for steps in (1, 2, 5, 12):
        for to_one in (True, False):
            config = dict(skip_prk_steps=True, timestep_spacing="leading", steps_offset=1, set_alpha_to_one=to_one)
            sigmas, x_start, out = run_pndm(pndm_scheduler(config), steps, mix, eps)
            runs.append({"sampler": "plms", "options": {}, "diffusers": {**config, "steps": steps},
                         "sigmas": sigmas, "x": x_start, "nfe": mix.calls, "output": out})
    # PNDM with its Runge-Kutta start: the midpoints t − ⌊T/N⌋/2 are the middles in time when
    # T/N is even, which difflab finds from the denoiser's schedule (vp_linear as DDPM's)
    for steps in (5, 10, 20):
        for to_one in (True, False):
            config = dict(skip_prk_steps=False, timestep_spacing="leading", steps_offset=1, set_alpha_to_one=to_one)
            sigmas, x_start, out = run_pndm(pndm_scheduler(config), steps, mix, eps)
            runs.append({"sampler": "pndm", "options": {}, "diffusers": {**config, "steps": steps},
                         "schedule": {"vp_linear": [1e-4, 0.02, 1000]},
                         "sigmas": sigmas, "x": x_start, "nfe": mix.calls, "output": out})
    # iPNDM along Karras lists (σ from 0.02 to 80, ρ = 7), given to it as its `trained_betas`
    for steps in (1, 3, 5, 12):
        ramp = torch.linspace(0, 1, steps)
        karras = (80 ** (1 / 7) + ramp * (0.02 ** (1 / 7) - 80 ** (1 / 7))) ** 7
        sigmas = karras.tolist() + [0.0]
        x_start, out, nfe = run_ipndm(sigmas, mix, eps)
        runs.append({"sampler": "ipndm", "options": {}, "diffusers": {"trained_betas": "karras", "steps": steps},
                     "sigmas": sigmas, "x": x_start, "nfe": nfe, "output": out})
    out = {
        "format": "difflab-diffusers-v1",
        "made_by": f"diffusers {version('diffusers')}, torch {torch.__version__}, float64, "
        "by tests/reference/diffusers_vectors.py",
        "problem": ring8["problem"],
        "runs": runs,
    }
    (DATA / "diffusers.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"{len(runs)} runs written to tests/data/diffusers.json")


if __name__ == "__main__":
    main()
