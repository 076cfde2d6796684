"""PyTorch side of `difflab bench`: the same work as difflab's benchmark workloads, op for op.

`difflab bench` (src/bench/compare.rs) spawns this script once per workload and thread count:

    python benches/reference/workloads.py WORKLOAD --threads T --device cpu|cuda
        [--batch B] [--points N] [--steps S] [--seconds SEC] [--compile]

and reads the one JSON line it prints, {"workload": ..., "rate": ..., "unit": ..., "first_s": ...}
(first_s: the first warm-up iteration's seconds, which under --compile include the compilation).

With --compile the network's forward runs under `torch.compile` (inductor, dynamic=False), what a
PyTorch user who cares about CPU speed would write; the loss, optimizer and sampler loop stay
eager Python around it. Compilation happens in the warm-up, which the rate leaves out.

The workloads are the Rhai scripts of src/bench/workloads.rs:

- train_mlp (steps/s): `mlp(#{ dim: 2, hidden: [256, 256, 256], fourier: 16 })` trained with
  `opt.step(diffusion_loss(net, vp_cosine(), data.batch(B), #{ pred: "eps" }))`, AdamW lr 1e-3,
  weight decay 0, on `swirl(100000)`;
- sample_mlp (points·steps/s): that MLP as `denoiser(net, vp_cosine(), "eps")`, sampled by
  `sample(den, #{ method: "heun", steps: S, n: N })`;
- train_unet (steps/s): `unet(#{ image: [1, 16, 16] })` (its defaults: channels 32, mults [1, 2],
  res_blocks 1, no attention but the middle one, dropout 0, time_embed "t") trained as above
  on `randn([4096, 1, 16, 16])`;
- sample_unet (images/s): that UNet sampled with Heun as above, B images at a time;
- sample_ddpm32 (images/s): DDPM CIFAR-10's architecture (diffusers' UNet2DModel with
  block_out_channels 128/256/256/256, two layers per block, attention at 16×16; 35.7 M random
  weights) as `load_pretrained(DIR)`, sampled by `sample(den, #{ method: "ddim", steps: S, n: B })`.
  Here the PyTorch side is diffusers itself, not a mirror: the same folder through
  `UNet2DModel.from_pretrained` and `DDIMScheduler`'s loop of S steps, which calls the network
  once a step as difflab's DDIM does. `--write-model DIR` writes that folder (the weights drawn
  from seed 0) and exits; `difflab bench` does so once and hands both sides the folder.

What each piece mirrors:

- network: src/nn/mlp.rs, src/nn/unet/, src/nn/embed.rs, src/nn/layer/, src/nn/functional.rs,
  src/nn/params.rs, with the defaults of src/runtime/api/nn.rs;
- loss: src/diffusion/loss.rs, src/diffusion/parameterization.rs, src/diffusion/schedule.rs
  (vp_cosine, s = 0.008), minibatches from src/data/batch.rs;
- optimizer: src/nn/optim.rs (AdamW, PyTorch's betas and eps) as torch.optim.AdamW;
- sampling: src/runtime/api/sample.rs, src/diffusion/timesteps.rs (Karras noise levels over
  the denoiser's range), src/diffusion/denoiser.rs, src/diffusion/samplers/{mod,heun}.rs.

Where difflab works differently from the usual PyTorch idiom, this file follows difflab so
that both sides do the same arithmetic and launch the same elementwise kernels: weights are
stored [in, out] and applied as `x @ w + b`, convolution biases are added separately, group
norm is written out op by op, per-example times and noise-level coefficients are computed
on the host in float64 and copied to the device, and minibatch indices come from a host
permutation. Each such place names the Rust function it mirrors.

Timing follows src/bench/timing.rs: three warm-up iterations timed one by one, a window of
iterations lasting about --seconds at the fastest of them, three such windows, rate =
iterations / fastest window.
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# The noise schedule: Schedule::VpCosine (src/diffusion/schedule.rs) with vp_cosine()'s s = 0.008.
# Everything here runs on the host in float64, as difflab computes these per-row values.

COSINE_S = 0.008
T_MIN = 1e-4  # Schedule::t_min for VpCosine
T_MAX = 1.0 - 1e-3  # Schedule::t_max for VpCosine


def log_alpha_bar(t):
    """Schedule::log_alpha_bar: 2 ln(f(t)/f(0)), f(t) = cos(π/2 · (t + s)/(1 + s))."""
    f = lambda u: torch.cos((u + COSINE_S) / (1.0 + COSINE_S) * (math.pi / 2))
    return 2.0 * torch.log(f(t) / f(torch.zeros_like(t)))


def alpha(t):
    """Schedule::alpha."""
    return torch.exp(0.5 * log_alpha_bar(t))


def sigma(t):
    """Schedule::sigma."""
    return torch.sqrt(torch.clamp(-torch.expm1(log_alpha_bar(t)), min=0.0))


def edm_sigma(t):
    """Schedule::edm_sigma: σ/α = exp(−λ/2), λ from Schedule::logsnr."""
    lab = log_alpha_bar(t)
    logsnr = lab - torch.log(-torch.expm1(lab))
    return torch.exp(-0.5 * logsnr)


def t_of_edm_sigma(s):
    """Schedule::t_of_edm_sigma, through Schedule::t_of_logsnr's closed form for VpCosine."""
    logsnr = -2.0 * torch.log(s)
    softplus = torch.where(-logsnr > 30.0, -logsnr, torch.log1p(torch.exp(-logsnr)))  # schedule.rs softplus
    a = torch.exp(-0.5 * softplus)
    c0 = math.cos(COSINE_S / (1.0 + COSINE_S) * (math.pi / 2))
    t = torch.acos(torch.clamp(a * c0, -1.0, 1.0)) / (math.pi / 2) * (1.0 + COSINE_S) - COSINE_S
    return torch.clamp(t, 0.0, 1.0)


def per_row(values, like):
    """parameterization.rs per_row: host float64 values [N] as [N, 1, ...] in `like`'s dtype, on its device."""
    shape = [values.numel()] + [1] * (like.dim() - 1)
    return values.reshape(shape).to(like.dtype).to(like.device)


# ---------------------------------------------------------------------------------------------
# Parameters and layers: src/nn/params.rs, src/nn/layer/ and src/nn/functional.rs.


class ParamStore:
    """ParamStore (src/nn/params.rs): named parameters and buffers, in creation order."""

    def __init__(self, device):
        self.device = device
        self.tensors = {}
        self.params = []

    def param(self, name, shape, init):
        """ParamStore::param with an Init: a bound b for U(−b, b), or "zeros" / "ones"."""
        if init == "zeros":
            value = torch.zeros(shape)
        elif init == "ones":
            value = torch.ones(shape)
        else:
            value = torch.empty(shape).uniform_(-init, init)
        p = value.to(self.device).requires_grad_()
        self.tensors[name] = p
        self.params.append(p)

    def buffer(self, name, value):
        """ParamStore::buffer: a fixed tensor."""
        self.tensors[name] = value.to(self.device)

    def __getitem__(self, name):
        return self.tensors[name]


def fan_in(n):
    """Init::fan_in: PyTorch's default bound 1/√fan_in."""
    return 1.0 / math.sqrt(max(n, 1))


def linear(x, w, b):
    """functional.rs linear: x @ w + b with w of shape [in, out] (a matmul, then a broadcast add)."""
    return x @ w + b


def conv2d(x, w, b, stride, padding):
    """functional.rs conv2d: the convolution, then the bias added as [1, C, 1, 1]."""
    return F.conv2d(x, w, stride=stride, padding=padding) + b.reshape(1, -1, 1, 1)


def group_norm(x, groups, gamma, beta):
    """functional.rs group_norm, op by op: mean, centre, variance of the centred, divide, scale, shift."""
    n, c, h, w = x.shape
    grouped = x.reshape(n, groups, (c // groups) * h * w)
    mean = grouped.mean(-1, keepdim=True)
    centered = grouped - mean
    var = centered.square().mean(-1, keepdim=True)
    normed = (centered / torch.sqrt(var + 1e-5)).reshape(n, c, h, w)
    return normed * gamma.reshape(1, c, 1, 1) + beta.reshape(1, c, 1, 1)


def groups_for(channels):
    """functional.rs groups_for: the largest group count ≤ 32 that divides `channels`."""
    return next(g for g in range(min(32, channels), 0, -1) if channels % g == 0)


def sinusoidal(c, dim):
    """functional.rs sinusoidal: [cos(c·f_i), sin(c·f_i)], f_i = 10000^(−i/(dim/2)); the frequencies are
    made on the host and copied to the device on every call, as difflab does."""
    half = dim // 2
    freqs = torch.tensor([math.exp(-math.log(10000.0) * i / half) for i in range(half)], dtype=torch.float32)
    freqs = freqs.reshape(1, half).to(c.device).to(c.dtype)
    args = c.reshape(-1, 1) * freqs
    return torch.cat([torch.cos(args), torch.sin(args)], 1)


def per_example(c, n):
    """functional.rs per_example: a noise level per row, a single one repeated (and materialised) for the batch."""
    if c.numel() == 1:
        return c.reshape(1).expand(n).contiguous()
    return c.reshape(n)


def init_time_mlp(store, prefix, freq_dim, dim):
    """embed.rs init_time_mlp: sinusoid of freq_dim → dense to dim → SiLU → dense."""
    store.param(f"{prefix}.0.weight", [freq_dim, dim], fan_in(freq_dim))
    store.param(f"{prefix}.0.bias", [dim], fan_in(freq_dim))
    store.param(f"{prefix}.1.weight", [dim, dim], fan_in(dim))
    store.param(f"{prefix}.1.bias", [dim], fan_in(dim))


def time_mlp(store, prefix, c, freq_dim):
    """embed.rs time_mlp with time_embed "t" (TimeInput::T embeds 1000·t)."""
    s = sinusoidal(c * 1000.0, freq_dim)
    h = F.silu(linear(s, store[f"{prefix}.0.weight"], store[f"{prefix}.0.bias"]))
    return linear(h, store[f"{prefix}.1.weight"], store[f"{prefix}.1.bias"])


# ---------------------------------------------------------------------------------------------
# The networks: MlpConfig (src/nn/mlp.rs) and UnetConfig (src/nn/unet/mod.rs).


class Mlp:
    """`mlp(#{ dim: 2, hidden: [256, 256, 256], fourier: 16 })` with nn.rs's defaults: act silu,
    fourier_scale 1.0, time_embed "t", time_dim 64, out = dim."""

    def __init__(self, device, dim=2, hidden=(256, 256, 256), fourier=16, fourier_scale=1.0, time_dim=64):
        # MlpConfig::init, in its order.
        self.hidden, self.time_dim = hidden, time_dim
        self.store = ParamStore(device)
        self.store.buffer("fourier.B", torch.randn(dim, fourier) * fourier_scale)
        init_time_mlp(self.store, "time", time_dim, time_dim)
        width = dim + 2 * fourier
        for i, h in enumerate(hidden):
            self.store.param(f"layers.{i}.weight", [width, h], fan_in(width))
            self.store.param(f"layers.{i}.bias", [h], fan_in(width))
            self.store.param(f"layers.{i}.time", [time_dim, h], fan_in(time_dim))
            width = h
        self.store.param("out.weight", [width, dim], fan_in(width))
        self.store.param("out.bias", [dim], "zeros")

    def __call__(self, x, c):
        """MlpConfig::forward: Fourier features of x, the time embedding added into every hidden layer."""
        s = self.store
        temb = time_mlp(s, "time", per_example(c, x.shape[0]), self.time_dim)
        proj = (x @ s["fourier.B"]) * (2.0 * math.pi)  # embed.rs fourier_features
        h = torch.cat([x, torch.sin(proj), torch.cos(proj)], 1)
        for i in range(len(self.hidden)):
            pre = linear(h, s[f"layers.{i}.weight"], s[f"layers.{i}.bias"])
            cond = temb @ s[f"layers.{i}.time"]
            h = F.silu(pre + cond)
        return linear(h, s["out.weight"], s["out.bias"])


class Unet:
    """`unet(#{ image: [1, 16, 16] })` with nn.rs's defaults: channels 32, mults [1, 2], res_blocks 1,
    attention_at [] (so only the middle attention), dropout 0 (functional.rs dropout is then the identity,
    so it is left out), time_embed "t"."""

    def __init__(self, device, image=(1, 16, 16), channels=32, mults=(1, 2), res_blocks=1):
        # UnetConfig::init, in its order.
        self.image, self.channels, self.mults, self.res_blocks = image, channels, mults, res_blocks
        temb = 4 * channels  # UnetConfig::temb_dim
        s = self.store = ParamStore(device)
        init_time_mlp(s, "time", channels, temb)
        self._conv_params("conv_in", image[0], channels, 3)
        skips, cur = [channels], channels
        for level, m in enumerate(mults):
            for r in range(res_blocks):
                self._res_params(f"down.{level}.{r}", cur, channels * m, temb)
                cur = channels * m
                skips.append(cur)
            if level + 1 < len(mults):
                self._conv_params(f"down.{level}.down", cur, cur, 3)
                skips.append(cur)
        self._res_params("mid.0", cur, cur, temb)
        self._norm_params("mid.attn.norm", cur)
        self._conv_params("mid.attn.qkv", cur, 3 * cur, 1)
        self._conv_params("mid.attn.proj", cur, cur, 1)
        self._res_params("mid.1", cur, cur, temb)
        for level in reversed(range(len(mults))):
            for r in range(res_blocks + 1):
                self._res_params(f"up.{level}.{r}", cur + skips.pop(), channels * mults[level], temb)
                cur = channels * mults[level]
            if level > 0:
                self._conv_params(f"up.{level}.up", cur, cur, 3)
        self._norm_params("out.norm", cur)
        s.param("out.conv.weight", [image[0], cur, 3, 3], "zeros")
        s.param("out.conv.bias", [image[0]], "zeros")

    def _conv_params(self, p, cin, cout, k):
        """Conv2d::init (src/nn/layer/conv.rs)."""
        self.store.param(f"{p}.weight", [cout, cin, k, k], fan_in(cin * k * k))
        self.store.param(f"{p}.bias", [cout], fan_in(cin * k * k))

    def _norm_params(self, p, ch):
        """norm::init (src/nn/layer/norm.rs)."""
        self.store.param(f"{p}.weight", [ch], "ones")
        self.store.param(f"{p}.bias", [ch], "zeros")

    def _res_params(self, p, cin, cout, temb):
        """ResBlock::init (src/nn/unet/res_block.rs)."""
        self._norm_params(f"{p}.norm1", cin)
        self._conv_params(f"{p}.conv1", cin, cout, 3)
        self.store.param(f"{p}.temb.weight", [temb, cout], fan_in(temb))
        self.store.param(f"{p}.temb.bias", [cout], "zeros")
        self._norm_params(f"{p}.norm2", cout)
        self._conv_params(f"{p}.conv2", cout, cout, 3)
        if cin != cout:
            self._conv_params(f"{p}.skip", cin, cout, 1)

    def _conv(self, p, x, stride):
        """Conv2d::same (src/nn/layer/conv.rs): padding k/2."""
        w = self.store[f"{p}.weight"]
        return conv2d(x, w, self.store[f"{p}.bias"], stride, w.shape[2] // 2)

    def _norm(self, p, x):
        """GroupNorm::standard (src/nn/layer/norm.rs)."""
        return group_norm(x, groups_for(x.shape[1]), self.store[f"{p}.weight"], self.store[f"{p}.bias"])

    def _res_block(self, p, x, temb):
        """ResBlock::forward (src/nn/unet/res_block.rs; SiLU of the time embedding taken in every block, as there)."""
        h = self._conv(f"{p}.conv1", F.silu(self._norm(f"{p}.norm1", x)), 1)
        t = linear(F.silu(temb), self.store[f"{p}.temb.weight"], self.store[f"{p}.temb.bias"])
        h = h + t.reshape(t.shape[0], t.shape[1], 1, 1)
        h = self._conv(f"{p}.conv2", F.silu(self._norm(f"{p}.norm2", h)), 1)
        skip = self._conv(f"{p}.skip", x, 1) if f"{p}.skip.weight" in self.store.tensors else x
        return skip + h

    def _attention(self, p, x):
        """AttentionBlock::forward (src/nn/unet/attention_block.rs): single-head self-attention over the pixels, with its contiguous copies."""
        n, c, h, w = x.shape
        qkv = self._conv(f"{p}.qkv", self._norm(f"{p}.norm", x), 1).reshape(n, 3, c, h * w)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]
        scores = (q.transpose(1, 2).contiguous() @ k.contiguous()) / math.sqrt(c)
        weights = torch.softmax(scores, -1)
        out = (v.contiguous() @ weights.transpose(1, 2).contiguous()).reshape(n, c, h, w)
        return x + self._conv(f"{p}.proj", out, 1)

    def __call__(self, x, c):
        """UnetConfig::forward."""
        temb = time_mlp(self.store, "time", per_example(c, x.shape[0]), self.channels)
        h = self._conv("conv_in", x, 1)
        skips = [h]
        for level in range(len(self.mults)):
            for r in range(self.res_blocks):
                h = self._res_block(f"down.{level}.{r}", h, temb)
                skips.append(h)
            if level + 1 < len(self.mults):
                h = self._conv(f"down.{level}.down", h, 2)
                skips.append(h)
        h = self._res_block("mid.0", h, temb)
        h = self._attention("mid.attn", h)
        h = self._res_block("mid.1", h, temb)
        for level in reversed(range(len(self.mults))):
            for r in range(self.res_blocks + 1):
                h = self._res_block(f"up.{level}.{r}", torch.cat([h, skips.pop()], 1), temb)
            if level > 0:
                h = self._conv(f"up.{level}.up", F.interpolate(h, size=(2 * h.shape[2], 2 * h.shape[3]), mode="nearest"), 1)
        h = F.silu(self._norm("out.norm", h))
        return self._conv("out.conv", h, 1)


# ---------------------------------------------------------------------------------------------
# Training: src/data/batch.rs, src/diffusion/loss.rs, src/nn/optim.rs.


def take_batch(data, n):
    """batch.rs batch: row indices from a host permutation (with replacement past the data's size),
    copied to the device, then gathered."""
    rows = data.shape[0]
    idx = torch.randperm(rows)[:n] if n <= rows else torch.randint(0, rows, (n,))
    return data.index_select(0, idx.to(data.device))


def diffusion_loss(net, x0):
    """loss.rs diffusion_loss with pred "eps", weighting "simple" and the default uniform times:
    t ~ U[t_min, t_max) and α(t), σ(t) on the host, ε ~ N(0, I) on the device, x = α x0 + σ ε,
    the network fed t, and the mean over the batch of each example's mean squared ε error."""
    n = x0.shape[0]
    t = T_MIN + (T_MAX - T_MIN) * torch.rand(n, dtype=torch.float64)
    a, s = per_row(alpha(t), x0), per_row(sigma(t), x0)
    eps = torch.randn(x0.shape, dtype=x0.dtype, device=x0.device)
    x = x0 * a + eps * s
    out = net(x, per_row(t, x0).flatten())
    return (out - eps).square().flatten(1).mean(1).mean()


def train_step(net, opt, data, batch):
    """`opt.step(diffusion_loss(net, sched, data.batch(B), #{ pred: "eps" }))`; Optimizer::step first
    reads the loss value (waiting for the device) and refuses a non-finite one."""
    loss = diffusion_loss(net, take_batch(data, batch))
    value = loss.item()
    if not math.isfinite(value):
        raise RuntimeError(f"the loss is {value}")
    opt.zero_grad()
    loss.backward()
    opt.step()


def swirl(n):
    """toy.rs swirl with its defaults (noise 0.25, not quantised): VDM's 2-D swirl mapped to [-1, 1]."""
    theta = torch.sqrt(torch.rand(n, dtype=torch.float64)) * 3.0 * math.pi
    r = 2.0 * theta + math.pi
    xy = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1)
    level = 4.0 * (xy + 0.25 * torch.randn(n, 2, dtype=torch.float64) + 30.0)
    return (level / 127.5 - 1.0).to(torch.float32)


# ---------------------------------------------------------------------------------------------
# Sampling: src/runtime/api/sample.rs, src/diffusion/timesteps.rs, src/diffusion/denoiser.rs,
# src/diffusion/samplers/{mod,heun}.rs.


def sigma_range():
    """NetworkDenoiser::sigma_range: σ/α at the schedule's t_min and t_max."""
    lo, hi = edm_sigma(torch.tensor([T_MIN, T_MAX], dtype=torch.float64)).tolist()
    return lo, hi


def karras_sigmas(n, sigma_min, sigma_max, rho=7.0):
    """timesteps.rs karras_sigmas: n levels evenly spaced in σ^(1/ρ) from σ_max to σ_min, then 0."""
    lo, hi = sigma_min ** (1.0 / rho), sigma_max ** (1.0 / rho)
    ramp = lambda i: 0.0 if n == 1 else i / (n - 1)
    return [(hi + ramp(i) * (lo - hi)) ** rho for i in range(n)] + [0.0]


def denoise(net, x, sig, sigma_min):
    """NetworkDenoiser::denoise for an eps network under vp_cosine, one σ for the batch: the time where
    σ/α = σ (σ clamped to the range's bottom), x rescaled to α x, the network fed t, ε turned into x0."""
    t = t_of_edm_sigma(torch.tensor([max(sig, sigma_min)], dtype=torch.float64))
    a, s = per_row(alpha(t), x), per_row(sigma(t), x)
    x_vp = x * a
    out = net(x_vp, per_row(t, x).flatten())
    return (x_vp - out * s) / a  # parameterization.rs x0_from, Pred::Eps


def sample_heun(net, shape, n, steps, device):
    """`sample(den, #{ method: "heun", steps: S, n: N })`: Karras levels over the denoiser's range (the
    default when neither sigmas nor spacing is given), x = σ_0 z, then heun.rs heun: Heun steps
    (Karras et al. 2022, Alg. 1, no churn), the last step into σ = 0 Euler."""
    lo, hi = sigma_range()
    sigmas = karras_sigmas(steps, lo, hi)
    x = torch.randn([n, *shape], device=device) * sigmas[0]
    for i in range(len(sigmas) - 1):
        sig, sig_next = sigmas[i], sigmas[i + 1]
        d = (x - denoise(net, x, sig, lo)) / sig  # samplers/mod.rs ode_derivative
        euler = x + d * (sig_next - sig)  # samplers/mod.rs axpy
        if sig_next == 0.0:
            x = euler
            continue
        d_next = (euler - denoise(net, euler, sig_next, lo)) / sig_next
        x = x + ((d + d_next) * 0.5) * (sig_next - sig)  # heun.rs heun_step
    return x


# ---------------------------------------------------------------------------------------------
# Timing (src/bench/timing.rs best_rate) and the command line.

WARMUP = 3
WINDOWS = 3

UNITS = {
    "train_mlp": "steps/s",
    "sample_mlp": "points·steps/s",
    "train_unet": "steps/s",
    "sample_unet": "images/s",
    "sample_ddpm32": "images/s",
}

# DDPM CIFAR-10's UNet (google/ddpm-cifar10-32's config.json), for sample_ddpm32.
DDPM32 = dict(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(128, 256, 256, 256),
              layers_per_block=2, down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
              up_block_types=("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"), attention_head_dim=None,
              norm_eps=1e-6, flip_sin_to_cos=False, freq_shift=1, downsample_padding=0)


def write_ddpm32(folder):
    """Saves DDPM CIFAR-10's architecture with weights drawn from seed 0 (PyTorch's default
    initialisation) as a UNet2DModel folder, with DDPM's scheduler config beside it."""
    from diffusers import DDPMScheduler, UNet2DModel

    torch.manual_seed(0)
    UNet2DModel(**DDPM32).save_pretrained(folder)
    DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear").save_config(folder)


def sampling_ddpm32(folder, n, steps, device, compile):
    """One DDIM run of `n` images from diffusers' UNet2DModel at `folder`, `steps` network calls."""
    from diffusers import DDIMScheduler, UNet2DModel

    model = UNet2DModel.from_pretrained(folder).to(device).eval()
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    forward = torch.compile(model, dynamic=False) if compile else model

    def iteration():
        with torch.no_grad():
            scheduler.set_timesteps(steps)
            x = torch.randn(n, 3, 32, 32, device=device)
            for t in scheduler.timesteps:
                eps = forward(x, t).sample
                x = scheduler.step(eps, t, x).prev_sample

    return iteration


def best_rate(seconds, iteration, device):
    """Iterations per second of `iteration` and the seconds of its first run: the fastest of WARMUP single
    iterations sizes a window of about `seconds`; the fastest of WINDOWS such windows counts. On cuda the
    clock is read after a synchronize."""

    def run(n):
        for _ in range(n):
            iteration()
        if device.type == "cuda":
            torch.cuda.synchronize()

    per_iteration, first = math.inf, None
    for _ in range(WARMUP):  # the fastest warm-up iteration: the first pays one-time costs
        start = time.perf_counter()
        run(1)
        elapsed = time.perf_counter() - start
        first = elapsed if first is None else first
        per_iteration = min(per_iteration, elapsed)
    iters = max(1, math.floor(seconds / max(per_iteration, 1e-9) + 0.5))  # Rust's f64::round, half away from 0
    fastest = math.inf
    for _ in range(WINDOWS):
        start = time.perf_counter()
        run(iters)
        fastest = min(fastest, time.perf_counter() - start)
    return iters / fastest, first


def training(net, data, batch):
    """One training step of `net` on `data` as an iteration, with `adamw(net, #{ lr: 1e-3, weight_decay: 0.0 })`
    (optim.rs AdamWConfig: betas (0.9, 0.999), eps 1e-8)."""
    opt = torch.optim.AdamW(net.store.params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    return lambda: train_step(net, opt, data, batch)


def sampling(net, shape, n, steps, device):
    """One Heun sampling run of `n` examples of `shape` as an iteration, without autograd."""

    def iteration():
        with torch.no_grad():
            sample_heun(net, shape, n, steps, device)

    return iteration


class Compiled:
    """A network with its forward under torch.compile (inductor, dynamic=False: the shapes are fixed);
    the parameters are the network's own."""

    def __init__(self, net):
        self.store = net.store
        self.forward = torch.compile(net.__call__, dynamic=False)

    def __call__(self, x, c):
        return self.forward(x, c)


def setup(args, device):
    """The iteration of the workload and the factor from iterations/s to its unit, after the
    setup of its script in src/bench/workloads.rs."""
    network = (lambda net: Compiled(net)) if args.compile else (lambda net: net)
    if args.workload == "train_mlp":
        return training(network(Mlp(device)), swirl(100_000).to(device), args.batch or 1024), 1.0
    if args.workload == "train_unet":
        return training(network(Unet(device)), torch.randn(4096, 1, 16, 16, device=device), args.batch or 128), 1.0
    if args.workload == "sample_mlp":
        n, steps = args.points or 10_000, args.steps or 50
        return sampling(network(Mlp(device)), [2], n, steps, device), float(n * steps)
    if args.workload == "sample_ddpm32":
        if not args.model:
            raise SystemExit("sample_ddpm32 needs --model DIR (a folder written by --write-model DIR)")
        n, steps = args.batch or 16, args.steps or 10
        return sampling_ddpm32(args.model, n, steps, device, args.compile), float(n)
    n, steps = args.batch or 128, args.steps or 20
    return sampling(network(Unet(device)), [1, 16, 16], n, steps, device), float(n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", nargs="?", choices=list(UNITS))
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (OMP_NUM_THREADS should match)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, help="training batch, or images per sampling run (1024; sample_unet 128, sample_ddpm32 16)")
    parser.add_argument("--points", type=int, help="points per sample_mlp run (10000)")
    parser.add_argument("--steps", type=int, help="sampler steps (sample_mlp 50, sample_unet 20, sample_ddpm32 10)")
    parser.add_argument("--seconds", type=float, default=1.0, help="about how long each timing window lasts")
    parser.add_argument("--compile", action="store_true", help="run the network's forward under torch.compile")
    parser.add_argument("--model", help="sample_ddpm32's model folder")
    parser.add_argument("--write-model", metavar="DIR", help="write sample_ddpm32's model folder to DIR and exit")
    args = parser.parse_args()
    if args.write_model:
        write_ddpm32(args.write_model)
        return
    if args.workload is None:
        parser.error("give a workload, or --write-model DIR")

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    # float32 means float32 on a GPU too: no TF32 in matmuls or cuDNN convolutions.
    torch.backends.cuda.matmul.fp32_precision = "ieee"
    torch.backends.cudnn.conv.fp32_precision = "ieee"
    device = torch.device(args.device)

    iteration, factor = setup(args, device)
    rate, first = best_rate(args.seconds, iteration, device)
    print(json.dumps({"workload": args.workload, "rate": rate * factor, "unit": UNITS[args.workload], "first_s": first}))


if __name__ == "__main__":
    main()
