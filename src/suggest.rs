//! Suggestions for a misspelled name: the known names a small edit away from it
//! or starting with it. `help("name")`, unknown functions and unknown option keys
//! all suggest through here.

/// The edit distance between `a` and `b` in characters, counting an insertion, a deletion,
/// a substitution or a swap of two neighbours (`titel` for `title`) as one edit (the
/// optimal string alignment distance).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: the distance between a[..i] and b[..j]
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The `candidates` close to `name`, closest first and at most five: within an edit
/// distance of a third of its length (at least 1), or starting with it when it has three
/// characters or more.
pub fn similar<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let len = name.chars().count();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|n| {
            let d = edit_distance(name, n);
            let close = d <= 1.max(len / 3) || (len >= 3 && n.starts_with(name));
            close.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

/// The `candidates` nearest to `name`: those of [`similar`]'s at its smallest distance.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let close = similar(name, candidates);
    let best = close.first().map(|c| edit_distance(name, c));
    close.into_iter().filter(|c| Some(edit_distance(name, c)) == best).collect()
}

/// ` did you mean "a" or "b"?` for the [`closest`] candidates, or nothing when none is close.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let named: Vec<String> = closest(name, candidates).iter().map(|c| format!("\"{c}\"")).collect();
    if named.is_empty() {
        return String::new();
    }
    format!(" did you mean {}?", named.join(" or "))
}

/// The message for an option key that `accepted` lacks: the closest accepted keys as a
/// suggestion, then every accepted key, as in
/// ``unknown option `metod`; did you mean `method`? accepted: method, steps``.
pub fn unknown_option(key: &str, accepted: &[&str]) -> String {
    let named: Vec<String> = closest(key, accepted.iter().copied()).iter().map(|k| format!("`{k}`")).collect();
    match named.is_empty() {
        true => format!("unknown option `{key}`; accepted: {}", accepted.join(", ")),
        false => {
            format!("unknown option `{key}`; did you mean {}? accepted: {}", named.join(" or "), accepted.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested() {
        assert_eq!(did_you_mean("dpmpp2m", ["dpmpp_2m", "dpmpp_2s", "heun"]), " did you mean \"dpmpp_2m\"?");
        assert_eq!(did_you_mean("zzz", ["heun"]), "");
    }

    #[test]
    fn distances_count_characters() {
        assert_eq!(edit_distance("metod", "method"), 1);
        assert_eq!(edit_distance("σ", "s"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("titel", "title"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn unknown_options_suggest_the_closest_keys() {
        let keys = ["method", "steps", "n", "sigmas"];
        assert_eq!(
            unknown_option("metod", &keys),
            "unknown option `metod`; did you mean `method`? accepted: method, steps, n, sigmas"
        );
        assert_eq!(unknown_option("zzz", &keys), "unknown option `zzz`; accepted: method, steps, n, sigmas");
        assert_eq!(similar("step", keys), vec!["steps"]);
    }
}
