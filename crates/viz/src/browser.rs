//! Opening a page in headless Chromium and reading back what it drew.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::VizError;

/// How long Chromium may take before it is stopped (a hung browser must not
/// hang the build).
const BROWSER_DEADLINE: Duration = Duration::from_secs(180);

/// The Chromium program: `$CHROMIUM` when set, else `/usr/bin/chromium` or
/// the first of `chromium`, `chromium-browser`, `google-chrome` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    })
}

/// What the page's self-check script reported after loading in Chromium.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageCheck {
    /// The section headings found, in order.
    pub sections: Vec<String>,
    /// Width and height in CSS pixels of every figure's SVG, in order.
    pub figures: Vec<(f64, f64)>,
    /// How many figures the page was built with.
    pub expected_figures: usize,
    /// Script errors seen while loading.
    pub errors: Vec<String>,
    /// Whether the self-check script ran to the end.
    pub finished: bool,
}

impl PageCheck {
    /// Everything a reader would miss: a heading of `expected_sections` not
    /// found, a figure not drawn or of zero size, a script error, a check that
    /// never ran. Empty when the page is fine.
    pub fn problems(&self, expected_sections: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        if !self.finished {
            out.push("the page's self-check script did not run to the end".to_string());
        }
        for s in expected_sections {
            if !self.sections.contains(s) {
                out.push(format!("section `{s}` is missing"));
            }
        }
        if self.figures.len() != self.expected_figures {
            out.push(format!(
                "{} figures were built but {} were drawn",
                self.expected_figures,
                self.figures.len()
            ));
        }
        for (i, (w, h)) in self.figures.iter().enumerate() {
            if !(*w > 0.0 && *h > 0.0) {
                out.push(format!("figure {i} is drawn {w} x {h}"));
            }
        }
        for e in &self.errors {
            out.push(format!("script error: {e}"));
        }
        out
    }
}

fn chromium_command(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(Stdio::null());
    cmd
}

/// A fresh, empty folder for one browser run; removed on drop.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Result<Self, VizError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("ferrograd-chromium-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| VizError::write(&dir, e))?;
        Ok(Profile(dir))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file_url(page: &Path) -> Result<String, VizError> {
    let abs = std::fs::canonicalize(page).map_err(|e| VizError::Read {
        path: page.to_path_buf(),
        source: e,
    })?;
    Ok(format!("file://{}", abs.display()))
}

/// Runs `cmd` to the end (stopping it after [`BROWSER_DEADLINE`]) and
/// returns its standard output.
fn run_browser(mut cmd: Command) -> Result<String, VizError> {
    let out_file = Profile::new()?;
    let out_path = out_file.0.join("stdout.html");
    let stdout = std::fs::File::create(&out_path).map_err(|e| VizError::write(&out_path, e))?;
    let mut child = cmd
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| VizError::Browser(format!("could not start Chromium: {e}")))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > BROWSER_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(VizError::Browser(format!(
                    "Chromium did not finish in {BROWSER_DEADLINE:?}"
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                return Err(VizError::Browser(format!(
                    "could not wait for Chromium: {e}"
                )))
            }
        }
    };
    if !status.success() {
        return Err(VizError::Browser(format!("Chromium exited with {status}")));
    }
    std::fs::read_to_string(&out_path).map_err(|e| VizError::Read {
        path: out_path.clone(),
        source: e,
    })
}

/// Loads `page` (an HTML file written by [`crate::Page`]) in headless
/// Chromium, lets its scripts run, and returns what the self-check reported.
pub fn check_page(page: impl AsRef<Path>) -> Result<PageCheck, VizError> {
    let chromium = find_chromium().ok_or_else(|| {
        VizError::Browser("Chromium is not installed: run scripts/install-chromium.sh".into())
    })?;
    let profile = Profile::new()?;
    let mut cmd = chromium_command(&chromium, &profile.0);
    cmd.args(["--virtual-time-budget=10000", "--dump-dom"])
        .arg(file_url(page.as_ref())?);
    parse_dom(&run_browser(cmd)?)
}

/// Saves a `width` x `height` screenshot of `page` as PNG at `png`.
pub fn screenshot(
    page: impl AsRef<Path>,
    png: impl AsRef<Path>,
    width: u32,
    height: u32,
) -> Result<(), VizError> {
    let chromium = find_chromium().ok_or_else(|| {
        VizError::Browser("Chromium is not installed: run scripts/install-chromium.sh".into())
    })?;
    let png = png.as_ref();
    if let Some(dir) = png.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| VizError::write(dir, e))?;
    }
    let profile = Profile::new()?;
    let mut cmd = chromium_command(&chromium, &profile.0);
    cmd.arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(file_url(page.as_ref())?);
    run_browser(cmd).map(|_| ())
}

/// Reads the `<pre id="check">` block out of a dumped DOM.
fn parse_dom(dom: &str) -> Result<PageCheck, VizError> {
    let open = "<pre id=\"check\">";
    let start = dom.find(open).ok_or_else(|| {
        VizError::Browser("the page has no self-check block (not made by Page?)".into())
    })? + open.len();
    let end = dom[start..]
        .find("</pre>")
        .ok_or_else(|| VizError::Browser("the self-check block is not closed".into()))?;
    let text = unescape(&dom[start..start + end]);
    let mut check = PageCheck::default();
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "expected" => check.expected_figures = rest.trim().parse().unwrap_or(0),
            "section" => check.sections.push(rest.to_string()),
            "svg" => {
                let nums: Vec<f64> = rest
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if let [_, w, h] = nums[..] {
                    check.figures.push((w, h));
                }
            }
            "error" => check.errors.push(rest.to_string()),
            "done" => check.finished = true,
            _ => {}
        }
    }
    Ok(check)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dumped_report_is_read_back() {
        let dom = "<html><pre id=\"check\">expected 2\nsection 1. A &amp; B\nsvg 0 10.0 20.5\nsvg 1 0.0 3.0\nerror boom\ndone</pre></html>";
        let c = parse_dom(dom).unwrap();
        assert_eq!(c.sections, ["1. A & B"]);
        assert_eq!(c.figures, [(10.0, 20.5), (0.0, 3.0)]);
        assert!(c.finished);
        let p = c.problems(&["1. A & B".into(), "2. C".into()]);
        assert_eq!(p.len(), 3, "{p:?}"); // missing section, zero-size figure, error
    }

    #[test]
    fn a_page_whose_script_never_ran_is_a_problem() {
        let c = parse_dom("<pre id=\"check\">pending</pre>").unwrap();
        assert!(!c.finished);
        assert_eq!(
            c.problems(&[]),
            ["the page's self-check script did not run to the end"]
        );
    }
}
