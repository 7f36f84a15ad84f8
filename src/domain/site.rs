//! A commune's small site: its page (presentation, mayor, opening hours, contacts, useful
//! links) and its news items, parsed from what a rédacteur typed ("parse, don't
//! validate"), and whether the town hall is open at a given instant, in Paris time.
//!
//! The back office has no JavaScript, so lists are typed one item a line (see
//! docs/commune-sites.md): `lundi-vendredi 08:30-12:00 13:30-17:00` for hours,
//! `Secrétariat : 05 53 00 00 00` for contacts, `Office de tourisme | https://…` for links.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Weekday};

use super::text::{is_blank, is_stray_control};
use super::time::paris_time;

/// Longest presentation text, in characters: a page, not a book.
pub const MAX_PRESENTATION: usize = 20_000;
/// Longest one-line field (mayor, a contact, a link's label, a news title).
pub const MAX_LINE: usize = 200;
/// Longest news text, in characters.
pub const MAX_NEWS_BODY: usize = 10_000;
/// Most lines in a list (hours, contacts, links).
pub const MAX_ITEMS: usize = 30;

const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// One opening period on one day of the week, in minutes since midnight (Paris time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// 0 = Monday … 6 = Sunday.
    pub day: u8,
    pub opens: u16,
    pub closes: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    /// An `http` or `https` URL.
    pub url: String,
}

/// What a commune's page says; stored whole (as JSON) in each version and in the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContent {
    /// Markdown; rendered and sanitised on display.
    #[serde(default)]
    pub presentation: String,
    #[serde(default)]
    pub mayor: String,
    #[serde(default)]
    pub hours: Vec<Opening>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// The page's fields as the back-office form sends them.
#[derive(Debug, Clone, Default)]
pub struct PageFields<'a> {
    pub presentation: &'a str,
    pub mayor: &'a str,
    pub hours: &'a str,
    pub contacts: &'a str,
    pub links: &'a str,
}

impl PageContent {
    /// Parses the form; each problem is a French sentence saying what to correct.
    pub fn parse(fields: &PageFields<'_>) -> Result<PageContent, Vec<String>> {
        let mut problems = Vec::new();
        let presentation = checked_text(
            "La présentation",
            fields.presentation,
            MAX_PRESENTATION,
            &mut problems,
        );
        let mayor = checked_line("Le nom du maire", fields.mayor, &mut problems);
        let hours = parse_hours(fields.hours).unwrap_or_else(|p| {
            problems.push(p);
            Vec::new()
        });
        let contacts = parse_contacts(fields.contacts).unwrap_or_else(|p| {
            problems.push(p);
            Vec::new()
        });
        let links = parse_links(fields.links).unwrap_or_else(|p| {
            problems.push(p);
            Vec::new()
        });
        if problems.is_empty() {
            Ok(PageContent {
                presentation,
                mayor,
                hours,
                contacts,
                links,
            })
        } else {
            Err(problems)
        }
    }

    /// The hours as the form shows them: one line per day and its periods.
    pub fn hours_text(&self) -> String {
        hours_by_day(&self.hours)
            .into_iter()
            .map(|(day, periods)| format!("{day} {}", periods.join(" ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn contacts_text(&self) -> String {
        self.contacts
            .iter()
            .map(|c| format!("{} : {}", c.label, c.value))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn links_text(&self) -> String {
        self.links
            .iter()
            .map(|l| format!("{} | {}", l.label, l.url))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn is_empty(&self) -> bool {
        *self == PageContent::default()
    }
}

/// The hours grouped by day, Monday first: ("lundi", ["08:30–12:00", …]).
pub fn hours_by_day(hours: &[Opening]) -> Vec<(&'static str, Vec<String>)> {
    hours_by_weekday(hours)
        .into_iter()
        .map(|(day, periods)| (DAYS_FR[usize::from(day)], periods))
        .collect()
}

/// The hours grouped by day, Monday first, each day by its number (0 for Monday), for
/// pages that name days in the reader's language.
pub fn hours_by_weekday(hours: &[Opening]) -> Vec<(u8, Vec<String>)> {
    (0..7u8)
        .filter_map(|day| {
            let mut periods: Vec<&Opening> = hours.iter().filter(|o| o.day == day).collect();
            periods.sort_by_key(|o| o.opens);
            (!periods.is_empty()).then(|| {
                (
                    day,
                    periods
                        .iter()
                        .map(|o| format!("{}-{}", clock(o.opens), clock(o.closes)))
                        .collect(),
                )
            })
        })
        .collect()
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn checked_text(what: &str, text: &str, max: usize, problems: &mut Vec<String>) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.chars().count() > max {
        problems.push(format!(
            "{what} dépasse {max} caractères : raccourcissez-la."
        ));
    }
    if text.chars().any(is_stray_control) {
        problems.push(format!(
            "{what} contient un caractère invisible de contrôle : retapez le texte sans copier-coller depuis un traitement de texte."
        ));
    }
    if is_blank(text) {
        String::new()
    } else {
        text.to_owned()
    }
}

fn checked_line(what: &str, text: &str, problems: &mut Vec<String>) -> String {
    let line = checked_text(what, text, MAX_LINE, problems);
    if line.contains('\n') {
        problems.push(format!("{what} tient sur une seule ligne."));
    }
    line
}

fn lines(text: &str, what: &str) -> Result<Vec<String>, String> {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !is_blank(l))
        .map(str::to_owned)
        .collect();
    if lines.len() > MAX_ITEMS {
        return Err(format!(
            "{what} : {MAX_ITEMS} lignes au plus ; regroupez ou retirez-en."
        ));
    }
    if let Some(line) = lines
        .iter()
        .find(|l| l.chars().count() > MAX_LINE || l.chars().any(is_stray_control))
    {
        return Err(format!(
            "{what} : la ligne « {} » est trop longue ({MAX_LINE} caractères au plus) ou contient un caractère de contrôle.",
            line.chars().take(40).collect::<String>()
        ));
    }
    Ok(lines)
}

fn day_index(word: &str) -> Option<u8> {
    let word = word.trim().to_lowercase();
    DAYS_FR.iter().position(|d| *d == word).map(|i| i as u8)
}

fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once([':', 'h', 'H'])?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = if m.is_empty() { 0 } else { m.parse().ok()? };
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

/// `lundi 08:30-12:00 14:00-17:00` or `lundi-vendredi 09:00-12:00`, one line each.
pub fn parse_hours(text: &str) -> Result<Vec<Opening>, String> {
    let example = "par exemple « lundi-vendredi 08:30-12:00 14:00-17:30 »";
    let mut hours = Vec::new();
    for line in lines(text, "Les horaires")? {
        let mut words = line.split_whitespace();
        let days = words.next().unwrap_or_default();
        let (first, last) = match days.split_once('-') {
            Some((a, b)) => (day_index(a), day_index(b)),
            None => (day_index(days), day_index(days)),
        };
        let (Some(first), Some(last)) = (first, last) else {
            return Err(format!(
                "Les horaires : « {line} » doit commencer par un jour (lundi … dimanche) ou une suite de jours, {example}."
            ));
        };
        if first > last {
            return Err(format!(
                "Les horaires : dans « {line} », le premier jour doit précéder le second (lundi-vendredi)."
            ));
        }
        let mut any = false;
        for period in words {
            let parsed = period
                .split_once(['-', '–'])
                .and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)));
            let Some((opens, closes)) = parsed.filter(|(a, b)| a < b) else {
                return Err(format!(
                    "Les horaires : « {period} » n'est pas une plage horaire comme 08:30-12:00 (ouverture avant fermeture), {example}."
                ));
            };
            any = true;
            for day in first..=last {
                hours.push(Opening { day, opens, closes });
            }
        }
        if !any {
            return Err(format!(
                "Les horaires : « {line} » ne donne aucune plage horaire, {example}."
            ));
        }
    }
    Ok(hours)
}

/// `Label : value`, one line each.
pub fn parse_contacts(text: &str) -> Result<Vec<Contact>, String> {
    lines(text, "Les contacts")?
        .into_iter()
        .map(|line| match line.split_once(':') {
            Some((label, value)) if !is_blank(label) && !is_blank(value) => Ok(Contact {
                label: label.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            _ => Err(format!(
                "Les contacts : « {line} » doit se lire « libellé : coordonnée », par exemple « Secrétariat : 05 53 00 00 00 »."
            )),
        })
        .collect()
}

/// `Label | https://…`, one line each; only web addresses (no `javascript:`).
pub fn parse_links(text: &str) -> Result<Vec<Link>, String> {
    lines(text, "Les liens utiles")?
        .into_iter()
        .map(|line| {
            let parsed = line.rsplit_once('|').and_then(|(label, url)| {
                let url = url::Url::parse(url.trim()).ok()?;
                (matches!(url.scheme(), "http" | "https") && !is_blank(label))
                    .then(|| Link {
                        label: label.trim().to_owned(),
                        url: url.to_string(),
                    })
            });
            parsed.ok_or_else(|| format!(
                "Les liens utiles : « {line} » doit se lire « libellé | https://adresse », avec une adresse web en http ou https."
            ))
        })
        .collect()
}

/// A news item as a rédacteur typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsContent {
    pub date: Date,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// From the day after, the item is no longer shown.
    pub ends_on: Option<Date>,
}

impl NewsContent {
    pub fn parse(date: &str, title: &str, body: &str, ends_on: &str) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = match Date::parse(date.trim(), format) {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push("La date de l'actualité doit être une date (AAAA-MM-JJ).".to_owned());
                None
            }
        };
        let ends_on = match ends_on.trim() {
            "" => None,
            text => match Date::parse(text, format) {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(
                        "La date de fin doit être une date (AAAA-MM-JJ), ou restez vide."
                            .to_owned(),
                    );
                    None
                }
            },
        };
        let title = checked_line("Le titre", title, &mut problems);
        if title.is_empty() {
            problems.push("Donnez un titre à l'actualité.".to_owned());
        }
        let body = checked_text(
            "Le texte de l'actualité",
            body,
            MAX_NEWS_BODY,
            &mut problems,
        );
        if let (Some(d), Some(end)) = (date, ends_on)
            && end < d
        {
            problems.push("La date de fin ne peut précéder la date de l'actualité.".to_owned());
        }
        match (date, problems.is_empty()) {
            (Some(date), true) => Ok(NewsContent {
                date,
                title,
                body,
                ends_on,
            }),
            _ => Err(problems),
        }
    }
}

/// Whether one of the opening periods holds this instant (Paris time). Public holidays are
/// not known: the page says so.
pub fn is_open(hours: &[Opening], at: OffsetDateTime) -> bool {
    let local = paris_time(at);
    let day = match local.weekday() {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    };
    let now = u16::from(local.hour()) * 60 + u16::from(local.minute());
    hours
        .iter()
        .any(|o| o.day == day && o.opens <= now && now < o.closes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paris_is_utc_plus_one_in_winter_and_two_in_summer() {
        assert_eq!(
            paris_time(datetime!(2026-01-15 10:00 UTC)),
            datetime!(2026-01-15 11:00)
        );
        assert_eq!(
            paris_time(datetime!(2026-07-15 10:00 UTC)),
            datetime!(2026-07-15 12:00)
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            paris_time(datetime!(2026-03-29 00:59 UTC)),
            datetime!(2026-03-29 01:59)
        );
        assert_eq!(
            paris_time(datetime!(2026-03-29 01:00 UTC)),
            datetime!(2026-03-29 03:00)
        );
        assert_eq!(
            paris_time(datetime!(2026-10-25 00:59 UTC)),
            datetime!(2026-10-25 02:59)
        );
        assert_eq!(
            paris_time(datetime!(2026-10-25 01:00 UTC)),
            datetime!(2026-10-25 02:00)
        );
    }

    #[test]
    fn open_now_follows_the_hours_in_paris_time() {
        let hours =
            parse_hours("lundi-vendredi 08:30-12:00 14:00-17:00\nsamedi 09:00-12:00").unwrap();
        assert_eq!(hours.len(), 11);
        // Monday 30 November 2026, 08:00 UTC = 09:00 in Paris: open.
        assert!(is_open(&hours, datetime!(2026-11-30 08:00 UTC)));
        // 07:15 UTC = 08:15 in Paris: not yet.
        assert!(!is_open(&hours, datetime!(2026-11-30 07:15 UTC)));
        // 11:30 UTC = 12:30: lunch.
        assert!(!is_open(&hours, datetime!(2026-11-30 11:30 UTC)));
        // Summer, Monday 6 July 2026, 10:30 UTC = 12:30 in Paris: closed, while in winter
        // time it would be 11:30 and open.
        assert!(!is_open(&hours, datetime!(2026-07-06 10:30 UTC)));
        // Saturday 10:00 Paris; Sunday never.
        assert!(is_open(&hours, datetime!(2026-12-05 09:00 UTC)));
        assert!(!is_open(&hours, datetime!(2026-12-06 09:00 UTC)));
    }

    #[test]
    fn lists_read_one_item_a_line_and_say_what_is_wrong() {
        let page = PageContent::parse(&PageFields {
            presentation: "Bienvenue",
            mayor: "Mme Dupont",
            hours: "mardi 9h-12h",
            contacts: "Mairie : 05 53 00 00 00",
            links: "Office | https://example.org/office",
        })
        .unwrap();
        assert_eq!(page.hours_text(), "mardi 09:00-12:00");
        assert_eq!(page.contacts_text(), "Mairie : 05 53 00 00 00");
        assert_eq!(page.links_text(), "Office | https://example.org/office");
        let problems = PageContent::parse(&PageFields {
            hours: "lundi matin",
            links: "Piège | javascript:alert(1)",
            contacts: "sans deux-points",
            ..PageFields::default()
        })
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        let long = "x".repeat(MAX_PRESENTATION + 1);
        assert!(
            PageContent::parse(&PageFields {
                presentation: &long,
                ..PageFields::default()
            })
            .is_err()
        );
    }
}
