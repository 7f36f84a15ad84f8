//! The statistics' words and charts, shared by the back office's dashboard
//! (`/bureau/statistiques`) and the public page (`/statistiques`): each chart with its
//! title, a sentence that says what it shows, and the table of its data.
//!
//! Every word is a message of `i18n/<lang>/statistics.ftl`, in the language the caller
//! gives: the public page speaks the person's, the back office French.

use time::Date;

use super::charts::{self, Series};
use crate::domain::{Channel, Status};
use crate::i18n::{Arg, Lang};
use crate::statistics::{Figures, Grain};

/// A chart as a page shows it: the SVG, a text summary, and its data as a table.
pub struct ChartView {
    pub svg: String,
    pub summary: String,
    pub caption: String,
    /// The summary of the `<details>` that holds the table: "Données du graphique : …".
    pub data_label: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What a bar stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    Status,
    Channel,
}

/// "déc. 2026" ("Dec 2026"), or a week by its Monday: "30/11/26".
pub fn bucket_label(grain: Grain, first: Date, lang: Lang) -> String {
    match grain {
        Grain::Month => format!(
            "{} {}",
            lang.text(&format!("month-short-{}", u8::from(first.month()))),
            first.year()
        ),
        Grain::Week => format!(
            "{:02}/{:02}/{:02}",
            first.day(),
            u8::from(first.month()),
            first.year() % 100
        ),
    }
}

/// A duration in words a person reads at a glance: "45 min", "5 h 20", "3 j 4 h".
pub fn duration_fr(seconds: i64) -> String {
    duration_in(seconds, Lang::Fr)
}

/// [`duration_fr`] in `lang`: "5 h 20 min", "3 d 4 h" in English.
pub fn duration_in(seconds: i64, lang: Lang) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let text = |n: i64| Arg::Text(n.to_string());
    match (days, hours) {
        (0, 0) => lang.text_with("duration-minutes", &[("minutes", text(mins))]),
        (0, h) => lang.text_with(
            "duration-hours",
            &[
                ("hours", text(h)),
                ("minutes", Arg::Text(format!("{mins:02}"))),
            ],
        ),
        (d, h) => lang.text_with("duration-days", &[("days", text(d)), ("hours", text(h))]),
    }
}

/// `part` of `whole` as a French percentage ("42 %"), or "—" when there is nothing to share.
pub fn percent(part: u64, whole: u64) -> String {
    percent_in(part, whole, Lang::Fr)
}

/// [`percent`] in `lang`: "42%" in English, without the space French puts before the sign.
pub fn percent_in(part: u64, whole: u64, lang: Lang) -> String {
    if whole == 0 {
        return "—".to_owned();
    }
    let n = (part * 100 + whole / 2) / whole;
    match lang {
        Lang::Fr => format!("{n} %"),
        Lang::En => format!("{n}%"),
    }
}

/// How counts are shown: as they are (staff), or withheld under
/// [`crate::web::public::open_data::SMALLEST_PUBLISHED`] (the public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    Exact,
    Published,
}

impl Counts {
    /// The number, or "moins de 5" ("fewer than 5") when it is withheld.
    pub fn show(self, n: u64, lang: Lang) -> String {
        match self.published(n) {
            Some(n) => n.to_string(),
            None => lang.text_with(
                "stats-fewer-than",
                &[(
                    "n",
                    crate::web::public::open_data::SMALLEST_PUBLISHED.into(),
                )],
            ),
        }
    }

    /// The number, if it may be shown.
    pub fn published(self, n: u64) -> Option<u64> {
        match self {
            Counts::Exact => Some(n),
            Counts::Published => crate::web::public::open_data::published(n),
        }
    }

    /// What a chart draws: a withheld count draws nothing.
    fn drawn(self, n: u64) -> u64 {
        self.published(n).unwrap_or(0)
    }
}

/// Requests filed per week or month, stacked by status or channel (channels are named in
/// French: only the back office stacks by channel).
pub fn filings_chart(figures: &Figures, stack: Stack, counts: Counts, lang: Lang) -> ChartView {
    let labels: Vec<String> = figures
        .buckets
        .iter()
        .map(|b| bucket_label(figures.grain, b.first, lang))
        .collect();
    let names: Vec<String> = match stack {
        Stack::Status => Status::ALL.iter().map(|s| status_label(*s, lang)).collect(),
        Stack::Channel => Channel::ALL
            .iter()
            .map(|c| capitalised(c.label_fr()))
            .collect(),
    };
    let series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.clone(),
            values: figures
                .buckets
                .iter()
                .map(|b| {
                    counts.drawn(match stack {
                        Stack::Status => b.by_status[i],
                        Stack::Channel => b.by_channel[i],
                    })
                })
                .collect(),
        })
        .collect();
    let total: u64 = figures.buckets.iter().map(|b| b.filed()).sum();
    let busiest = figures
        .buckets
        .iter()
        .zip(&labels)
        .max_by_key(|(b, _)| b.filed());
    let (per, head_per, busiest_is) = match figures.grain {
        Grain::Week => ("chart-per-week", "chart-head-week", "chart-busiest-week"),
        Grain::Month => ("chart-per-month", "chart-head-month", "chart-busiest-month"),
    };
    let by = match stack {
        Stack::Status => "chart-by-status",
        Stack::Channel => "chart-by-channel",
    };
    // Capitalised: a sentence may start with a withheld count ("Moins de 5 demandes…").
    let summary = match busiest {
        Some((b, label)) if total > 0 => capitalised(
            &lang.text_with(
                "chart-filings-summary",
                &[
                    ("total", counts.show(total, lang).into()),
                    (
                        "busiest",
                        lang.text_with(
                            busiest_is,
                            &[
                                ("label", label.as_str().into()),
                                ("n", counts.show(b.filed(), lang).into()),
                            ],
                        )
                        .into(),
                    ),
                ],
            ),
        ),
        _ => lang.text("chart-no-filings"),
    };
    let title = lang.text_with(
        "chart-filings-title",
        &[("per", lang.text(per).into()), ("by", lang.text(by).into())],
    );
    let mut head = vec![lang.text(head_per)];
    head.extend(names.iter().cloned());
    head.push(lang.text("chart-head-total"));
    let rows = figures
        .buckets
        .iter()
        .zip(&labels)
        .map(|(b, label)| {
            let mut row = vec![label.clone()];
            let values: &[u64] = match stack {
                Stack::Status => &b.by_status,
                Stack::Channel => &b.by_channel,
            };
            row.extend(values.iter().map(|n| counts.show(*n, lang)));
            row.push(counts.show(b.filed(), lang));
            row
        })
        .collect();
    ChartView {
        svg: charts::stacked_bars("deposees", &title, &summary, &labels, &series),
        summary,
        data_label: data_label(&title, lang),
        caption: title,
        head,
        rows,
    }
}

/// The requests open at the end of each week or month.
pub fn backlog_chart(figures: &Figures, counts: Counts, lang: Lang) -> ChartView {
    let labels: Vec<String> = figures
        .buckets
        .iter()
        .map(|b| bucket_label(figures.grain, b.first, lang))
        .collect();
    let values: Vec<u64> = figures
        .buckets
        .iter()
        .map(|b| counts.drawn(b.backlog))
        .collect();
    let last = figures.buckets.last().map_or(0, |b| b.backlog);
    let summary = capitalised(&lang.text_with(
        "chart-backlog-summary",
        &[
            ("before", counts.show(figures.backlog_before, lang).into()),
            ("after", counts.show(last, lang).into()),
        ],
    ));
    let title = lang.text("chart-backlog-title");
    let rows = figures
        .buckets
        .iter()
        .zip(&labels)
        .map(|(b, label)| {
            vec![
                label.clone(),
                counts.show(b.filed(), lang),
                counts.show(b.closed, lang),
                counts.show(b.backlog, lang),
            ]
        })
        .collect();
    ChartView {
        svg: charts::line("en-cours", &title, &summary, &labels, &values),
        summary,
        data_label: data_label(&title, lang),
        caption: title,
        head: [
            "chart-head-period",
            "chart-head-filed",
            "chart-head-closed",
            "chart-head-open-at-end",
        ]
        .map(|key| lang.text(key))
        .to_vec(),
        rows,
    }
}

/// Ranked counts as horizontal bars (top forms, communes).
pub fn ranking_chart(
    id: &str,
    title: &str,
    rows: &[(String, u64)],
    counts: Counts,
    lang: Lang,
) -> ChartView {
    let shown: Vec<(String, u64)> = rows
        .iter()
        .filter_map(|(label, n)| counts.published(*n).map(|n| (label.clone(), n)))
        .collect();
    let summary = match shown.first() {
        Some((label, n)) => lang.text_with(
            "chart-ranking-lead",
            &[
                ("label", label.as_str().into()),
                ("n", n.to_string().into()),
            ],
        ),
        None => lang.text("chart-ranking-none"),
    };
    ChartView {
        svg: charts::horizontal_bars(id, title, &summary, &shown),
        summary,
        data_label: data_label(title, lang),
        caption: title.to_owned(),
        head: vec!["".to_owned(), lang.text("chart-head-requests")],
        rows: rows
            .iter()
            .map(|(label, n)| vec![label.clone(), counts.show(*n, lang)])
            .collect(),
    }
}

fn data_label(caption: &str, lang: Lang) -> String {
    lang.text_with("chart-data", &[("caption", caption.into())])
}

/// Requests per 1,000 inhabitants, with one decimal ("7,0"; "7.0" in English), once the
/// population is known.
pub fn per_thousand(filed: u64, population: Option<u32>, lang: Lang) -> String {
    match population {
        Some(p) if p > 0 => {
            let tenths = (filed * 10_000 + u64::from(p) / 2) / u64::from(p);
            let point = match lang {
                Lang::Fr => ',',
                Lang::En => '.',
            };
            format!("{}{point}{}", tenths / 10, tenths % 10)
        }
        _ => "—".to_owned(),
    }
}

/// A status as staff name it (the citizen's labels speak to the citizen).
pub fn status_label(status: Status, lang: Lang) -> String {
    lang.text(match status {
        Status::Received => "chart-status-received",
        Status::InProgress => "chart-status-in-progress",
        Status::WaitingForCitizen => "chart-status-waiting",
        Status::Resolved => "chart-status-resolved",
        Status::Rejected => "chart-status-rejected",
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn rates_per_thousand_inhabitants_need_a_population() {
        assert_eq!(per_thousand(12, Some(1712), Lang::Fr), "7,0");
        assert_eq!(per_thousand(12, Some(1712), Lang::En), "7.0");
        assert_eq!(per_thousand(1, Some(3), Lang::Fr), "333,3");
        assert_eq!(per_thousand(5, None, Lang::Fr), "—");
        assert_eq!(per_thousand(5, Some(0), Lang::Fr), "—");
    }

    #[test]
    fn durations_and_shares_read_in_french() {
        assert_eq!(duration_fr(59), "0 min");
        assert_eq!(duration_fr(45 * 60), "45 min");
        assert_eq!(duration_fr(5 * 3600 + 20 * 60), "5 h 20");
        assert_eq!(duration_fr(3 * 86_400 + 4 * 3600), "3 j 4 h");
        assert_eq!(percent(1, 3), "33 %");
        assert_eq!(percent(2, 3), "67 %");
        assert_eq!(percent(0, 0), "—");
        assert_eq!(
            bucket_label(Grain::Month, date!(2026 - 12 - 01), Lang::Fr),
            "déc. 2026"
        );
        assert_eq!(
            bucket_label(Grain::Week, date!(2026 - 11 - 30), Lang::Fr),
            "30/11/26"
        );
        assert_eq!(Counts::Published.show(4, Lang::Fr), "moins de 5");
        assert_eq!(Counts::Published.show(5, Lang::Fr), "5");
        assert_eq!(Counts::Exact.show(1, Lang::Fr), "1");
    }

    #[test]
    fn durations_and_shares_read_in_english() {
        assert_eq!(duration_in(45 * 60, Lang::En), "45 min");
        assert_eq!(duration_in(5 * 3600 + 5 * 60, Lang::En), "5 h 05 min");
        assert_eq!(duration_in(3 * 86_400 + 4 * 3600, Lang::En), "3 d 4 h");
        assert_eq!(percent_in(1, 3, Lang::En), "33%");
        assert_eq!(
            bucket_label(Grain::Month, date!(2026 - 12 - 01), Lang::En),
            "Dec 2026"
        );
        assert_eq!(Counts::Published.show(4, Lang::En), "fewer than 5");
        assert_eq!(
            status_label(Status::WaitingForCitizen, Lang::En),
            "Waiting for the resident"
        );
    }
}
