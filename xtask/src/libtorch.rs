//! `cargo xtask libtorch`: finds or installs libtorch 2.13.0, the version
//! `tch 0.26.0` is built for, and says where it is.
//!
//! Order: `LIBTORCH` if set (its version checked); else a verified install in
//! the cache (`$FERROGRAD_CACHE`, default `~/.cache/ferrograd`); else a fresh
//! install from the Python package index with pip. Two kinds of install:
//!
//! - the default, *libtorch only*: `pip download` of the `torch` wheel plus the
//!   two CUDA runtime wheels `libtorch_cpu.so` links to (`libcudart`,
//!   `libcupti`), of which only the C++ headers and the CPU libraries are
//!   unpacked. CPU only; about 540 MB downloaded, 490 MB on disk.
//! - `--venv`: `pip install torch==2.13.0` into a virtual environment, with
//!   every CUDA library (about 4.7 GB): for CUDA runs and for `import torch`
//!   from Python (benchmarks against PyTorch itself).
//!
//! Installs are atomic: the libtorch-only kind is unpacked into a
//! `.partial-*` folder that is renamed into place when complete; both kinds
//! write a marker listing their key files and sizes as the very last step,
//! and only a folder whose marker matches its files is trusted. An
//! interrupted or damaged install is therefore detected and replaced.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

/// The libtorch version `tch 0.26.0` is built for.
pub const TORCH_VERSION: &str = "2.13.0";

/// The CUDA runtime wheels `libtorch_cpu.so` of `torch 2.13.0` needs at load
/// time (`libcudart.so.13`, `libcupti.so.13`), at the versions pip resolves
/// for `torch==2.13.0`.
const NVIDIA_WHEELS: [&str; 2] = ["nvidia-cuda-runtime==13.0.96", "nvidia-cuda-cupti==13.0.85"];

/// The marker written last into a complete install.
const MARKER: &str = "ferrograd-libtorch.json";

/// Free space needed for each kind (download plus unpacked, with margin).
const NEEDED_BYTES_LIBTORCH: u64 = 1_300_000_000;
const NEEDED_BYTES_VENV: u64 = 6_000_000_000;

/// Arguments of `cargo xtask libtorch`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Install the full `torch` Python package into a virtual environment
    /// (CUDA and `import torch`; ~4.7 GB) instead of libtorch alone.
    #[arg(long)]
    pub venv: bool,
    /// Print `export` lines (LIBTORCH, LD_LIBRARY_PATH, LIBTORCH_CXX11_ABI)
    /// on stdout for `eval "$(cargo xtask libtorch --print-env)"`.
    #[arg(long)]
    pub print_env: bool,
}

/// Which install to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The C++ library only, from the wheel (CPU).
    Libtorch,
    /// The full Python package in a virtual environment.
    Venv,
}

/// Where libtorch was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `LIBTORCH` environment variable.
    Env,
    /// A verified install in the cache.
    Cache,
    /// Installed by this run.
    Installed,
}

/// A usable libtorch.
#[derive(Debug, Clone)]
pub struct Libtorch {
    /// The folder `LIBTORCH` must name (holds `lib/` and `include/`).
    pub dir: PathBuf,
    /// Its full version string (`2.13.0+cu130`).
    pub version: String,
    /// How it was found.
    pub origin: Origin,
    /// The venv's Python, for a `--venv` install.
    pub python: Option<PathBuf>,
}

impl Libtorch {
    /// The folder holding `libtorch_cpu.so`.
    pub fn lib_dir(&self) -> PathBuf {
        self.dir.join("lib")
    }

    /// The environment plain `cargo` needs to build and run against it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let lib = self.lib_dir().display().to_string();
        let ld = match std::env::var("LD_LIBRARY_PATH") {
            Ok(old) if !old.is_empty() && !old.split(':').any(|p| p == lib) => {
                format!("{lib}:{old}")
            }
            Ok(old) if !old.is_empty() => old,
            _ => lib,
        };
        vec![
            ("LIBTORCH", self.dir.display().to_string()),
            ("LD_LIBRARY_PATH", ld),
            ("LIBTORCH_CXX11_ABI", "1".into()),
        ]
    }

    /// Sets [`Libtorch::env`] on a command.
    pub fn apply(&self, cmd: &mut Command) {
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
    }

    /// The `export` lines of `--print-env`.
    pub fn export_lines(&self) -> String {
        let lib = self.lib_dir().display().to_string();
        let mut s = format!(
            "export LIBTORCH={}\n",
            sh_quote(&self.dir.display().to_string())
        );
        s += &format!(
            "export LD_LIBRARY_PATH={}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\n",
            sh_quote(&lib)
        );
        s += "export LIBTORCH_CXX11_ABI=1\n";
        if let Some(py) = &self.python {
            s += &format!("# Python with torch {}: {}\n", self.version, py.display());
        }
        s
    }
}

fn sh_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `cargo xtask libtorch`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let kind = if args.venv {
        Kind::Venv
    } else {
        Kind::Libtorch
    };
    let lt = ensure(kind)?;
    if args.print_env {
        print!("{}", lt.export_lines());
        std::io::stdout().flush()?;
    }
    let how = match lt.origin {
        Origin::Env => "from LIBTORCH",
        Origin::Cache => "cached",
        Origin::Installed => "installed",
    };
    eprintln!(
        "libtorch {} ({how}) at {} in {:.1?}",
        lt.version,
        lt.dir.display(),
        start.elapsed()
    );
    Ok(())
}

/// The cache folder: `$FERROGRAD_CACHE`, else `~/.cache/ferrograd`.
pub fn cache_root() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("FERROGRAD_CACHE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("ferrograd"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("neither FERROGRAD_CACHE nor HOME is set, so there is no cache folder for libtorch; set FERROGRAD_CACHE to a folder outside the checkout")?;
    Ok(PathBuf::from(home).join(".cache").join("ferrograd"))
}

/// The install folder of one kind inside the cache.
fn install_dir(cache: &Path, kind: Kind) -> PathBuf {
    let base = cache.join("libtorch");
    match kind {
        Kind::Libtorch => base.join(TORCH_VERSION),
        Kind::Venv => base.join(format!("{TORCH_VERSION}-venv")),
    }
}

/// Finds or installs libtorch: `LIBTORCH` if set, else the cache, else pip.
pub fn ensure(kind: Kind) -> Result<Libtorch> {
    if let Some(dir) = std::env::var_os("LIBTORCH").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        let version =
            check_libtorch_dir(&dir).map_err(|e| anyhow::anyhow!("LIBTORCH is set, but {e}"))?;
        return Ok(Libtorch {
            dir,
            version,
            origin: Origin::Env,
            python: None,
        });
    }
    let cache = cache_root()?;
    let target = install_dir(&cache, kind);
    match verify_install(&target) {
        Ok(marker) => return Ok(marker.libtorch(&target, Origin::Cache)),
        Err(why) if target.exists() => {
            eprintln!(
                "libtorch: the cached install at {} is not trusted ({why:#}); replacing it",
                target.display()
            );
            fs::remove_dir_all(&target).with_context(|| {
                format!(
                    "could not remove the damaged install at {}; delete it by hand",
                    target.display()
                )
            })?;
        }
        Err(_) => {}
    }
    fs::create_dir_all(target.parent().unwrap_or(&cache)).with_context(|| {
        format!(
            "could not create the cache folder {}; set FERROGRAD_CACHE to a writable folder",
            cache.display()
        )
    })?;
    remove_stale_partials(target.parent().unwrap_or(&cache));
    let needed = if kind == Kind::Venv {
        NEEDED_BYTES_VENV
    } else {
        NEEDED_BYTES_LIBTORCH
    };
    check_free_space(&cache, needed)?;
    let python = find_python()?;
    match kind {
        Kind::Libtorch => install_libtorch(&python, &target),
        Kind::Venv => install_venv(&python, &target),
    }
    .map_err(|e| explain_disk_full(e, &cache))?;
    let marker = verify_install(&target).context("the fresh install failed its own check")?;
    Ok(marker.libtorch(&target, Origin::Installed))
}

/// The marker: what a complete install holds.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    kind: Kind,
    version: String,
    /// `LIBTORCH`, relative to the install folder.
    libtorch: PathBuf,
    /// The venv's Python, relative to the install folder.
    python: Option<PathBuf>,
    /// Key files (relative) and their sizes.
    files: Vec<(PathBuf, u64)>,
}

impl Marker {
    fn libtorch(&self, root: &Path, origin: Origin) -> Libtorch {
        Libtorch {
            dir: root.join(&self.libtorch),
            version: self.version.clone(),
            origin,
            python: self.python.as_ref().map(|p| root.join(p)),
        }
    }
}

/// Checks an install folder against its marker.
fn verify_install(root: &Path) -> Result<Marker> {
    let text = fs::read_to_string(root.join(MARKER)).context("no completion marker")?;
    let marker: Marker = serde_json::from_str(&text).context("unreadable completion marker")?;
    for (file, size) in &marker.files {
        let meta = fs::metadata(root.join(file))
            .with_context(|| format!("{} is missing", file.display()))?;
        if meta.len() != *size {
            bail!(
                "{} has {} bytes, the marker says {size}",
                file.display(),
                meta.len()
            );
        }
    }
    let found = check_libtorch_dir(&root.join(&marker.libtorch))?;
    if found != marker.version {
        bail!(
            "the marker says {} but the files say {found}",
            marker.version
        );
    }
    Ok(marker)
}

/// Writes the marker of a finished install (the last step of every install).
fn write_marker(
    root: &Path,
    kind: Kind,
    libtorch_rel: &Path,
    python: Option<PathBuf>,
) -> Result<()> {
    let version = check_libtorch_dir(&root.join(libtorch_rel))?;
    let mut files = Vec::new();
    let lib = root.join(libtorch_rel).join("lib");
    let mut keys: Vec<PathBuf> = fs::read_dir(&lib)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(".so"))
        })
        .collect();
    keys.push(root.join(libtorch_rel).join("version.py"));
    keys.push(
        root.join(libtorch_rel)
            .join("include/torch/csrc/api/include/torch/torch.h"),
    );
    keys.sort();
    for path in keys {
        let size = fs::metadata(&path)
            .with_context(|| format!("{} is missing", path.display()))?
            .len();
        files.push((path.strip_prefix(root).unwrap_or(&path).to_path_buf(), size));
    }
    let marker = Marker {
        kind,
        version,
        libtorch: libtorch_rel.to_path_buf(),
        python,
        files,
    };
    let tmp = root.join(format!("{MARKER}.tmp"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(&marker)?.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, root.join(MARKER))?;
    Ok(())
}

/// Checks that `dir` is a libtorch folder of the pinned version and returns
/// its full version string. Errors read as the end of a sentence.
pub fn check_libtorch_dir(dir: &Path) -> Result<String> {
    let advice = format!(
        "It must name a libtorch {TORCH_VERSION} folder (the one holding lib/ and include/, e.g. <venv>/lib/python3.11/site-packages/torch after `pip install torch=={TORCH_VERSION}`). Fix the path, or unset LIBTORCH and run `cargo xtask libtorch` to fetch libtorch {TORCH_VERSION} into the cache."
    );
    if !dir.is_dir() {
        bail!("{} is not a folder. {advice}", dir.display());
    }
    if !dir.join("lib").join("libtorch_cpu.so").is_file() {
        bail!(
            "{} has no lib/libtorch_cpu.so, so it is not a libtorch folder. {advice}",
            dir.display()
        );
    }
    let version = read_version(dir).with_context(|| {
        format!("{} holds no build-version or version.py, so its libtorch version cannot be checked. {advice}", dir.display())
    })?;
    let base = version.split('+').next().unwrap_or(&version);
    if base != TORCH_VERSION {
        bail!(
            "{} holds libtorch {version}, but ferrograd pins tch 0.26.0, which needs libtorch {TORCH_VERSION}. {advice}",
            dir.display()
        );
    }
    Ok(version)
}

/// The version from `build-version` (libtorch zips) or `version.py` (wheels).
fn read_version(dir: &Path) -> Option<String> {
    if let Ok(v) = fs::read_to_string(dir.join("build-version")) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v.to_string());
        }
    }
    let py = fs::read_to_string(dir.join("version.py")).ok()?;
    py.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("__version__")?;
        let rest = rest.trim_start().strip_prefix('=')?;
        let v = rest.trim().trim_matches(|c| c == '\'' || c == '"');
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// A Python 3 with pip: `$FERROGRAD_PYTHON`, else `python3`, else `python`.
fn find_python() -> Result<PathBuf> {
    let candidates: Vec<PathBuf> =
        match std::env::var_os("FERROGRAD_PYTHON").filter(|p| !p.is_empty()) {
            Some(p) => vec![PathBuf::from(p)],
            None => vec!["python3".into(), "python".into()],
        };
    let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    let mut python_without_pip = None;
    for py in &candidates {
        let Ok(out) = Command::new(py)
            .args(["-c", "import sys; print(sys.version_info[0])"])
            .output()
        else {
            continue;
        };
        if !out.status.success() || String::from_utf8_lossy(&out.stdout).trim() != "3" {
            continue;
        }
        let pip = Command::new(py)
            .args(["-m", "pip", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if pip.is_ok_and(|s| s.success()) {
            return Ok(py.clone());
        }
        python_without_pip.get_or_insert_with(|| py.display().to_string());
    }
    if let Some(py) = python_without_pip {
        bail!(
            "libtorch {TORCH_VERSION} is fetched from the Python package index with pip, but `{py} -m pip` does not run. Install pip (e.g. `apt-get install python3-pip`, or `{py} -m ensurepip`), or point LIBTORCH at an existing libtorch {TORCH_VERSION} folder."
        );
    }
    bail!(
        "libtorch {TORCH_VERSION} is fetched from the Python package index with pip, but no Python 3 was found (tried {}). Install Python 3 with pip (e.g. `apt-get install python3 python3-pip`), set FERROGRAD_PYTHON to one, or point LIBTORCH at an existing libtorch {TORCH_VERSION} folder.",
        tried.join(", ")
    );
}

/// Fails early, with advice, when the cache's disk cannot hold the install.
fn check_free_space(cache: &Path, needed: u64) -> Result<()> {
    let Some(free) = free_bytes(cache) else {
        return Ok(());
    };
    if free < needed {
        bail!(
            "the disk holding the cache {} has {:.1} GB free, but installing libtorch {TORCH_VERSION} needs about {:.1} GB. Free some space, or set FERROGRAD_CACHE to a folder on a larger disk (outside the checkout), then run again.",
            cache.display(),
            free as f64 / 1e9,
            needed as f64 / 1e9
        );
    }
    Ok(())
}

/// Free bytes on the disk holding `dir`, from `df` (None if unknown).
fn free_bytes(dir: &Path) -> Option<u64> {
    let mut probe = dir.to_path_buf();
    while !probe.exists() {
        probe = probe.parent()?.to_path_buf();
    }
    let out = Command::new("df").arg("-Pk").arg(&probe).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kb: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Turns an out-of-space failure anywhere in the install into advice.
fn explain_disk_full(e: anyhow::Error, cache: &Path) -> anyhow::Error {
    let text = format!("{e:#}");
    let io_full = e
        .chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::StorageFull);
    if io_full || text.contains("No space left on device") {
        return anyhow::anyhow!(
            "the disk filled up while installing libtorch {TORCH_VERSION} into {} ({text}). Nothing half-written is trusted: the next run starts over. Free some space or set FERROGRAD_CACHE to a folder on a larger disk, then run again.",
            cache.display()
        );
    }
    e
}

/// Removes `.partial-*` folders whose installing process is gone.
fn remove_stale_partials(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".partial-") else {
            continue;
        };
        let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Runs pip (or another long command) under a spinner that shows its latest
/// output line; on failure the error carries its last lines.
fn run_with_spinner(what: &str, cmd: &mut Command) -> Result<()> {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix}: {wide_msg}")
            .expect("valid template"),
    );
    pb.set_prefix(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PYTHONUNBUFFERED", "1");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {what}"))?;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let (log, pb) = (Arc::clone(&log), pb.clone());
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let line = line.trim().to_string();
                if line.is_empty() {
                    continue;
                }
                pb.set_message(line.clone());
                if let Ok(mut l) = log.lock() {
                    l.push(line);
                }
            }
        }));
    }
    let status = child.wait()?;
    for r in readers {
        let _ = r.join();
    }
    pb.finish_and_clear();
    if status.success() {
        return Ok(());
    }
    let lines = log.lock().map(|l| l.clone()).unwrap_or_default();
    let tail = lines[lines.len().saturating_sub(8)..].join("\n  ");
    let all = lines.join("\n");
    if all.contains("No space left on device") {
        bail!("{what} failed: No space left on device\n  {tail}");
    }
    let unreachable = [
        "from versions: none",
        "NewConnectionError",
        "Failed to establish a new connection",
        "ConnectionError",
        "Max retries",
        "Could not fetch URL",
        "ProxyError",
        "SSLError",
        "HTTPError",
        "Temporary failure in name resolution",
    ];
    if unreachable.iter().any(|s| all.contains(s)) {
        bail!(
            "{what} failed: the package index could not be reached or refused the request (pip saw no torch release at all). Check the network, proxy and index settings (pip reads PIP_INDEX_URL, HTTPS_PROXY and pip.conf; `pip config list` shows them), or point LIBTORCH at a libtorch {TORCH_VERSION} folder. pip said:\n  {tail}"
        );
    }
    if all.contains("No matching distribution") || all.contains("Could not find a version") {
        bail!(
            "{what} failed: the package index has torch, but no {TORCH_VERSION} wheel for this Python and platform (torch {TORCH_VERSION} wheels exist for CPython 3.10-3.14 on x86_64 Linux). Use such a Python (FERROGRAD_PYTHON=...) or point LIBTORCH at a libtorch {TORCH_VERSION} folder. pip said:\n  {tail}"
        );
    }
    bail!("{what} failed with {status}. Its last lines:\n  {tail}")
}

/// The libtorch-only install: download the wheels, unpack the C++ parts into
/// a partial folder, mark it, rename it into place.
fn install_libtorch(python: &Path, target: &Path) -> Result<()> {
    let parent = target.parent().context("install folder has no parent")?;
    let partial = parent.join(format!(".partial-{TORCH_VERSION}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial)?;
    let result = install_libtorch_into(python, target, &partial);
    // On success the partial folder is already gone; after a failure nothing
    // in it is worth keeping. (A killed run leaves it; the next run removes it.)
    let _ = fs::remove_dir_all(&partial);
    result
}

fn install_libtorch_into(python: &Path, target: &Path, partial: &Path) -> Result<()> {
    let wheels = partial.join("wheels");
    let start = Instant::now();
    let torch = format!("torch=={TORCH_VERSION}");
    run_with_spinner(
        &format!("pip download {torch}"),
        Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
            ])
            .arg(&wheels)
            .arg(&torch)
            .args(NVIDIA_WHEELS),
    )?;
    let downloaded: u64 = dir_size(&wheels);
    eprintln!(
        "libtorch: downloaded {:.0} MB in {:.1?}",
        downloaded as f64 / 1e6,
        start.elapsed()
    );
    let root = partial.join("root");
    for entry in fs::read_dir(&wheels)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "whl") {
            unpack_wheel(&path, &root)?;
        }
    }
    fs::remove_dir_all(&wheels)?;
    let libtorch_rel = PathBuf::from("torch");
    let version = check_libtorch_dir(&root.join(&libtorch_rel))?;
    // torch-sys checks `build-version` when present; make the check real.
    fs::write(
        root.join("torch").join("build-version"),
        format!("{version}\n"),
    )?;
    check_load_deps(&root.join("torch/lib/libtorch_cpu.so"))?;
    write_marker(&root, Kind::Libtorch, &libtorch_rel, None)?;
    if let Err(e) = fs::rename(&root, target) {
        // Another run may have finished first; keep theirs if it is sound.
        if verify_install(target).is_ok() {
            return Ok(());
        }
        return Err(e)
            .with_context(|| format!("could not move the install into {}", target.display()));
    }
    eprintln!(
        "libtorch: unpacked {:.0} MB into {}",
        dir_size(target) as f64 / 1e6,
        target.display()
    );
    Ok(())
}

/// Unpacks the parts of a wheel libtorch needs: headers, cmake files and the
/// CPU libraries of `torch`, and the shared libraries of NVIDIA's runtime
/// wheels.
fn unpack_wheel(wheel: &Path, root: &Path) -> Result<()> {
    let file = fs::File::open(wheel)?;
    let mut zip = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a readable wheel", wheel.display()))?;
    let mut wanted = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i)?;
        let Some(name) = entry.enclosed_name().map(Path::to_path_buf) else {
            continue;
        };
        if entry.is_dir() || !keep_member(&name) {
            continue;
        }
        total += entry.size();
        wanted.push((i, name));
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} unpacking {msg}")
            .expect("valid template"),
    );
    pb.set_message(
        wheel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    for (i, name) in wanted {
        let mut entry = zip.by_index(i)?;
        let out = root.join(&name);
        if let Some(dir) = out.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut dst =
            fs::File::create(&out).with_context(|| format!("could not write {}", out.display()))?;
        let n = std::io::copy(&mut entry, &mut dst)
            .with_context(|| format!("could not write {}", out.display()))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(mode & 0o777))?;
        }
        pb.inc(n);
    }
    pb.finish_and_clear();
    Ok(())
}

/// Whether a wheel member belongs to the libtorch-only install.
fn keep_member(name: &Path) -> bool {
    let s = name.to_string_lossy();
    let file = name
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(rest) = s.strip_prefix("torch/") {
        if rest.starts_with("include/") || rest.starts_with("share/") || rest == "version.py" {
            return true;
        }
        if let Some(lib) = rest.strip_prefix("lib/") {
            // The CPU libraries; the CUDA ones (libtorch_cuda*.so, ~0.5 GB and
            // many more dependencies) are left out so torch-sys links CPU only.
            return ["libtorch_cpu.so", "libtorch.so", "libc10.so", "libshm.so"].contains(&lib)
                || lib.starts_with("libgomp");
        }
        return false;
    }
    s.starts_with("nvidia/") && s.contains("/lib/") && file.contains(".so")
}

/// Checks with `ldd` (when present) that every library `lib` needs resolves.
fn check_load_deps(lib: &Path) -> Result<()> {
    let Ok(out) = Command::new("ldd").arg(lib).output() else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let missing: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("not found"))
        .map(str::trim)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} cannot be loaded: {}. The wheel set pinned in xtask/src/libtorch.rs (NVIDIA_WHEELS) no longer matches torch {TORCH_VERSION}; use `cargo xtask libtorch --venv` meanwhile.",
            lib.display(),
            missing.join("; ")
        );
    }
    Ok(())
}

/// The full install: a venv with `torch==2.13.0` (and numpy, which torch
/// warns about without). Venvs hold absolute paths, so it is built in place;
/// the marker, written last, is what makes it trusted.
fn install_venv(python: &Path, target: &Path) -> Result<()> {
    let start = Instant::now();
    run_with_spinner(
        "python -m venv",
        Command::new(python).args(["-m", "venv"]).arg(target),
    )?;
    let vpy = target.join("bin").join("python");
    run_with_spinner(
        &format!("pip install torch=={TORCH_VERSION}"),
        Command::new(&vpy).args([
            "-m",
            "pip",
            "install",
            &format!("torch=={TORCH_VERSION}"),
            "numpy",
        ]),
    )?;
    eprintln!(
        "libtorch: installed torch {TORCH_VERSION} into {} in {:.1?}",
        target.display(),
        start.elapsed()
    );
    let site = fs::read_dir(target.join("lib"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("site-packages/torch/lib/libtorch_cpu.so").is_file())
        .context("pip finished but the venv holds no site-packages/torch/lib/libtorch_cpu.so")?;
    let libtorch_rel = site
        .join("site-packages/torch")
        .strip_prefix(target)?
        .to_path_buf();
    write_marker(
        target,
        Kind::Venv,
        &libtorch_rel,
        Some(PathBuf::from("bin/python")),
    )
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ferrograd-xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn fake_libtorch(dir: &Path, version: &str) {
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::create_dir_all(dir.join("include/torch/csrc/api/include/torch")).unwrap();
        fs::write(dir.join("lib/libtorch_cpu.so"), b"elf").unwrap();
        fs::write(
            dir.join("include/torch/csrc/api/include/torch/torch.h"),
            b"// h",
        )
        .unwrap();
        fs::write(
            dir.join("version.py"),
            format!("__version__ = '{version}'\ncuda = None\n"),
        )
        .unwrap();
    }

    #[test]
    fn versions_are_read_from_version_py_and_build_version() {
        let d = temp("version");
        fake_libtorch(&d, "2.13.0+cpu");
        assert_eq!(check_libtorch_dir(&d).unwrap(), "2.13.0+cpu");
        fs::write(d.join("build-version"), "2.13.0+cu130\n").unwrap();
        assert_eq!(check_libtorch_dir(&d).unwrap(), "2.13.0+cu130");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_wrong_version_names_both_versions() {
        let d = temp("wrong");
        fake_libtorch(&d, "2.5.1+cpu");
        let e = check_libtorch_dir(&d).unwrap_err().to_string();
        assert!(e.contains("2.5.1+cpu") && e.contains("2.13.0"), "{e}");
        let e = check_libtorch_dir(&d.join("nothing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a folder"), "{e}");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn the_marker_catches_a_damaged_install() {
        let d = temp("marker");
        fake_libtorch(&d.join("torch"), "2.13.0+cpu");
        assert!(verify_install(&d).is_err(), "no marker yet");
        write_marker(&d, Kind::Libtorch, Path::new("torch"), None).unwrap();
        let m = verify_install(&d).unwrap();
        assert_eq!(m.version, "2.13.0+cpu");
        fs::write(d.join("torch/lib/libtorch_cpu.so"), b"truncated?").unwrap();
        let e = verify_install(&d).unwrap_err().to_string();
        assert!(e.contains("libtorch_cpu.so"), "{e}");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn only_the_cpu_parts_of_the_wheel_are_kept() {
        assert!(keep_member(Path::new("torch/lib/libtorch_cpu.so")));
        assert!(keep_member(Path::new("torch/include/ATen/ATen.h")));
        assert!(keep_member(Path::new("nvidia/cu13/lib/libcudart.so.13")));
        assert!(!keep_member(Path::new("torch/lib/libtorch_cuda.so")));
        assert!(!keep_member(Path::new("torch/nn/modules/linear.py")));
    }

    #[test]
    fn a_full_disk_becomes_advice() {
        let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "write failed");
        let e = explain_disk_full(anyhow::Error::new(io).context("unpacking"), Path::new("/c"));
        let text = e.to_string();
        assert!(
            text.contains("disk filled up") && text.contains("FERROGRAD_CACHE"),
            "{text}"
        );
        let other = explain_disk_full(anyhow::anyhow!("something else"), Path::new("/c"));
        assert_eq!(other.to_string(), "something else");
    }

    #[test]
    fn export_lines_quote_odd_paths() {
        let lt = Libtorch {
            dir: PathBuf::from("/tmp/a b/torch"),
            version: "2.13.0".into(),
            origin: Origin::Cache,
            python: None,
        };
        let text = lt.export_lines();
        assert!(
            text.starts_with("export LIBTORCH='/tmp/a b/torch'\n"),
            "{text}"
        );
        assert!(text.contains("export LIBTORCH_CXX11_ABI=1"), "{text}");
    }
}
