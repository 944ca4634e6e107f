//! Reading criterion's results: every `<id>/new/benchmark.json` under the
//! criterion folder names a benchmark (`full_id`), and the `estimates.json`
//! beside it holds the median time per iteration in nanoseconds.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct BenchmarkRecord {
    full_id: String,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

/// Every benchmark's median time per iteration (ns), keyed by criterion's
/// full id (`group/function/value`).
pub fn medians(dir: &Path) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let in_new = path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "new");
            if !in_new || path.file_name().is_none_or(|n| n != "benchmark.json") {
                continue;
            }
            let record: BenchmarkRecord = serde_json::from_str(&fs::read_to_string(&path)?)
                .with_context(|| format!("reading {}", path.display()))?;
            let estimates = path.with_file_name("estimates.json");
            let text = fs::read_to_string(&estimates)
                .with_context(|| format!("reading {}", estimates.display()))?;
            let est: Estimates = serde_json::from_str(&text)
                .with_context(|| format!("reading {}", estimates.display()))?;
            out.insert(record.full_id, est.median.point_estimate);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_are_read_from_new_estimates_only() {
        let root = crate::testing::temp("bench-crit");
        for (dir, id, median) in [
            ("g/f/new", "g/f", 1500.0),
            ("g/f/base", "g/f", 9.0),
            ("h_x/new", "h/x", 2.5e6),
        ] {
            let d = root.join(dir);
            fs::create_dir_all(&d).unwrap();
            fs::write(
                d.join("benchmark.json"),
                format!(r#"{{"group_id":"g","function_id":null,"value_str":null,"throughput":null,"full_id":"{id}","directory_name":"x","title":"t"}}"#),
            )
            .unwrap();
            fs::write(
                d.join("estimates.json"),
                format!(r#"{{"mean":{{"point_estimate":1.0}},"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":{median},"standard_error":0.1}}}}"#),
            )
            .unwrap();
        }
        let m = medians(&root).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["g/f"], 1500.0);
        assert_eq!(m["h/x"], 2.5e6);
        let _ = fs::remove_dir_all(&root);
    }
}
