//! Every tensor of a diffusers `UNet2DModel` as difflab holds it: its name, shape and first
//! values, and where it comes from in the model's safetensors file. difflab's names are
//! diffusers' own, except inside the blocks its layer structs read: a residual block's
//! `time_emb_proj` and `conv_shortcut` are `temb` and `skip`, an attention's `group_norm`
//! is `norm`, its `to_q`, `to_k`, `to_v` are one 1×1 convolution `qkv` and its `to_out.0` the
//! 1×1 convolution `proj`; dense weights are stored `[in, out]`.

use super::config::UnetConfig;
use crate::nn::params::{child, Init};

/// Where a tensor's values come from in a diffusers file.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The file's tensor of this name, as it is.
    Same(String),
    /// The file's `[out, in]` dense weight, transposed to `[in, out]`.
    Transposed(String),
    /// The file's `[C, C]` dense weight as a `[C, C, 1, 1]` kernel.
    Kernel(String),
    /// Three dense layers' weights stacked into one `[3C, C, 1, 1]` kernel.
    StackedKernels([String; 3]),
    /// Three biases stacked into one `[3C]`.
    StackedBiases([String; 3]),
}

impl Source {
    /// The names the file must hold for this tensor.
    pub fn file_names(&self) -> Vec<&str> {
        match self {
            Source::Same(n) | Source::Transposed(n) | Source::Kernel(n) => vec![n],
            Source::StackedKernels(ns) | Source::StackedBiases(ns) => ns.iter().map(String::as_str).collect(),
        }
    }
}

/// One tensor of the network.
#[derive(Clone, Debug)]
pub struct Entry {
    /// difflab's name.
    pub name: String,
    /// The shape difflab holds.
    pub shape: Vec<usize>,
    /// The first values of a network made from its config alone.
    pub init: Init,
    /// Where it comes from in a diffusers file.
    pub source: Source,
}

/// Collects the entries in order.
#[derive(Default)]
struct Entries(Vec<Entry>);

impl Entries {
    fn push(&mut self, name: String, shape: &[usize], init: Init, source: Source) {
        self.0.push(Entry { name, shape: shape.to_vec(), init, source });
    }

    /// `p.weight` `[out, in, k, k]` and `p.bias` of a convolution called `file` in the file.
    fn conv(&mut self, p: &str, file: &str, (cin, cout, k): (usize, usize, usize)) {
        let init = Init::fan_in(cin * k * k);
        self.push(child(p, "weight"), &[cout, cin, k, k], init, Source::Same(child(file, "weight")));
        self.push(child(p, "bias"), &[cout], init, Source::Same(child(file, "bias")));
    }

    /// A dense layer `[in, out]` with its bias.
    fn linear(&mut self, p: &str, file: &str, (cin, cout): (usize, usize)) {
        let init = Init::fan_in(cin);
        self.push(child(p, "weight"), &[cin, cout], init, Source::Transposed(child(file, "weight")));
        self.push(child(p, "bias"), &[cout], init, Source::Same(child(file, "bias")));
    }

    fn norm(&mut self, p: &str, file: &str, channels: usize) {
        self.push(child(p, "weight"), &[channels], Init::Ones, Source::Same(child(file, "weight")));
        self.push(child(p, "bias"), &[channels], Init::Zeros, Source::Same(child(file, "bias")));
    }

    /// A residual block from `cin` to `cout` channels at `p` (`ResnetBlock2D`).
    fn resnet(&mut self, p: &str, (cin, cout): (usize, usize), c: &UnetConfig) {
        self.norm(&child(p, "norm1"), &child(p, "norm1"), cin);
        self.conv(&child(p, "conv1"), &child(p, "conv1"), (cin, cout, 3));
        let temb_out = if c.scale_shift { 2 * cout } else { cout };
        self.linear(&child(p, "temb"), &child(p, "time_emb_proj"), (c.time_embed_dim, temb_out));
        self.norm(&child(p, "norm2"), &child(p, "norm2"), cout);
        self.conv(&child(p, "conv2"), &child(p, "conv2"), (cout, cout, 3));
        if cin != cout {
            self.conv(&child(p, "skip"), &child(p, "conv_shortcut"), (cin, cout, 1));
        }
    }

    /// An attention block over `ch` channels at `p` (diffusers' `Attention` of the UNet
    /// blocks), with a group norm where `norm`.
    fn attention(&mut self, p: &str, ch: usize, norm: bool) {
        if norm {
            self.norm(&child(p, "norm"), &child(p, "group_norm"), ch);
        }
        let three = |leaf: &str| ["to_q", "to_k", "to_v"].map(|n| child(&child(p, n), leaf));
        let init = Init::fan_in(ch);
        self.push(child(p, "qkv.weight"), &[3 * ch, ch, 1, 1], init, Source::StackedKernels(three("weight")));
        self.push(child(p, "qkv.bias"), &[3 * ch], init, Source::StackedBiases(three("bias")));
        self.push(child(p, "proj.weight"), &[ch, ch, 1, 1], init, Source::Kernel(child(p, "to_out.0.weight")));
        self.push(child(p, "proj.bias"), &[ch], init, Source::Same(child(p, "to_out.0.bias")));
    }
}

impl UnetConfig {
    /// Every tensor, in the order of the network.
    pub fn layout(&self) -> Vec<Entry> {
        let mut e = Entries::default();
        let chans = &self.block_out_channels;
        let (levels, first, temb) = (chans.len(), chans[0], self.time_embed_dim);
        e.conv("conv_in", "conv_in", (self.in_channels, first, 3));
        e.linear("time_embedding.linear_1", "time_embedding.linear_1", (first, temb));
        e.linear("time_embedding.linear_2", "time_embedding.linear_2", (temb, temb));
        if let Some(classes) = self.num_class_embeds {
            let src = Source::Same("class_embedding.weight".into());
            e.push("class_embedding.weight".into(), &[classes, temb], Init::Normal(1.0), src);
        }
        let mut skips = vec![first];
        let mut cur = first;
        for (i, &out) in chans.iter().enumerate() {
            for j in 0..self.layers_per_block {
                e.resnet(&format!("down_blocks.{i}.resnets.{j}"), (cur, out), self);
                cur = out;
                if self.down_attention[i] {
                    e.attention(&format!("down_blocks.{i}.attentions.{j}"), cur, true);
                }
                skips.push(cur);
            }
            if i + 1 < levels {
                let p = format!("down_blocks.{i}.downsamplers.0.conv");
                e.conv(&p, &p, (cur, cur, 3));
                skips.push(cur);
            }
        }
        e.resnet("mid_block.resnets.0", (cur, cur), self);
        if self.add_attention {
            e.attention("mid_block.attentions.0", cur, self.mid_attention_groups.is_some());
        }
        e.resnet("mid_block.resnets.1", (cur, cur), self);
        for (i, &out) in chans.iter().rev().enumerate() {
            for j in 0..=self.layers_per_block {
                let skip = skips.pop().expect("one skip per block on the way down");
                e.resnet(&format!("up_blocks.{i}.resnets.{j}"), (cur + skip, out), self);
                cur = out;
                if self.up_attention[i] {
                    e.attention(&format!("up_blocks.{i}.attentions.{j}"), cur, true);
                }
            }
            if i + 1 < levels {
                let p = format!("up_blocks.{i}.upsamplers.0.conv");
                e.conv(&p, &p, (cur, cur, 3));
            }
        }
        e.norm("conv_norm_out", "conv_norm_out", cur);
        e.conv("conv_out", "conv_out", (cur, self.out_channels, 3));
        e.0
    }
}

/// diffusers' names of an attention block's tensors before its 0.14 layout (`query`, `key`,
/// `value`, `proj_attn`), as checkpoints of that time (the DDPM ports) hold them, and the
/// names they have now; diffusers renames them the same way when it loads such a file.
pub const DEPRECATED_ATTENTION_NAMES: &[(&str, &str)] =
    &[("query", "to_q"), ("key", "to_k"), ("value", "to_v"), ("proj_attn", "to_out.0")];

/// A file's tensor name in the current layout.
pub fn current_name(name: &str) -> String {
    if !name.contains(".attentions.") {
        return name.to_string();
    }
    for (old, new) in DEPRECATED_ATTENTION_NAMES {
        for leaf in ["weight", "bias"] {
            if let Some(head) = name.strip_suffix(&format!(".{old}.{leaf}")) {
                return format!("{head}.{new}.{leaf}");
            }
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddpm_cifar10_has_its_published_parameter_count() {
        let json = serde_json::json!({
            "block_out_channels": [128, 256, 256, 256], "layers_per_block": 2, "attention_head_dim": null,
            "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"], "downsample_padding": 0,
            "flip_sin_to_cos": false, "freq_shift": 1, "norm_eps": 1e-6
        });
        let (config, _) = UnetConfig::from_json(&json).unwrap();
        let count: usize = config.layout().iter().map(|e| e.shape.iter().product::<usize>()).sum();
        // google/ddpm-cifar10-32: 35,746,307 parameters (Ho et al. 2020 report 35.7 M)
        assert_eq!(count, 35_746_307);
        assert_eq!(current_name("mid_block.attentions.0.proj_attn.weight"), "mid_block.attentions.0.to_out.0.weight");
        assert_eq!(current_name("down_blocks.0.resnets.0.conv1.weight"), "down_blocks.0.resnets.0.conv1.weight");
    }
}
