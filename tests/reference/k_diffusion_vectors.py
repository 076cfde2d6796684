"""Reference vectors for difflab's k-diffusion samplers, made by k-diffusion itself.

Runs k-diffusion's own `sampling.py` (the release `make_vectors.sh` pins) in float64
on the exact denoiser of the ring8 Gaussian mixture (tests/data/ring8.json), with every
Gaussian draw given, and writes tests/data/k_diffusion.json: for each run the sampler,
its options, the step list (or σ range), the starting point, the draws in the order the
sampler used them, the NFE and the output. `tests/k_diffusion.rs` replays every run.

Only the draws that reach the state are recorded: a draw k-diffusion takes and then
multiplies by zero (DPM-Solver's last ancestral step) is dropped, because difflab does
not take it.
"""

import importlib.util
import json
import math
import sys
import types
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def load_sampling():
    """k_diffusion.sampling without the package's __init__ (which imports the training stack)."""
    spec = importlib.util.find_spec("k_diffusion")
    root = Path(spec.submodule_search_locations[0])
    pkg = types.ModuleType("k_diffusion")
    pkg.__path__ = [str(root)]
    sys.modules["k_diffusion"] = pkg
    import k_diffusion.sampling as sampling  # noqa: E402

    return sampling, (root / "sampling.py")


class Mixture:
    """The exact denoiser E[x0 | x] of an isotropic Gaussian mixture under noise σ."""

    def __init__(self, problem):
        self.means = torch.tensor(problem["means"])
        self.stds = torch.tensor(problem["stds"])
        self.weights = torch.tensor(problem["weights"])
        self.calls = 0

    def __call__(self, x, sigma):
        self.calls += 1
        var = self.stds[None, :] ** 2 + sigma[:, None] ** 2  # [N, K]
        d = x.shape[1]
        diff = x[:, None, :] - self.means[None, :, :]  # [N, K, d]
        logp = (
            torch.log(self.weights)[None, :]
            - 0.5 * (diff**2).sum(-1) / var
            - 0.5 * d * torch.log(2 * math.pi * var)
        )
        r = torch.softmax(logp, dim=1)
        shrink = self.stds[None, :] ** 2 / var  # the component posterior mean μ + s²/(s²+σ²)(x − μ)
        mean = self.means[None, :, :] + shrink[:, :, None] * diff
        return (r[:, :, None] * mean).sum(1)


def rows(t):
    return t.tolist()


def main():
    sampling, source = load_sampling()
    ring8 = json.loads((DATA / "ring8.json").read_text())
    problem = ring8["problem"]
    mix = Mixture(problem)
    # the denoiser agrees with the ring8 vectors that difflab's own exact denoiser matches
    den = ring8["denoiser"]
    got = mix(torch.tensor(den["x"]), torch.tensor(den["sigma"]))
    err = (got - torch.tensor(den["D"])).abs().max().item()
    assert err < 1e-12, f"the reference denoiser disagrees with ring8.json by {err}"

    gen = torch.Generator().manual_seed(20221205)
    n, d = 8, 2
    eps = torch.randn(n, d, generator=gen)
    sigma_min, sigma_max = 0.002, 80.0
    x_t = eps * sigma_max

    draws = []

    def draw(like):
        z = torch.randn(like.shape, generator=gen)
        draws.append(z)
        return z

    def noise_sampler(sigma, sigma_next):
        return draw(x_t)

    step_lists = {
        "karras": rows(sampling.get_sigmas_karras(7, sigma_min, sigma_max, rho=7.0)),
        "exponential": rows(sampling.get_sigmas_exponential(7, sigma_min, sigma_max)),
        "polyexponential": rows(sampling.get_sigmas_polyexponential(7, sigma_min, sigma_max, rho=2.0)),
        "vp": rows(sampling.get_sigmas_vp(7)),
    }

    runs = []

    def record(name, options, fn, sigmas=None, keep=None, **extra):
        draws.clear()
        mix.calls = 0
        out = fn()
        used = draws if keep is None else [z for z, k in zip(draws, keep(draws)) if k]
        run = {"sampler": name, "options": options, "nfe": mix.calls, "output": rows(out)}
        if sigmas is not None:
            run["sigmas"] = rows(sigmas)
        run.update(extra)
        if used:
            run["noise"] = [rows(z) for z in used]
        runs.append(run)

    for steps in (6, 12):
        sigmas = sampling.get_sigmas_karras(steps, sigma_min, sigma_max, rho=7.0)

        def model(x, s):
            return mix(x, s)

        for order in (1, 2, 4):
            record("lms", {"order": order}, lambda: sampling.sample_lms(model, x_t, sigmas, disable=True, order=order), sigmas)
        record("dpm_2", {}, lambda: sampling.sample_dpm_2(model, x_t, sigmas, disable=True), sigmas)
        # churn: k-diffusion takes one torch.randn_like per step; with S_churn > 0 over the whole
        # range every step uses it
        churn = {"s_churn": 2.0, "s_tmin": 0.0, "s_tmax": float("inf"), "s_noise": 1.003}
        original = torch.randn_like
        torch.randn_like = draw
        try:
            record("dpm_2", {"s_churn": 2.0, "s_noise": 1.003},
                   lambda: sampling.sample_dpm_2(model, x_t, sigmas, disable=True, **churn), sigmas)
        finally:
            torch.randn_like = original
        for eta in (1.0, 0.5):
            opts = {"eta": eta, "s_noise": 0.9}
            kw = dict(disable=True, noise_sampler=noise_sampler, **opts)
            record("dpm_2_ancestral", opts, lambda: sampling.sample_dpm_2_ancestral(model, x_t, sigmas, **kw), sigmas)
            record("dpmpp_2s_ancestral", opts, lambda: sampling.sample_dpmpp_2s_ancestral(model, x_t, sigmas, **kw), sigmas)
            record("dpmpp_sde", opts, lambda: sampling.sample_dpmpp_sde(model, x_t, sigmas, **kw), sigmas)
            record("dpmpp_sde", {**opts, "r": 0.3}, lambda: sampling.sample_dpmpp_sde(model, x_t, sigmas, r=0.3, **kw), sigmas)
            for solver in ("midpoint", "heun"):
                record("dpmpp_2m_sde", {**opts, "solver_type": solver},
                       lambda: sampling.sample_dpmpp_2m_sde(model, x_t, sigmas, solver_type=solver, **kw), sigmas)
            record("dpmpp_3m_sde", opts, lambda: sampling.sample_dpmpp_3m_sde(model, x_t, sigmas, **kw), sigmas)
        for name, fn in (("dpm_2_ancestral", sampling.sample_dpm_2_ancestral),
                         ("dpmpp_2s_ancestral", sampling.sample_dpmpp_2s_ancestral),
                         ("dpmpp_sde", sampling.sample_dpmpp_sde),
                         ("dpmpp_2m_sde", sampling.sample_dpmpp_2m_sde),
                         ("dpmpp_3m_sde", sampling.sample_dpmpp_3m_sde)):
            # with η = 0 the ancestral steps still take a draw and scale it by 0: none is kept
            record(name, {"eta": 0.0}, lambda: fn(model, x_t, sigmas, disable=True, eta=0.0, noise_sampler=noise_sampler),
                   sigmas, keep=lambda taken: [False] * len(taken))

    def ancestral_keep(t_end, eta):
        """Which DPM-Solver draws reach the state: σ_up > 0 after clamping to the end time."""
        def keep(_):
            out = []
            for sigma, sigma_next in calls:
                sd, _ = sampling.get_ancestral_step(sigma, sigma_next, eta)
                t_next_ = min(t_end, -math.log(sd))
                out.append(sigma_next**2 - math.exp(-t_next_) ** 2 > 0)
            return out
        return keep

    calls = []

    def dpm_noise(sigma, sigma_next):
        calls.append((float(sigma), float(sigma_next)))
        return draw(x_t)

    t_end = -math.log(sigma_min)
    for nfe in (7, 9, 11):
        for eta in (0.0, 0.7):
            calls.clear()
            opts = {"eta": eta, "s_noise": 1.1} if eta else {}
            record("dpm_fast", opts,
                   lambda: sampling.sample_dpm_fast(mix, x_t, sigma_min, sigma_max, nfe, disable=True,
                                                    noise_sampler=dpm_noise, **opts),
                   keep=ancestral_keep(t_end, eta), sigma_min=sigma_min, sigma_max=sigma_max, steps=nfe)
    for opts in ({}, {"order": 2}, {"rtol": 0.01, "atol": 0.001}, {"order": 2, "rtol": 0.02, "h_init": 0.2},
                 {"pcoeff": 0.3, "icoeff": 0.6, "dcoeff": 0.1, "accept_safety": 0.9},
                 {"eta": 0.8, "s_noise": 0.95}):
        calls.clear()
        record("dpm_adaptive", opts,
               lambda: sampling.sample_dpm_adaptive(mix, x_t, sigma_min, sigma_max, disable=True,
                                                    noise_sampler=dpm_noise, **opts),
               keep=ancestral_keep(t_end, opts.get("eta", 0.0)), sigma_min=sigma_min, sigma_max=sigma_max)

    import k_diffusion  # noqa: F401  (the version, for the record)
    from importlib.metadata import version

    out = {
        "format": "difflab-k-diffusion-v1",
        "made_by": f"k-diffusion {version('k-diffusion')} (sampling.py), torch {torch.__version__}, float64, "
        "by tests/reference/k_diffusion_vectors.py",
        "problem": problem,
        "initial": {"eps": rows(eps), "sigma_max": sigma_max, "x_T": rows(x_t)},
        "step_lists": {"n": 7, "sigma_min": sigma_min, "sigma_max": sigma_max, "polyexponential_rho": 2.0,
                       "vp_params": {"beta_d": 19.9, "beta_min": 0.1, "eps_s": 1e-3}, **step_lists},
        "runs": runs,
    }
    (DATA / "k_diffusion.json").write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"{len(runs)} runs written to tests/data/k_diffusion.json")


if __name__ == "__main__":
    main()
