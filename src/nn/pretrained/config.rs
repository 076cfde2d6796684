//! A diffusers `UNet2DModel`'s `config.json`, read into the options difflab builds: the
//! block types of the DDPM family (`DownBlock2D`, `AttnDownBlock2D`, `UpBlock2D`,
//! `AttnUpBlock2D`, `UNetMidBlock2D`), channel counts, norms, the positional time embedding,
//! the time-shift variant and a class embedding. Whatever else a config asks for (another
//! block or embedding type, another activation) is one error naming it; keys difflab does not
//! know are returned for one warning.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What builds a diffusers `UNet2DModel`, with the defaults of its constructor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnetConfig {
    /// The side length of the square images.
    pub sample_size: usize,
    /// Image channels in.
    pub in_channels: usize,
    /// Image channels out.
    pub out_channels: usize,
    /// Whether the input is mapped from [0, 1] to [−1, 1] first (`2x − 1`).
    pub center_input_sample: bool,
    /// Whether the sinusoidal embedding puts its cosine half first.
    pub flip_sin_to_cos: bool,
    /// The embedding's frequency shift: frequencies `exp(−ln(10⁴) i / (half − shift))`.
    pub freq_shift: f64,
    /// Whether each level of the downward path has attention after its residual blocks.
    pub down_attention: Vec<bool>,
    /// The same for the upward path, deepest level first.
    pub up_attention: Vec<bool>,
    /// The channels of each level.
    pub block_out_channels: Vec<usize>,
    /// Residual blocks per level on the way down (one more on the way up).
    pub layers_per_block: usize,
    /// Zeros added on each side before a downsampling convolution (0: one row and column of
    /// zeros on the right and bottom, as diffusers does).
    pub downsample_padding: usize,
    /// Channels per attention head (`None`: one head over all channels).
    pub attention_head_dim: Option<usize>,
    /// Groups of every group norm.
    pub norm_num_groups: usize,
    /// The group norms' ε.
    pub norm_eps: f64,
    /// Whether the time embedding scales and shifts the second norm of each residual block
    /// (`"scale_shift"`) rather than adding to it (`"default"`).
    pub scale_shift: bool,
    /// Whether the middle block has attention.
    pub add_attention: bool,
    /// Groups of the middle attention's norm (`None`: it has no norm).
    pub mid_attention_groups: Option<usize>,
    /// Classes of the class embedding (`num_class_embeds`), if the model has one.
    pub num_class_embeds: Option<usize>,
    /// The width of the time embedding.
    pub time_embed_dim: usize,
}

/// The keys of a `UNet2DModel` config that difflab reads or checks.
const KNOWN: &[&str] = &[
    "sample_size",
    "in_channels",
    "out_channels",
    "center_input_sample",
    "time_embedding_type",
    "time_embedding_dim",
    "freq_shift",
    "flip_sin_to_cos",
    "down_block_types",
    "mid_block_type",
    "up_block_types",
    "block_out_channels",
    "layers_per_block",
    "mid_block_scale_factor",
    "downsample_padding",
    "downsample_type",
    "upsample_type",
    "dropout",
    "act_fn",
    "attention_head_dim",
    "norm_num_groups",
    "attn_norm_num_groups",
    "norm_eps",
    "resnet_time_scale_shift",
    "add_attention",
    "class_embed_type",
    "num_class_embeds",
    "num_train_timesteps",
];

/// A config's fields, read with their defaults; errors name the key.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// The value of `key`, `None` when absent or null.
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn count(&self, key: &str, default: usize) -> Result<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_u64().map(|n| n as usize).ok_or_else(|| wrong(key, v, "a whole number >= 0")),
        }
    }

    fn optional_count(&self, key: &str) -> Result<Option<usize>> {
        self.get(key).map(|_| self.count(key, 0)).transpose()
    }

    fn number(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| wrong(key, v, "a number")),
        }
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| wrong(key, v, "true or false")),
        }
    }

    fn text<'b>(&'b self, key: &str, default: &'b str) -> Result<&'b str> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_str().ok_or_else(|| wrong(key, v, "a string")),
        }
    }

    fn list<T>(&self, key: &str, default: Vec<T>, item: impl Fn(&Value) -> Option<T>) -> Result<Vec<T>> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Array(items)) => {
                items.iter().map(|v| item(v).ok_or_else(|| wrong(key, v, "a list of its items"))).collect()
            }
            Some(v) => Err(wrong(key, v, "a list")),
        }
    }

    /// An error unless `key` is absent or one of `allowed` (the first is the default).
    fn only(&self, key: &str, allowed: &[&str]) -> Result<()> {
        let got = self.text(key, allowed[0])?;
        if !allowed.contains(&got) {
            crate::bail!("`{key}` \"{got}\" is not built by difflab; it builds {}", quoted(allowed));
        }
        Ok(())
    }
}

fn wrong(key: &str, v: &Value, expected: &str) -> crate::Error {
    crate::Error::new(format!("`{key}` must be {expected}, got {v}"))
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// Whether the block type `name` has attention, for the types of the downward or upward path.
fn has_attention(name: &str, plain: &str, attn: &str) -> Result<bool> {
    match name {
        n if n == plain => Ok(false),
        n if n == attn => Ok(true),
        other => crate::bail!(
            "block type \"{other}\" is not built by difflab; it builds \"{plain}\" and \"{attn}\" (the DDPM family)"
        ),
    }
}

impl UnetConfig {
    /// Reads a `UNet2DModel` config; returns it and the keys difflab does not know.
    pub fn from_json(json: &Value) -> Result<(Self, Vec<String>)> {
        let Value::Object(map) = json else { crate::bail!("the config is not a JSON object") };
        let class = map.get("_class_name").and_then(Value::as_str).unwrap_or("UNet2DModel");
        if class != "UNet2DModel" {
            crate::bail!("the model is a {class}; difflab reads UNet2DModel folders");
        }
        let f = Fields(map);
        f.only("time_embedding_type", &["positional"])?;
        f.only("act_fn", &["silu", "swish"])?;
        f.only("mid_block_type", &["UNetMidBlock2D"])?;
        f.only("downsample_type", &["conv"])?;
        f.only("upsample_type", &["conv"])?;
        if let Some(kind) = f.get("class_embed_type") {
            crate::bail!("`class_embed_type` {kind} is not built by difflab; it builds the default class embedding (null, with num_class_embeds)");
        }
        if f.number("mid_block_scale_factor", 1.0)? != 1.0 {
            crate::bail!("`mid_block_scale_factor` other than 1 is not built by difflab");
        }
        let shift = f.text("resnet_time_scale_shift", "default")?;
        let scale_shift = match shift {
            "default" => false,
            "scale_shift" => true,
            other => crate::bail!(
                "`resnet_time_scale_shift` \"{other}\" is not built by difflab; it builds \"default\" and \"scale_shift\""
            ),
        };
        let block_out_channels =
            f.list("block_out_channels", vec![224, 448, 672, 896], |v| v.as_u64().map(|n| n as usize))?;
        let names = |key: &str, default: &[&str]| {
            f.list(key, default.iter().map(|s| s.to_string()).collect(), |v| v.as_str().map(str::to_string))
        };
        let down =
            names("down_block_types", &["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"])?;
        let up = names("up_block_types", &["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"])?;
        let down_attention =
            down.iter().map(|n| has_attention(n, "DownBlock2D", "AttnDownBlock2D")).collect::<Result<Vec<_>>>()?;
        let up_attention =
            up.iter().map(|n| has_attention(n, "UpBlock2D", "AttnUpBlock2D")).collect::<Result<Vec<_>>>()?;
        if down.len() != block_out_channels.len() || up.len() != block_out_channels.len() {
            crate::bail!(
                "the config has {} block_out_channels, {} down_block_types and {} up_block_types: they must be as many",
                block_out_channels.len(),
                down.len(),
                up.len()
            );
        }
        let groups = f.count("norm_num_groups", 32)?;
        let attn_groups = f.optional_count("attn_norm_num_groups")?;
        let config = UnetConfig {
            sample_size: f.count("sample_size", 32)?,
            in_channels: f.count("in_channels", 3)?,
            out_channels: f.count("out_channels", 3)?,
            center_input_sample: f.flag("center_input_sample", false)?,
            flip_sin_to_cos: f.flag("flip_sin_to_cos", true)?,
            freq_shift: f.number("freq_shift", 0.0)?,
            down_attention,
            up_attention,
            layers_per_block: f.count("layers_per_block", 2)?,
            downsample_padding: f.count("downsample_padding", 1)?,
            attention_head_dim: match f.get("attention_head_dim") {
                None => None,
                Some(_) => Some(f.count("attention_head_dim", 8)?),
            },
            norm_num_groups: groups,
            norm_eps: f.number("norm_eps", 1e-5)?,
            scale_shift,
            add_attention: f.flag("add_attention", true)?,
            // diffusers' UNetMidBlock2D: the attention's norm takes the resnets' groups with
            // the default time shift, and has none with scale-shift unless given
            mid_attention_groups: attn_groups.or((!scale_shift).then_some(groups)),
            num_class_embeds: f.optional_count("num_class_embeds")?,
            time_embed_dim: f.count("time_embedding_dim", block_out_channels.first().copied().unwrap_or(0) * 4)?,
            block_out_channels,
        };
        // an explicit null keeps the default of 8 channels per head out: diffusers reads it as
        // one head per block
        let config = if map.contains_key("attention_head_dim") {
            config
        } else {
            Self { attention_head_dim: Some(8), ..config }
        };
        config.validate()?;
        let unknown = map.keys().filter(|k| !k.starts_with('_') && !KNOWN.contains(&k.as_str())).cloned().collect();
        Ok((config, unknown))
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<()> {
        let levels = self.block_out_channels.len();
        if levels == 0 || levels > 8 || self.block_out_channels.iter().any(|&c| c == 0 || c > 8192) {
            crate::bail!(
                "block_out_channels must hold 1 to 8 counts between 1 and 8192, got {:?}",
                self.block_out_channels
            );
        }
        if self.in_channels == 0 || self.out_channels == 0 || self.in_channels > 64 || self.out_channels > 64 {
            crate::bail!("in_channels and out_channels must lie between 1 and 64");
        }
        if !(1..=64).contains(&self.layers_per_block) || self.downsample_padding > 1 {
            crate::bail!("layers_per_block must lie between 1 and 64 and downsample_padding be 0 or 1");
        }
        let factor = 1usize << (levels - 1);
        if self.sample_size == 0 || self.sample_size > 1024 || self.sample_size % factor != 0 {
            crate::bail!("sample_size {} cannot be halved {} times", self.sample_size, levels - 1);
        }
        let groups = self.norm_num_groups;
        if groups == 0 || self.block_out_channels.iter().any(|c| c % groups != 0) {
            crate::bail!(
                "norm_num_groups {groups} must divide every entry of block_out_channels {:?}",
                self.block_out_channels
            );
        }
        if let Some(g) = self.mid_attention_groups {
            if g == 0 || self.block_out_channels[levels - 1] % g != 0 {
                crate::bail!("attn_norm_num_groups {g} must divide the last block's channels");
            }
        }
        for c in &self.block_out_channels {
            if let Some(d) = self.attention_head_dim {
                if d == 0 || c % d != 0 {
                    crate::bail!(
                        "attention_head_dim {d} must divide every entry of block_out_channels {:?}",
                        self.block_out_channels
                    );
                }
            }
        }
        if self.time_embed_dim == 0 || self.block_out_channels[0] < 2 || self.norm_eps.is_nan() || self.norm_eps <= 0.0
        {
            crate::bail!("the time embedding needs at least 2 channels in the first block and norm_eps must be > 0");
        }
        if self.num_class_embeds == Some(0) {
            crate::bail!("num_class_embeds must be at least 1");
        }
        Ok(())
    }

    /// The attention heads of a block of `channels` channels.
    pub fn heads(&self, channels: usize) -> usize {
        self.attention_head_dim.map_or(1, |d| channels / d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_take_diffusers_defaults_and_name_what_difflab_does_not_build() {
        let json = serde_json::json!({
            "_class_name": "UNet2DModel", "block_out_channels": [32, 64], "down_block_types": ["DownBlock2D", "AttnDownBlock2D"],
            "up_block_types": ["AttnUpBlock2D", "UpBlock2D"], "attention_head_dim": null, "sample_size": 16, "weird_key": 1
        });
        let (c, unknown) = UnetConfig::from_json(&json).unwrap();
        assert_eq!((c.heads(64), c.time_embed_dim, c.norm_num_groups, c.mid_attention_groups), (1, 128, 32, Some(32)));
        assert_eq!(
            (c.down_attention, c.up_attention, unknown),
            (vec![false, true], vec![true, false], vec!["weird_key".to_string()])
        );
        let mut skip = json.clone();
        skip["down_block_types"] = serde_json::json!(["SkipDownBlock2D", "AttnDownBlock2D"]);
        let err = UnetConfig::from_json(&skip).unwrap_err().message().to_string();
        assert!(err.contains("block type \"SkipDownBlock2D\" is not built by difflab"), "{err}");
        let mut fourier = json.clone();
        fourier["time_embedding_type"] = serde_json::json!("fourier");
        assert!(UnetConfig::from_json(&fourier).unwrap_err().message().contains("`time_embedding_type` \"fourier\""));
        let mut scale_shift = json;
        scale_shift["resnet_time_scale_shift"] = serde_json::json!("scale_shift");
        assert_eq!(UnetConfig::from_json(&scale_shift).unwrap().0.mid_attention_groups, None);
    }
}
