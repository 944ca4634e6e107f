//! A usable libtorch, and the environment `cargo` needs to build and run
//! against it (set on a command, or printed as `export` lines).

use std::path::PathBuf;
use std::process::Command;

use super::Origin;

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

/// `s` as one shell word: unquoted when that is safe, else single-quoted.
fn sh_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
