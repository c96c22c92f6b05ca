//! Empirical distribution functions as a standalone SVG: one step curve per
//! variant, the x axis logarithmic. A curve further left is faster; its
//! height at some x is the fraction of runs that took at most x; the flat
//! top of a curve is its tail.

use std::fmt::Write;

use crate::stats::Sample;

pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) sample: &'a Sample,
    pub(crate) style: Style,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Style {
    /// Thick, bold label: the variants that are exit-attr.
    Emphasis,
    Normal,
    /// Dashed: a run that isolates a cost, not a way to do the job.
    Diagnostic,
}

const WIDTH: f64 = 1140.0;
const HEIGHT: f64 = 540.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 660.0;
const TOP: f64 = 64.0;
const BOTTOM: f64 = 470.0;

const COLOURS: [&str; 8] = [
    "#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#7f7f7f", "#8c564b", "#e377c2",
];

/// The plot, with values in microseconds. The x axis ends at the largest
/// 99.5th percentile (tails beyond it leave through the right edge).
pub(crate) fn ecdf(title: &str, subtitle: &str, series: &[Series<'_>]) -> String {
    let all = series.iter().filter(|s| s.sample.len() > 0);
    let low = all
        .clone()
        .map(|s| s.sample.quantile(0.0))
        .fold(f64::INFINITY, f64::min)
        .max(1e-3);
    let high = all
        .map(|s| s.sample.quantile(0.995))
        .fold(0.0, f64::max)
        .max(low * 1.5);
    // A little room on both sides, in log space.
    let (low, high) = (low.log10(), high.log10());
    let pad = (high - low) * 0.04;
    let (low, high) = (low - pad, high + pad);
    let x = |value: f64| {
        let clamped = value.max(1e-3).log10().clamp(low, high);
        LEFT + (clamped - low) / (high - low) * (RIGHT - LEFT)
    };
    let y = |fraction: f64| BOTTOM - fraction * (BOTTOM - TOP);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="26" font-size="17" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let _ = writeln!(
        svg,
        r##"<text x="{LEFT}" y="46" fill="#555">{}</text>"##,
        escape(subtitle)
    );

    // Horizontal grid: the fractions people read off a distribution.
    for fraction in [0.0, 0.25, 0.5, 0.75, 0.9, 1.0] {
        let yy = y(fraction);
        let dash = if fraction == 0.5 || fraction == 0.9 {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{RIGHT}" y2="{yy:.1}" stroke="#ddd"{dash}/>"##
        );
        let label = format!("{:.0} %", fraction * 100.0);
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    // Vertical grid: 1, 2, 3, 5 times each power of ten in range, or every
    // multiple when the range is narrow.
    let multiples: &[f64] = if high - low < 1.3 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else {
        &[1.0, 2.0, 3.0, 5.0]
    };
    let mut decade = low.floor() as i32;
    while f64::from(decade) <= high {
        for &m in multiples {
            let value = m * 10f64.powi(decade);
            let lv = value.log10();
            if lv < low || lv > high {
                continue;
            }
            let xx = x(value);
            let _ = writeln!(
                svg,
                r##"<line x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{BOTTOM}" stroke="#e4e4e4"/>"##
            );
            let _ = writeln!(
                svg,
                r#"<text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                BOTTOM + 18.0,
                tick(value)
            );
        }
        decade += 1;
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
        RIGHT - LEFT,
        BOTTOM - TOP
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">µs (log scale)</text>"#,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 40.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">fraction of runs at or below</text>"#,
        (TOP + BOTTOM) / 2.0
    );

    // The curves, then the legend.
    for (index, s) in series.iter().enumerate() {
        let values = s.sample.values();
        if values.is_empty() {
            continue;
        }
        let colour = COLOURS[index % COLOURS.len()];
        let width = if s.style == Style::Emphasis { 2.6 } else { 1.6 };
        let dash = if s.style == Style::Diagnostic {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let n = values.len() as f64;
        let mut path = format!("M{:.1} {:.1}", x(values[0]), y(0.0));
        for (i, &value) in values.iter().enumerate() {
            let _ = write!(path, "H{:.1}V{:.1}", x(value), y((i + 1) as f64 / n));
        }
        let _ = writeln!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"{dash}/>"#
        );
        let median = s.sample.median();
        let _ = writeln!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
            x(median),
            y(0.5)
        );

        let ly = TOP + 12.0 + index as f64 * 44.0;
        let lx = RIGHT + 24.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="{width}"{dash}/>"#,
            lx + 26.0
        );
        let weight = if s.style == Style::Emphasis {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}"{weight}>{}</text>"#,
            lx + 34.0,
            ly + 4.0,
            escape(&s.name.replace('`', ""))
        );
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" fill="#555" font-size="12">median {}, p99 {} (n = {})</text>"##,
            lx + 34.0,
            ly + 21.0,
            escape(&crate::report::us(median)),
            escape(&crate::report::us(s.sample.p99())),
            values.len()
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn tick(value: f64) -> String {
    if value >= 1.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
