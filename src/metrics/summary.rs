//! A result over runs, grouped: the rows of a sweep's table split by the values of some
//! columns, and each group's spread (n, mean, std, SEM and an interval; see
//! [`super::intervals`]).

use super::intervals::{spread, Interval, Spread};

/// Each group's key and the spread of its values, in the order the groups first appear in
/// `rows` (a group key and the value of one row).
pub fn grouped<K: PartialEq + Clone>(rows: &[(K, f64)], interval: Interval) -> Vec<(K, Spread)> {
    let mut keys: Vec<K> = vec![];
    let mut values: Vec<Vec<f64>> = vec![];
    for (key, v) in rows {
        match keys.iter().position(|k| k == key) {
            Some(i) => values[i].push(*v),
            None => {
                keys.push(key.clone());
                values.push(vec![*v]);
            }
        }
    }
    keys.into_iter().zip(values).map(|(k, vs)| (k, spread(&vs, interval))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_their_first_order_and_get_scipys_interval() {
        let rows = [("heun", 1.0), ("euler", 2.0), ("heun", 2.0), ("euler", 4.0), ("heun", 6.0)];
        let out = grouped(&rows, Interval::Confidence(0.95));
        assert_eq!(out.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["heun", "euler"]);
        let heun = out[0].1;
        assert_eq!((heun.n, heun.mean), (3, 3.0));
        // scipy.stats.t.interval(0.95, 2, loc=3, scale=scipy.stats.sem([1, 2, 6]))
        assert!((heun.lower - -3.572_410_607_728_428).abs() < 1e-9, "{}", heun.lower);
        assert!((heun.upper - 9.572_410_607_728_429).abs() < 1e-9, "{}", heun.upper);
    }
}
