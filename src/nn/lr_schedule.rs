//! Learning-rate schedules: constant, cosine decay (Loshchilov & Hutter 2017,
//! SGDR without restarts) and linear decay, each after an optional linear warm-up.

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// How the learning rate decays after warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decay {
    /// No decay.
    Constant,
    /// Half a cosine from the base rate down to the floor.
    Cosine,
    /// A straight line from the base rate down to the floor.
    Linear,
}

/// A schedule: a factor on the base learning rate for every step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// The decay after warm-up.
    pub decay: Decay,
    /// Steps of linear warm-up from 0.
    pub warmup: u64,
    /// The step at which decay reaches the floor (needed for cosine and linear).
    pub total: u64,
    /// The final factor (the floor), e.g. 0.0 or 0.1.
    pub floor: f64,
}

impl Default for LrSchedule {
    fn default() -> Self {
        Self { decay: Decay::Constant, warmup: 0, total: 0, floor: 0.0 }
    }
}

impl LrSchedule {
    /// Parses a decay name and checks the numbers.
    pub fn new(decay: &str, warmup: u64, total: u64, floor: f64) -> Result<Self> {
        let decay = match decay {
            "constant" => Decay::Constant,
            "cosine" => Decay::Cosine,
            "linear" => Decay::Linear,
            other => crate::bail!("unknown schedule \"{other}\"; expected constant, cosine or linear"),
        };
        if decay != Decay::Constant && total <= warmup {
            crate::bail!("a {decay:?} schedule needs `total` (the last step) larger than `warmup`, got total {total}, warmup {warmup}");
        }
        if !(0.0..=1.0).contains(&floor) {
            crate::bail!("the floor factor must be in [0, 1], got {floor}");
        }
        Ok(Self { decay, warmup, total, floor })
    }

    /// The factor on the base rate at `step` (counted from 0).
    pub fn factor(&self, step: u64) -> f64 {
        if step < self.warmup {
            return (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let p = ((step - self.warmup) as f64 / span).min(1.0);
        match self.decay {
            Decay::Constant => 1.0,
            Decay::Cosine => self.floor + (1.0 - self.floor) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()),
            Decay::Linear => 1.0 - (1.0 - self.floor) * p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_follow_the_closed_forms() {
        let c = LrSchedule::new("cosine", 10, 110, 0.0).unwrap();
        assert_eq!(c.factor(0), 0.1);
        assert_eq!(c.factor(9), 1.0);
        assert!((c.factor(10) - 1.0).abs() < 1e-12);
        assert!((c.factor(60) - 0.5).abs() < 1e-12);
        assert!(c.factor(110).abs() < 1e-12 && c.factor(500).abs() < 1e-12);
        let l = LrSchedule::new("linear", 0, 100, 0.1).unwrap();
        assert!((l.factor(50) - 0.55).abs() < 1e-12);
        assert!(LrSchedule::new("cosine", 10, 5, 0.0).is_err());
        assert_eq!(LrSchedule::default().factor(1_000_000), 1.0);
    }
}
