//! The dashboard's charts, drawn on the server as SVG (with plotters) so that they show offline
//! and print as sharply as the text: a monthly trend of hazards found and rectified, and
//! horizontal bars for breakdowns and rankings. Text is left to the viewer's fonts (CJK
//! included); nothing is loaded from anywhere.

use plotters::prelude::*;

use crate::error::{AppError, AppResult};

const FOUND: RGBColor = RGBColor(178, 34, 34);
const RECTIFIED: RGBColor = RGBColor(21, 128, 61);
const BAR: RGBColor = RGBColor(37, 99, 235);
const FONT: &str = "sans-serif";

fn failed<E: std::fmt::Display>(e: E) -> AppError {
    AppError::internal(format!("drawing a chart: {e}"))
}

/// Lines of two counts per month (`(label, found, rectified)`), with the legend's words.
pub fn trend(
    months: &[(String, i64, i64)],
    (found_word, rectified_word): (&str, &str),
) -> AppResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let n = months.len().max(1);
        let top = months
            .iter()
            .map(|m| m.1.max(m.2))
            .max()
            .unwrap_or(0)
            .max(4);
        let top = top + top / 8 + 1;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..(n as i64 - 1).max(1), 0..top)
            .map_err(failed)?;
        let label = |i: &i64| {
            months
                .get(*i as usize)
                .map(|m| m.0.clone())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_labels(5)
            .label_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(failed)?;
        for (values, color, word) in [
            (
                months
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i as i64, m.1))
                    .collect::<Vec<_>>(),
                FOUND,
                found_word,
            ),
            (
                months
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i as i64, m.2))
                    .collect(),
                RECTIFIED,
                rectified_word,
            ),
        ] {
            chart
                .draw_series(LineSeries::new(values.clone(), color.stroke_width(2)))
                .map_err(failed)?
                .label(word)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    values
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(failed)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.2))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(accessible(svg))
}

/// Horizontal bars, one per `(label, value)`, longest first as given; `percent` writes the
/// values as percentages.
pub fn bars(rows: &[(String, f64)], percent: bool) -> AppResult<String> {
    let mut svg = String::new();
    {
        let height = 30 + 26 * rows.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let top = rows.iter().map(|r| r.1).fold(0.0, f64::max);
        let top = if percent {
            100.0
        } else {
            (top * 1.15).max(1.0)
        };
        let n = rows.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .margin_right(28)
            .x_label_area_size(24)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..top, (0..n).into_segmented())
            .map_err(failed)?;
        let name = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => rows
                .get(*i as usize)
                .map(|r| r.0.chars().take(14).collect())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&name)
            .x_labels(5)
            .x_label_formatter(&|v| {
                if percent {
                    format!("{v:.0}%")
                } else {
                    format!("{v:.0}")
                }
            })
            .label_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
                let i = i as i32;
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    BAR.mix(0.85).filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(accessible(svg))
}

/// The chart scales with the page (and is read by screen readers as an image).
fn accessible(svg: String) -> String {
    svg.replacen(
        "<svg ",
        "<svg role=\"img\" preserveAspectRatio=\"xMinYMin meet\" ",
        1,
    )
}
