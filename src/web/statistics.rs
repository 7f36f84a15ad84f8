//! The statistics' words and charts, shared by the back office's dashboard
//! (`/bureau/statistiques`) and the public page (`/statistiques`): each chart with its
//! title, a sentence that says what it shows, and the table of its data.

use time::Date;

use super::charts::{self, Series};
use crate::domain::{Channel, Status};
use crate::statistics::{Figures, Grain};

/// A chart as a page shows it: the SVG, a text summary, and its data as a table.
pub struct ChartView {
    pub svg: String,
    pub summary: String,
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What a bar stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    Status,
    Channel,
}

const MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// "déc. 2026", or a week by its Monday: "30/11/26".
pub fn bucket_label(grain: Grain, first: Date) -> String {
    match grain {
        Grain::Month => format!(
            "{} {}",
            MONTHS[usize::from(u8::from(first.month())) - 1],
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
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins:02}"),
        (d, h) => format!("{d} j {h} h"),
    }
}

/// `part` of `whole` as a French percentage ("42 %"), or "—" when there is nothing to share.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".to_owned();
    }
    format!("{} %", (part * 100 + whole / 2) / whole)
}

/// How counts are shown: as they are (staff), or withheld under
/// [`crate::web::public::open_data::SMALLEST_PUBLISHED`] (the public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    Exact,
    Published,
}

impl Counts {
    /// The number, or "moins de 5" when it is withheld.
    pub fn show(self, n: u64) -> String {
        match self.published(n) {
            Some(n) => n.to_string(),
            None => format!(
                "moins de {}",
                crate::web::public::open_data::SMALLEST_PUBLISHED
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

/// Requests filed per week or month, stacked by status or channel.
pub fn filings_chart(figures: &Figures, stack: Stack, counts: Counts) -> ChartView {
    let labels: Vec<String> = figures
        .buckets
        .iter()
        .map(|b| bucket_label(figures.grain, b.first))
        .collect();
    let names: Vec<String> = match stack {
        Stack::Status => Status::ALL
            .iter()
            .map(|s| status_label(*s).to_owned())
            .collect(),
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
    let (per, busiest_is) = match figures.grain {
        Grain::Week => ("semaine", "la semaine la plus chargée commence le"),
        Grain::Month => ("mois", "le mois le plus chargé est"),
    };
    let by = match stack {
        Stack::Status => "statut actuel",
        Stack::Channel => "canal",
    };
    let summary = match busiest {
        Some((b, label)) if total > 0 => format!(
            "{} demandes déposées sur la période ; {busiest_is} {label} ({}).",
            counts.show(total),
            counts.show(b.filed())
        ),
        _ => "Aucune demande déposée sur la période.".to_owned(),
    };
    let title = format!("Demandes déposées par {per}, par {by}");
    let mut head = vec![capitalised(per)];
    head.extend(names.iter().cloned());
    head.push("Total".to_owned());
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
            row.extend(values.iter().map(|n| counts.show(*n)));
            row.push(counts.show(b.filed()));
            row
        })
        .collect();
    ChartView {
        svg: charts::stacked_bars("deposees", &title, &summary, &labels, &series),
        summary,
        caption: title,
        head,
        rows,
    }
}

/// The requests open at the end of each week or month.
pub fn backlog_chart(figures: &Figures, counts: Counts) -> ChartView {
    let labels: Vec<String> = figures
        .buckets
        .iter()
        .map(|b| bucket_label(figures.grain, b.first))
        .collect();
    let values: Vec<u64> = figures
        .buckets
        .iter()
        .map(|b| counts.drawn(b.backlog))
        .collect();
    let last = figures.buckets.last().map_or(0, |b| b.backlog);
    let summary = format!(
        "{} demandes en cours au début de la période, {} à la fin.",
        counts.show(figures.backlog_before),
        counts.show(last)
    );
    let title = "Demandes en cours (non closes) en fin de période".to_owned();
    let rows = figures
        .buckets
        .iter()
        .zip(&labels)
        .map(|(b, label)| {
            vec![
                label.clone(),
                counts.show(b.filed()),
                counts.show(b.closed),
                counts.show(b.backlog),
            ]
        })
        .collect();
    ChartView {
        svg: charts::line("en-cours", &title, &summary, &labels, &values),
        summary,
        caption: title,
        head: ["Période", "Déposées", "Closes", "En cours à la fin"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    }
}

/// Ranked counts as horizontal bars (top forms, communes).
pub fn ranking_chart(id: &str, title: &str, rows: &[(String, u64)], counts: Counts) -> ChartView {
    let shown: Vec<(String, u64)> = rows
        .iter()
        .filter_map(|(label, n)| counts.published(*n).map(|n| (label.clone(), n)))
        .collect();
    let summary = match shown.first() {
        Some((label, n)) => format!("En tête : {label} ({n} demandes)."),
        None => "Aucune demande à montrer.".to_owned(),
    };
    ChartView {
        svg: charts::horizontal_bars(id, title, &summary, &shown),
        summary,
        caption: title.to_owned(),
        head: vec!["".to_owned(), "Demandes".to_owned()],
        rows: rows
            .iter()
            .map(|(label, n)| vec![label.clone(), counts.show(*n)])
            .collect(),
    }
}

/// Requests per 1,000 inhabitants, with one decimal, once the population is known.
pub fn per_thousand(filed: u64, population: Option<u32>) -> String {
    match population {
        Some(p) if p > 0 => {
            let tenths = (filed * 10_000 + u64::from(p) / 2) / u64::from(p);
            format!("{},{}", tenths / 10, tenths % 10)
        }
        _ => "—".to_owned(),
    }
}

/// A status as staff name it (the citizen's labels speak to the citizen).
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Received => "Reçue",
        Status::InProgress => "En cours",
        Status::WaitingForCitizen => "En attente de l'habitant",
        Status::Resolved => "Traitée",
        Status::Rejected => "Refusée",
    }
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
        assert_eq!(per_thousand(12, Some(1712)), "7,0");
        assert_eq!(per_thousand(1, Some(3)), "333,3");
        assert_eq!(per_thousand(5, None), "—");
        assert_eq!(per_thousand(5, Some(0)), "—");
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
            bucket_label(Grain::Month, date!(2026 - 12 - 01)),
            "déc. 2026"
        );
        assert_eq!(bucket_label(Grain::Week, date!(2026 - 11 - 30)), "30/11/26");
        assert_eq!(Counts::Published.show(4), "moins de 5");
        assert_eq!(Counts::Published.show(5), "5");
        assert_eq!(Counts::Exact.show(1), "1");
    }
}
