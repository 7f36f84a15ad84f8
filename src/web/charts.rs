//! Charts as server-rendered SVG, small enough to write by hand: stacked bars, a line and
//! horizontal bars. No JavaScript, nothing to load.
//!
//! Written here rather than with `plotters` or `charming`: those draw for a screen (fonts
//! rasterised or a JavaScript runtime), where an accessible chart needs markup — a `<title>`
//! and `<desc>` the SVG is labelled by, `role="img"`, and the page puts its text summary
//! and its data table (in a `<details>`) beside it. Colours are the Okabe–Ito palette,
//! readable with every common colour-vision deficiency, and every series also has its own
//! pattern and a legend, so colour is never the only cue.

use std::fmt::Write;

/// Okabe & Ito (2008), "Color Universal Design": distinguishable by people with
/// protanopia, deuteranopia and tritanopia. Black is kept for text and axes.
pub const PALETTE: [&str; 7] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#56B4E9", // sky blue
    "#D55E00", // vermillion
    "#F0E442", // yellow
];

const WIDTH: u32 = 720;
const HEIGHT: u32 = 260;
const LEFT: u32 = 48;
const BOTTOM: u32 = 40;
const TOP: u32 = 12;

/// One series of a chart.
pub struct Series {
    pub name: String,
    pub values: Vec<u64>,
}

/// Text for SVG markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The opening of a chart: its size, its role, and the title and description it is
/// labelled by; then one pattern per series (the series' colour, with its own marks).
fn open(id: &str, title: &str, desc: &str, series: usize) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc><defs>"#,
        escape(title),
        escape(desc)
    );
    for i in 0..series {
        let colour = PALETTE[i % PALETTE.len()];
        let marks = match i % 6 {
            0 => "",
            1 => r##"<path d="M0,8 L8,0" stroke="#000" stroke-opacity=".55" stroke-width="1.2"/>"##,
            2 => r##"<circle cx="4" cy="4" r="1.4" fill="#000" fill-opacity=".55"/>"##,
            3 => r##"<path d="M0,4 H8" stroke="#000" stroke-opacity=".55" stroke-width="1.2"/>"##,
            4 => {
                r##"<path d="M0,0 L8,8 M0,8 L8,0" stroke="#000" stroke-opacity=".5" stroke-width="1"/>"##
            }
            _ => r##"<path d="M4,0 V8" stroke="#000" stroke-opacity=".55" stroke-width="1.2"/>"##,
        };
        let _ = write!(
            svg,
            r#"<pattern id="{id}-p{i}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>{marks}</pattern>"#
        );
    }
    svg.push_str("</defs>");
    svg
}

/// A round number at or above `max`, for the vertical axis.
fn axis_top(max: u64) -> u64 {
    if max == 0 {
        return 1;
    }
    let magnitude = 10u64.pow(max.ilog10());
    for step in [1, 2, 5, 10] {
        if max <= step * magnitude {
            return step * magnitude;
        }
    }
    10 * magnitude
}

/// The vertical axis (0, half, top) and the horizontal labels, at most about twelve shown.
fn axes(svg: &mut String, top: u64, labels: &[String]) {
    let plot_h = HEIGHT - TOP - BOTTOM;
    for (value, y) in [
        (0, HEIGHT - BOTTOM),
        (top / 2, TOP + plot_h / 2),
        (top, TOP),
    ] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y}" y2="{y}" stroke="#767676" stroke-width=".5"/><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#1b1b1b">{value}</text>"##,
            LEFT - 4,
            y + 4
        );
    }
    let n = labels.len().max(1);
    let every = n.div_ceil(12);
    let slot = f64::from(WIDTH - LEFT) / n as f64;
    for (i, label) in labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let x = f64::from(LEFT) + slot * (i as f64 + 0.5);
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle" font-size="11" fill="#1b1b1b">{}</text>"##,
            HEIGHT - BOTTOM + 16,
            escape(label)
        );
    }
}

/// The legend under a chart: each series' pattern and name.
fn legend(svg: &mut String, id: &str, names: &[&str]) {
    let mut x = LEFT;
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="url(#{id}-p{i})" stroke="#1b1b1b" stroke-width=".5"/><text x="{}" y="{}" font-size="11" fill="#1b1b1b">{}</text>"##,
            HEIGHT - 16,
            x + 16,
            HEIGHT - 6,
            escape(name)
        );
        x += 24 + 7 * name.chars().count() as u32;
    }
}

/// Bars per label, each stacking the series' values.
pub fn stacked_bars(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[Series],
) -> String {
    let totals: Vec<u64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let top = axis_top(totals.iter().copied().max().unwrap_or(0));
    let mut svg = open(id, title, desc, series.len());
    axes(&mut svg, top, labels);
    let plot_h = f64::from(HEIGHT - TOP - BOTTOM);
    let slot = f64::from(WIDTH - LEFT) / labels.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    for i in 0..labels.len() {
        let mut y = f64::from(HEIGHT - BOTTOM);
        let x = f64::from(LEFT) + slot * i as f64 + (slot - bar) / 2.0;
        for (s, one) in series.iter().enumerate() {
            let value = one.values.get(i).copied().unwrap_or(0);
            if value == 0 {
                continue;
            }
            let h = plot_h * value as f64 / top as f64;
            y -= h;
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="url(#{id}-p{s})" stroke="#fff" stroke-width=".5"/>"##
            );
        }
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut svg, id, &names);
    svg.push_str("</svg>");
    svg
}

/// A line through one value per label, each point marked and the last one labelled.
pub fn line(id: &str, title: &str, desc: &str, labels: &[String], values: &[u64]) -> String {
    let top = axis_top(values.iter().copied().max().unwrap_or(0));
    let mut svg = open(id, title, desc, 1);
    axes(&mut svg, top, labels);
    let plot_h = f64::from(HEIGHT - TOP - BOTTOM);
    let slot = f64::from(WIDTH - LEFT) / labels.len().max(1) as f64;
    let point = |i: usize, v: u64| {
        (
            f64::from(LEFT) + slot * (i as f64 + 0.5),
            f64::from(HEIGHT - BOTTOM) - plot_h * v as f64 / top as f64,
        )
    };
    let path: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y) = point(i, *v);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"#,
        path.join(" "),
        PALETTE[0]
    );
    for (i, v) in values.iter().enumerate() {
        let (x, y) = point(i, *v);
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#fff" stroke="{}" stroke-width="2"/>"##,
            PALETTE[0]
        );
    }
    if let Some((i, v)) = values.iter().enumerate().next_back() {
        let (x, y) = point(i, *v);
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="end" font-size="12" font-weight="bold" fill="#1b1b1b">{v}</text>"##,
            (y - 8.0).max(12.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One horizontal bar per row, its value written at its end (so colour carries nothing).
pub fn horizontal_bars(id: &str, title: &str, desc: &str, rows: &[(String, u64)]) -> String {
    let row_h = 24u32;
    let height = TOP + row_h * rows.len().max(1) as u32 + 8;
    let label_w = 220u32;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(title),
        escape(desc)
    );
    let span = f64::from(WIDTH - label_w - 60);
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as u32;
        let w = span * *value as f64 / max as f64;
        let short: String = label.chars().take(32).collect();
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#1b1b1b">{}</text><rect x="{label_w}" y="{}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}" font-size="12" fill="#1b1b1b">{value}</text>"##,
            label_w - 6,
            y + 15,
            escape(&short),
            y + 3,
            row_h - 8,
            PALETTE[0],
            f64::from(label_w) + w + 6.0,
            y + 15
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_images_with_escaped_text() {
        let svg = stacked_bars(
            "c",
            "Demandes <déposées>",
            "Résumé & détails",
            &["janv.".into(), "févr.".into()],
            &[
                Series {
                    name: "Reçue".into(),
                    values: vec![3, 0],
                },
                Series {
                    name: "Traitée".into(),
                    values: vec![1, 7],
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"role="img" aria-labelledby="c-t c-d""#));
        assert!(svg.contains("<title id=\"c-t\">Demandes &lt;déposées&gt;</title>"));
        assert!(svg.contains("Résumé &amp; détails"));
        assert!(
            svg.contains("url(#c-p1)"),
            "each series has its own pattern"
        );
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(11), 20);
        assert_eq!(axis_top(0), 1);
    }
}
