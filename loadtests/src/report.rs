//! A scenario's results: printed, and appended to a markdown file on request.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// Named values under a title.
#[derive(Debug)]
pub struct Report {
    title: String,
    rows: Vec<(String, String)>,
}

impl Report {
    /// An empty report.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, name: impl Into<String>, value: impl std::fmt::Display) {
        self.rows.push((name.into(), value.to_string()));
    }

    /// Prints it to stdout.
    pub fn print(&self) {
        println!("== {}", self.title);
        let width = self.rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in &self.rows {
            println!("  {name:<width$}  {value}");
        }
    }

    /// Prints it, and appends it to `out` (with the command line) when given.
    pub fn emit(&self, out: Option<&Path>) -> anyhow::Result<()> {
        self.print();
        let Some(path) = out else { return Ok(()) };
        let command = std::env::args()
            .enumerate()
            .map(|(i, a)| if i == 0 { "tocsin-load".to_owned() } else { a })
            .collect::<Vec<_>>()
            .join(" ");
        let mut text = format!(
            "\n### {}\n\n`{command}`\n\n| metric | value |\n|---|---|\n",
            self.title
        );
        for (name, value) in &self.rows {
            text.push_str(&format!("| {name} | {value} |\n"));
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))
    }
}
