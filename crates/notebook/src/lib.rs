//! The seed notebook, run in Rust, written two ways from the same cells: the
//! HTML page of `cargo xtask notebook` ([`page`]) and the Jupyter notebook
//! `notebooks/micrograd.ipynb` on the evcxr kernel ([`ipynb`]).
//!
//! A cell is written once, with [`cell!`]: the macro runs the code and
//! records the very text it ran, read back from the source file and checked
//! token for token against what the compiler saw. What a reader sees on the
//! page or in Jupyter is therefore code that compiled and ran, with the
//! output it produced.

#![forbid(unsafe_code)]

pub mod cell;
pub mod ipynb;
pub mod page;
pub mod sections;
pub mod source;

pub use cell::{Block, Notebook, Output, Rich, Section, Shown};

/// What a section returns: any error stops the notebook.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Runs `{ code }` (statements, as in a notebook cell) and records it as a
/// cell of `$nb`'s current section; `{ code } => expr` also evaluates `expr`
/// after the statements and shows its value as the cell's output, as a
/// notebook shows a cell's last expression. Bindings made by the code stay
/// in scope for the cells after it.
///
/// The text shown is read from the calling file, whose text must be in a
/// constant `SRC` in scope (`const SRC: &str = include_str!("this_file.rs");`),
/// and must match the tokens the compiler ran, or the notebook panics.
#[macro_export]
macro_rules! cell {
    ($nb:expr, { $($code:tt)* }) => {
        $($code)*
        $nb.cell(SRC, line!(), stringify!($($code)*), $crate::Output::None);
    };
    ($nb:expr, { $($code:tt)* } => $tail:expr) => {
        $($code)*
        let __shown = &$tail;
        $nb.cell(
            SRC,
            line!(),
            concat!(stringify!($($code)*), stringify!($tail)),
            {
                #[allow(unused_imports)]
                use $crate::{Rich as _, Shown as _};
                (&$crate::cell::Wrap(__shown)).output()
            },
        );
    };
}
