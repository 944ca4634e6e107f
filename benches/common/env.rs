//! Bench settings from the environment, shared by the batched engine's
//! benches and the libtorch ones (which include this file by path), so both
//! read the same grid the same way.

#![allow(dead_code)] // each bench uses part of it

/// A comma-separated list from the environment, or the default.
pub fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A comma-separated list of whole numbers from the environment, or the default.
pub fn sizes(var: &str, default: &str) -> Vec<usize> {
    list(var, default)
        .iter()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{var} must list whole numbers, got {s:?}"))
        })
        .collect()
}

/// The sweep's widths (`FERROGRAD_SWEEP_WIDTHS`).
pub fn sweep_widths() -> Vec<usize> {
    sizes("FERROGRAD_SWEEP_WIDTHS", "16,32,64,128,256,512,1024")
}

/// The sweep's batch sizes (`FERROGRAD_SWEEP_BATCHES`).
pub fn sweep_batches() -> Vec<usize> {
    sizes("FERROGRAD_SWEEP_BATCHES", "64,256,1024")
}

/// The sweep's float types (`FERROGRAD_SWEEP_DTYPES`), each checked to be
/// `f32` or `f64`.
pub fn sweep_dtypes() -> Vec<String> {
    let dtypes = list("FERROGRAD_SWEEP_DTYPES", "f32,f64");
    for d in &dtypes {
        assert!(
            d == "f32" || d == "f64",
            "FERROGRAD_SWEEP_DTYPES lists f32 and f64, not {d:?}"
        );
    }
    dtypes
}

/// `MATMUL_NUM_THREADS` as set (it is read once per process), for the
/// benchmark names.
pub fn matmul_threads() -> String {
    std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "default".into())
}
