//! Numbers and errors as they read in the report's tables and charts.

use super::Row;

/// `1.23 µs`, `45.6 ms`, `2.10 s`: three significant digits.
pub fn human_time(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// `1.00×`, `2.3×`, `1,780×`.
pub fn human_ratio(r: f64) -> String {
    if r >= 100.0 {
        let digits: Vec<char> = (r.round() as u64).to_string().chars().collect();
        let groups: Vec<String> = digits
            .rchunks(3)
            .rev()
            .map(|g| g.iter().collect())
            .collect();
        format!("{}×", groups.join(","))
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// The first line of an error, cut to fit a table cell.
pub fn short_error(e: &str) -> String {
    let line = e.lines().next().unwrap_or("").replace('|', "/");
    let mut s: String = line.chars().take(110).collect();
    if line.chars().count() > 110 {
        s.push('…');
    }
    format!("failed: {s}")
}

/// A row's table cell: its time (with its ratio when asked), else its
/// error, else a dash.
pub fn cell(r: &Row, with_ratio: bool) -> String {
    match (r.median_ns, &r.error) {
        (Some(ns), _) => match (with_ratio, r.ratio) {
            (true, Some(x)) => format!("{} ({})", human_time(ns), human_ratio(x)),
            _ => human_time(ns),
        },
        (None, Some(e)) => short_error(e),
        (None, None) => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ratios_read_naturally() {
        assert_eq!(human_time(950.0), "950 ns");
        assert_eq!(human_time(1234.0), "1.23 µs");
        assert_eq!(human_time(45_600_000.0), "45.6 ms");
        assert_eq!(human_time(2.1e9), "2.10 s");
        assert_eq!(human_ratio(1.0), "1.00×");
        assert_eq!(human_ratio(23.44), "23.4×");
        assert_eq!(human_ratio(1780.4), "1,780×");
    }

    #[test]
    fn errors_are_cut_to_one_line_that_fits_a_table() {
        let long = format!("a|b {}\nsecond line", "x".repeat(200));
        let short = short_error(&long);
        assert!(short.starts_with("failed: a/b x"), "{short}");
        assert_eq!(short.chars().count(), "failed: ".len() + 110 + 1);
        assert!(short.ends_with('…'));
    }
}
