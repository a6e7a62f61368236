//! A forecast chart as a hand-written SVG: the recent history, the forecast and its 80% and 95%
//! bands, with axis ticks, a legend and a title. Written by hand (no plotting dependency) so the
//! binary builds offline; the same numbers are kept in `data-*` attributes for tests and tooling.

use std::fmt::Write as _;

use cohort_schemas::time::civil_from_days;

use super::Forecast;
use super::series::HOUR_MS;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 50.0;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What one chart shows: the last closed hours of a series and the forecast issued after them.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The title line, e.g. `messages · rust-circle`.
    pub title: String,
    /// Start (ms since the epoch) of the hour `history[0]` belongs to.
    pub history_start_ms: i64,
    /// One value per consecutive closed hour.
    pub history: Vec<f64>,
    /// The forecast for the hours right after the history.
    pub forecast: Forecast,
}

/// Maps data coordinates to pixels.
struct Frame {
    x0: i64,
    x1: i64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, ms: i64) -> f64 {
        let span = (self.x1 - self.x0).max(1) as f64;
        LEFT + (ms - self.x0) as f64 / span * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        let span = (self.y1 - self.y0).max(f64::EPSILON);
        HEIGHT - BOTTOM - (v - self.y0) / span * (HEIGHT - TOP - BOTTOM)
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about `target` ticks over `range`, so tick
/// labels stay round.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Escapes text for XML content and attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn points(frame: &Frame, start_ms: i64, values: &[f64]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let ms = start_ms + HOUR_MS * i as i64;
        let _ = write!(out, "{:.1},{:.1} ", frame.x(ms), frame.y(*v));
    }
    out.trim_end().to_string()
}

fn band(frame: &Frame, start_ms: i64, lo: &[f64], hi: &[f64]) -> String {
    let upper = points(frame, start_ms, hi);
    let mut lower: Vec<String> = lo
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ms = start_ms + HOUR_MS * i as i64;
            format!("{:.1},{:.1}", frame.x(ms), frame.y(*v))
        })
        .collect();
    lower.reverse();
    format!("{upper} {}", lower.join(" "))
}

fn join(values: &[f64]) -> String {
    let v: Vec<String> = values.iter().map(f64::to_string).collect();
    v.join(",")
}

/// Renders the chart as a standalone SVG document.
pub fn render_svg(chart: &Chart) -> String {
    let f = &chart.forecast;
    let fc_start = chart.history_start_ms + HOUR_MS * chart.history.len() as i64;
    let x1 = fc_start + HOUR_MS * (f.yhat.len().max(1) as i64 - 1);
    let all = chart
        .history
        .iter()
        .chain(&f.lo95)
        .chain(&f.hi95)
        .chain(&f.yhat);
    let (lo, hi) = all.fold((0f64, f64::NEG_INFINITY), |(a, b), &v| {
        if v.is_finite() {
            (a.min(v), b.max(v))
        } else {
            (a, b)
        }
    });
    let hi = if hi.is_finite() && hi > lo {
        hi
    } else {
        lo + 1.0
    };
    let step = nice_step(hi - lo, 5.0);
    let frame = Frame {
        x0: chart.history_start_ms,
        x1,
        y0: (lo / step).floor() * step,
        y1: (hi / step).ceil() * step,
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text class="title" x="{LEFT}" y="24" font-size="16">{}</text>"#,
        escape(&chart.title)
    );
    // Y axis: gridlines and labels.
    let mut v = frame.y0;
    while v <= frame.y1 + step * 1e-9 {
        let y = frame.y(v);
        let _ = writeln!(
            s,
            r##"<line class="ytick" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            v
        );
        v += step;
    }
    // X axis: one tick per UTC midnight.
    let mut day = (frame.x0 + DAY_MS - 1).div_euclid(DAY_MS) * DAY_MS;
    while day <= frame.x1 {
        let x = frame.x(day);
        let (_, m, d) = civil_from_days(day / DAY_MS);
        let _ = writeln!(
            s,
            r##"<line class="xtick" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{m:02}-{d:02}</text>"##,
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 16.0
        );
        day += DAY_MS;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">hour (UTC)</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 10.0
    );
    let _ = writeln!(
        s,
        r##"<polygon class="band95" fill="#9ecae1" fill-opacity="0.45" data-lo="{}" data-hi="{}" points="{}"/>"##,
        join(&f.lo95),
        join(&f.hi95),
        band(&frame, fc_start, &f.lo95, &f.hi95)
    );
    let _ = writeln!(
        s,
        r##"<polygon class="band80" fill="#4292c6" fill-opacity="0.5" data-lo="{}" data-hi="{}" points="{}"/>"##,
        join(&f.lo80),
        join(&f.hi80),
        band(&frame, fc_start, &f.lo80, &f.hi80)
    );
    let hours: Vec<String> = (0..chart.history.len())
        .map(|i| ((chart.history_start_ms + HOUR_MS * i as i64) / 1000).to_string())
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline class="history" fill="none" stroke="#333" stroke-width="1.2" data-hours="{}" data-values="{}" points="{}"/>"##,
        hours.join(","),
        join(&chart.history),
        points(&frame, chart.history_start_ms, &chart.history)
    );
    let _ = writeln!(
        s,
        r##"<polyline class="forecast" fill="none" stroke="#d62728" stroke-width="1.6" data-start="{}" data-values="{}" points="{}"/>"##,
        fc_start / 1000,
        join(&f.yhat),
        points(&frame, fc_start, &f.yhat)
    );
    // Axes and legend.
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="#666"/>"##,
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    );
    let lx = WIDTH - RIGHT + 16.0;
    let entries = [
        ("history", "#333", "line"),
        ("forecast", "#d62728", "line"),
        ("80% interval", "#4292c6", "box"),
        ("95% interval", "#9ecae1", "box"),
    ];
    let _ = writeln!(s, r#"<g class="legend">"#);
    for (i, (label, color, shape)) in entries.iter().enumerate() {
        let y = TOP + 10.0 + 20.0 * i as f64;
        if *shape == "line" {
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"/>"#,
                lx + 22.0
            );
        } else {
            let _ = writeln!(
                s,
                r#"<rect x="{lx}" y="{:.1}" width="22" height="10" fill="{color}"/>"#,
                y - 5.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{label}</text>"#,
            lx + 28.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{lx}" y="{:.1}" font-size="10">model: {}</text>"#,
        TOP + 100.0,
        escape(&f.model)
    );
    let _ = writeln!(s, "</g>\n</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_every_layer_and_the_numbers() {
        let forecast = Forecast {
            yhat: vec![3.0, 4.0],
            lo80: vec![2.0, 3.0],
            hi80: vec![4.0, 5.0],
            lo95: vec![1.0, 2.0],
            hi95: vec![5.0, 6.0],
            model: "mean".into(),
        };
        let chart = Chart {
            title: "messages · a<b".into(),
            history_start_ms: 0,
            history: vec![1.0, 2.5, 0.0],
            forecast,
        };
        let svg = render_svg(&chart);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        for class in ["history", "forecast", "band80", "band95", "title", "legend"] {
            assert!(
                svg.contains(&format!("class=\"{class}\"")),
                "{class} missing"
            );
        }
        assert!(svg.contains(r#"data-hours="0,3600,7200" data-values="1,2.5,0""#));
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains(">01-01<"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_step(100.0, 5.0), 20.0);
        assert_eq!(nice_step(7.0, 5.0), 2.0);
    }
}
