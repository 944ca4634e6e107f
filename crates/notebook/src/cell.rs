//! Cells, sections and the notebook they make up, and how a cell's value is
//! shown.

use std::fmt::Debug;

use ferrograd::viz::Picture;
use ferrograd::Value;

use crate::source;

/// What a cell shows below its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing (the cell ends in a statement).
    None,
    /// Text, as a notebook prints a value: its `Debug` text.
    Text(String),
    /// A [`Value`] as micrograd prints it (its `Display` text).
    Value(String),
    /// A picture: an SVG document with a caption for the page.
    Picture {
        /// The SVG document.
        svg: String,
        /// What the picture shows (the page's figure caption).
        caption: String,
    },
}

/// One part of a section, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Prose between cells (markdown in Jupyter).
    Text(String),
    /// Code that ran, and what it showed.
    Cell {
        /// The code, as written in the source file.
        code: String,
        /// The statements of `code`, without the shown expression.
        body: String,
        /// The shown expression (the cell's last line or lines), if any.
        tail: Option<String>,
        /// Its output.
        output: Output,
    },
    /// Code in another language shown for comparison, with what the
    /// reference run printed (the PyTorch cell, run by the oracle).
    Foreign {
        /// The language (`python`).
        language: String,
        /// The code.
        code: String,
        /// What it printed, or a note that it has not been run.
        output: String,
    },
}

/// A titled part of the notebook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// Prose and cells, in order.
    pub blocks: Vec<Block>,
    /// Whether its cells use values made in the section before. evcxr links
    /// each Jupyter cell separately, with its own copy of the thread's tape,
    /// so values cannot cross Jupyter cells: such a section shares one
    /// Jupyter cell with the one before.
    pub continues: bool,
}

/// The whole notebook: sections of prose and cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notebook {
    /// The title.
    pub title: String,
    /// The introduction.
    pub intro: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// The setup cell Jupyter runs first (evcxr commands and imports).
    pub setup: String,
    /// Caption of the next picture a cell shows.
    caption: Option<String>,
}

impl Notebook {
    /// An empty notebook.
    pub fn new(title: impl Into<String>, intro: impl Into<String>) -> Self {
        Notebook {
            title: title.into(),
            intro: intro.into(),
            ..Self::default()
        }
    }

    /// Starts a section.
    pub fn section(&mut self, title: impl Into<String>) -> &mut Self {
        self.sections.push(Section {
            title: title.into(),
            ..Section::default()
        });
        self
    }

    /// Starts a section whose cells use values made in the previous one
    /// (see [`Section::continues`]).
    pub fn section_continued(&mut self, title: impl Into<String>) -> &mut Self {
        self.section(title);
        self.current().continues = true;
        self
    }

    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.section("");
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// Adds prose to the current section.
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.current().blocks.push(Block::Text(text.into()));
        self
    }

    /// Names the picture the next cell shows (the page's figure caption).
    pub fn caption(&mut self, caption: impl Into<String>) -> &mut Self {
        self.caption = Some(caption.into());
        self
    }

    /// Adds code in another language with its reference output.
    pub fn foreign(&mut self, language: &str, code: &str, output: impl Into<String>) {
        self.current().blocks.push(Block::Foreign {
            language: language.into(),
            code: code.into(),
            output: output.into(),
        });
    }

    /// Records a cell that [`crate::cell!`] ran: finds its text in `src` at
    /// `line` and checks it against the tokens the compiler saw.
    ///
    /// # Panics
    /// When the text cannot be found or differs from the tokens: the page
    /// would show code other than the code that ran.
    pub fn cell(&mut self, src: &str, line: u32, tokens: &str, output: Output) {
        let (body, tail) =
            source::cell_parts(src, line).unwrap_or_else(|e| panic!("cell at line {line}: {e}"));
        let code =
            source::cell_text(src, line).unwrap_or_else(|e| panic!("cell at line {line}: {e}"));
        if let Err(e) = source::same_tokens(&code, tokens) {
            panic!("cell at line {line}: the text read back is not the code that ran: {e}");
        }
        let output = match (output, self.caption.take()) {
            (Output::Picture { svg, caption }, Some(c)) if caption.is_empty() => {
                Output::Picture { svg, caption: c }
            }
            (o, _) => o,
        };
        self.current().blocks.push(Block::Cell {
            code,
            body,
            tail,
            output,
        });
    }

    /// Every block of every section, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.sections.iter().flat_map(|s| &s.blocks)
    }

    /// Every cell's code, in order: the program the page shows.
    pub fn code(&self) -> Vec<&str> {
        self.blocks()
            .filter_map(|b| match b {
                Block::Cell { code, .. } => Some(code.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A cell's value, for choosing how to show it (see [`Rich`] and [`Shown`]).
pub struct Wrap<'a, T>(pub &'a T);

/// How pictures, values and `()` are shown; takes precedence over [`Shown`]
/// (called on `&Wrap`, its method is found before the one that needs an
/// extra reference).
pub trait Rich {
    /// The output.
    fn output(&self) -> Output;
}

impl Rich for Wrap<'_, Picture> {
    fn output(&self) -> Output {
        Output::Picture {
            svg: self.0.svg().to_string(),
            caption: String::new(),
        }
    }
}

impl Rich for Wrap<'_, Value<f64>> {
    fn output(&self) -> Output {
        Output::Value(self.0.to_string())
    }
}

impl Rich for Wrap<'_, ()> {
    fn output(&self) -> Output {
        Output::None
    }
}

/// Any other value: its `Debug` text, as evcxr shows it.
pub trait Shown {
    /// The output.
    fn output(&self) -> Output;
}

impl<T: Debug> Shown for &Wrap<'_, T> {
    fn output(&self) -> Output {
        Output::Text(format!("{:?}", self.0))
    }
}
