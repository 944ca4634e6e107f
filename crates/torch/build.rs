//! Bakes the libtorch library folder into every binary of this crate as an
//! rpath, so tests and the parity runner start without `LD_LIBRARY_PATH`.

fn main() {
    // torch-sys declares `links = "tch"` and prints `cargo:libtorch_lib=...`,
    // which cargo hands to direct dependants as `DEP_TCH_LIBTORCH_LIB`.
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
}
