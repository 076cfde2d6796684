"""Reference models and outputs for difflab's `load_pretrained`, made by diffusers itself.

Builds seeded, randomly initialised `UNet2DModel`s (every weight drawn, the norms' scales and
shifts too, so that each tensor's place in the network is tested), saves them with
`save_pretrained` under tests/data/pretrained/, and writes tests/data/pretrained.json: for
each model its folder, inputs, timesteps, class labels and raw outputs, and one 10-step DDIM
(η = 0) run of diffusers' `DDIMScheduler` from a recorded starting noise.

- `tiny_ddpm`: DDPM's layout (default time shift, attention at the lower level, ε = 1e-6,
  flip_sin_to_cos, freq_shift 0, padding-0 downsampling), a plain UNet folder.
- `tiny_cond`: scale-shift time embedding, 2-head attention, a class embedding, the sine
  half first and freq_shift 1, as a pipeline folder (model_index.json, unet/, scheduler/)
  whose scheduler predicts v on a scaled_linear β schedule.

With `--cifar DIR` it also saves DDPM CIFAR-10's architecture (block_out_channels
128/256/256/256, two layers per block, attention at 16×16; 35.7 M random weights) into DIR
with its outputs (`DIR/outputs.json`), for the comparison by hand that
`tests/pretrained.rs` runs when DIFFLAB_CIFAR_UNET names DIR. Nothing of it is committed.
Run through make_vectors.sh, which makes the virtualenv.
"""

import argparse
import json
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parent.parent / "data"


def randomise(model, gen):
    """Draws every parameter: weights around PyTorch's scale, norm scales around 1."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = max(1, p[0].numel()) if p.dim() > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in**0.5)


def outputs(model, gen, timesteps, labels=None, n=2):
    """The model's raw output for one batch of noise at each timestep."""
    cfg = model.config
    x = torch.randn(n, cfg.in_channels, cfg.sample_size, cfg.sample_size, generator=gen)
    runs = []
    with torch.no_grad():
        for t in timesteps:
            kwargs = {"class_labels": torch.tensor(labels)} if labels is not None else {}
            out = model(x, torch.tensor(float(t)), **kwargs).sample
            runs.append({"t": t, "output": out.flatten().tolist()})
    return {"x": x.flatten().tolist(), "shape": list(x.shape), "labels": labels, "runs": runs}


def ddim_run(model, scheduler, gen, steps, labels=None, n=2):
    """diffusers' DDIM loop (η = 0): the starting noise, the timesteps and the result."""
    cfg = model.config
    x = torch.randn(n, cfg.in_channels, cfg.sample_size, cfg.sample_size, generator=gen)
    start = x.clone()
    scheduler.set_timesteps(steps)
    kwargs = {"class_labels": torch.tensor(labels)} if labels is not None else {}
    with torch.no_grad():
        for t in scheduler.timesteps:
            out = model(x, t, **kwargs).sample
            x = scheduler.step(out, t, x, eta=0.0).prev_sample
    return {"steps": steps, "timesteps": scheduler.timesteps.tolist(), "noise": start.flatten().tolist(),
            "labels": labels, "output": x.flatten().tolist()}


def tiny_ddpm(gen):
    from diffusers import DDIMScheduler, UNet2DModel

    model = UNet2DModel(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(16, 32),
                        layers_per_block=1, down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                        up_block_types=("AttnUpBlock2D", "UpBlock2D"), norm_num_groups=8, norm_eps=1e-6,
                        flip_sin_to_cos=True, freq_shift=0, downsample_padding=0).eval()
    randomise(model, gen)
    folder = DATA / "pretrained" / "tiny_ddpm"
    model.save_pretrained(folder)
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    return {"folder": "pretrained/tiny_ddpm", "forward": outputs(model, gen, [0, 17, 250.5, 999]),
            "ddim": ddim_run(model, scheduler, gen, 10)}


def tiny_cond(gen):
    from diffusers import DDIMScheduler, DDPMPipeline, DDPMScheduler, UNet2DModel

    model = UNet2DModel(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(16, 32),
                        layers_per_block=1, down_block_types=("AttnDownBlock2D", "DownBlock2D"),
                        up_block_types=("UpBlock2D", "AttnUpBlock2D"), norm_num_groups=4,
                        attention_head_dim=8, resnet_time_scale_shift="scale_shift", num_class_embeds=4,
                        flip_sin_to_cos=False, freq_shift=1).eval()
    randomise(model, gen)
    schedule = dict(num_train_timesteps=1000, beta_schedule="scaled_linear", beta_start=0.00085,
                    beta_end=0.012, prediction_type="v_prediction", clip_sample=False,
                    timestep_spacing="trailing")
    folder = DATA / "pretrained" / "tiny_cond"
    DDPMPipeline(unet=model, scheduler=DDPMScheduler(**schedule)).save_pretrained(folder)
    labels = [3, 0]
    return {"folder": "pretrained/tiny_cond", "forward": outputs(model, gen, [0, 400, 999], labels),
            "ddim": ddim_run(model, DDIMScheduler(**schedule), gen, 10, labels)}


def cifar(dir_, gen):
    from diffusers import DDIMScheduler, UNet2DModel

    model = UNet2DModel(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(128, 256, 256, 256),
                        layers_per_block=2, down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D",
                                                              "DownBlock2D"),
                        up_block_types=("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
                        attention_head_dim=None, norm_eps=1e-6, flip_sin_to_cos=False, freq_shift=1,
                        downsample_padding=0).eval()
    randomise(model, gen)
    model.save_pretrained(dir_)
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    found = {"forward": outputs(model, gen, [0, 500, 999]), "ddim": ddim_run(model, scheduler, gen, 10)}
    (Path(dir_) / "outputs.json").write_text(json.dumps(found))


def main():
    from importlib.metadata import version

    parser = argparse.ArgumentParser()
    parser.add_argument("--cifar", help="also save DDPM CIFAR-10's architecture (random weights) here")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(20200619)
    models = {"tiny_ddpm": tiny_ddpm(gen), "tiny_cond": tiny_cond(gen)}
    found = {"made_by": f"tests/reference/diffusers_unet.py, diffusers {version('diffusers')}, torch "
                        f"{version('torch')}", "models": models}
    (DATA / "pretrained.json").write_text(json.dumps(found, indent=1) + "\n")
    if args.cifar:
        cifar(args.cifar, gen)


if __name__ == "__main__":
    main()
