//! Interleaving the variants, and printing what they measured.

use std::io::Write;

use crate::Result;

/// Runs `variants` variants for `rounds` rounds, one run of each per round:
/// A B C, then C B A, then A B C, ... Machine noise (another job, a
/// frequency change) then lands on every variant alike, and alternating the
/// direction keeps any variant from always following the same one.
pub(crate) fn interleave(
    label: &str,
    variants: usize,
    rounds: usize,
    mut run: impl FnMut(usize) -> Result<()>,
) -> Result<()> {
    for round in 0..rounds {
        if round % 10 == 0 || round + 1 == rounds {
            eprint!("\r  {label}: round {}/{rounds}   ", round + 1);
            let _ = std::io::stderr().flush();
        }
        for step in 0..variants {
            let variant = if round % 2 == 0 {
                step
            } else {
                variants - 1 - step
            };
            run(variant)?;
        }
    }
    eprintln!();
    Ok(())
}

/// A Markdown table.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    /// The table, with every column padded to its widest cell so that it
    /// also reads well in a terminal.
    pub(crate) fn render(&self) -> String {
        let width = |column: usize| {
            std::iter::once(&self.header)
                .chain(&self.rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
                .max(3)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| format!("{cell:<w$}"))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        let mut out = line(&self.header);
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// Microseconds, with the precision that matters at that size.
pub(crate) fn us(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else if value >= 10_000.0 {
        format!("{:.2} ms", value / 1000.0)
    } else if value >= 100.0 {
        format!("{value:.0} µs")
    } else if value >= 10.0 {
        format!("{value:.1} µs")
    } else {
        format!("{value:.2} µs")
    }
}

/// Nanoseconds.
pub(crate) fn ns(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else if value >= 100.0 {
        format!("{value:.0} ns")
    } else {
        format!("{value:.1} ns")
    }
}

/// A ratio, as `1.234×`.
pub(crate) fn ratio(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else {
        format!("{value:.3}×")
    }
}

/// A signed difference in KiB.
pub(crate) fn kib_delta(value: f64) -> String {
    format!("{value:+.0} KiB")
}

/// A size in bytes, in KiB.
pub(crate) fn size(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}
