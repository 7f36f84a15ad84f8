//! The statistics dashboard (`/bureau/statistiques`), scoped like every back-office page
//! (admins: everything; agents: their services; élus: their communes and what they filed),
//! and the élus' one-page summary of their communes for a council meeting
//! (`/bureau/statistiques/synthese`, printable, and as CSV).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::Me;
use super::session::Signed;
use crate::catalogue::Catalogue;
use crate::domain::{Channel, Role};
use crate::i18n::Lang;
use crate::statistics::{self, Figures, Grain, Period, shares_by};
use crate::store::statistics::{Dimension, FactsFilter, Percentiles, Shares, Span};
use crate::store::{Scope, StaffUser};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::statistics::{
    ChartView, Counts, Stack, backlog_chart, duration_fr, filings_chart, per_thousand, percent,
    ranking_chart,
};

/// The longest period one page covers: three years, about 160 weeks.
const MAX_DAYS: i64 = 3 * 366;

/// The dashboard's filters, as its form sends them. Each is optional; an empty one is unset.
#[derive(Debug, Default, Deserialize)]
pub struct StatisticsQuery {
    /// First day, `YYYY-MM-DD` (default: a year before `to`).
    #[serde(default)]
    pub from: String,
    /// Last day, included (default: today).
    #[serde(default)]
    pub to: String,
    /// `week` or `month` (default).
    #[serde(default)]
    pub grain: String,
    /// `status` (default) or `channel`.
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub queue: String,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub commune: String,
    #[serde(default)]
    pub channel: String,
}

/// The filters once checked.
pub struct Chosen {
    pub filter: FactsFilter,
    pub period: Period,
    pub grain: Grain,
    pub stack: Stack,
}

fn day(text: &str) -> Option<Date> {
    Date::parse(
        text.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .ok()
}

impl StatisticsQuery {
    /// Checks every filter against the catalogue; `scope` is the reader's.
    pub fn choose(
        &self,
        catalogue: &Catalogue,
        scope: Scope,
        today: Date,
    ) -> Result<Chosen, AppError> {
        let bad = |what: &str| {
            AppError::BadRequest(format!(
                "Le filtre « {what} » n'est pas valide : choisissez-le à nouveau dans le formulaire."
            ))
        };
        let to = match self.to.trim() {
            "" => today,
            text => day(text).ok_or_else(|| bad("au"))?,
        };
        let from = match self.from.trim() {
            "" => Period::year_to(to).first,
            text => day(text).ok_or_else(|| bad("du"))?,
        };
        if from > to {
            return Err(AppError::BadRequest(
                "La période commence après sa fin : choisissez une date de début antérieure à la date de fin.".into(),
            ));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(AppError::BadRequest(
                "La période dépasse trois ans : choisissez une période plus courte.".into(),
            ));
        }
        let period = Period {
            first: from,
            last: to,
        };
        let grain = match self.grain.as_str() {
            "" | "month" => Grain::Month,
            "week" => Grain::Week,
            _ => return Err(bad("par")),
        };
        let stack = match self.stack.as_str() {
            "" | "status" => Stack::Status,
            "channel" => Stack::Channel,
            _ => return Err(bad("empiler par")),
        };
        let set = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        let service = set(&self.service);
        if service
            .as_deref()
            .is_some_and(|s| !catalogue.territory.services.iter().any(|x| x.id == s))
        {
            return Err(bad("service"));
        }
        let queue = set(&self.queue);
        if queue.as_deref().is_some_and(|q| {
            !catalogue
                .territory
                .services
                .iter()
                .any(|s| s.queues.iter().any(|x| x.id == q))
        }) {
            return Err(bad("file"));
        }
        let form_id = set(&self.form);
        if form_id
            .as_deref()
            .is_some_and(|f| catalogue.form(f).is_none())
        {
            return Err(bad("démarche"));
        }
        let commune = set(&self.commune);
        if commune
            .as_deref()
            .is_some_and(|c| catalogue.territory.commune(c).is_none())
        {
            return Err(bad("commune"));
        }
        let channel = set(&self.channel);
        if let Some(c) = &channel {
            Channel::parse(c).map_err(|_| bad("canal"))?;
        }
        let (from, to) = period.seconds();
        Ok(Chosen {
            filter: FactsFilter {
                from,
                to,
                scope,
                service,
                queue,
                form_id,
                commune,
                channel,
            },
            period,
            grain,
            stack,
        })
    }

    /// The same filters in a query string (for the links to the summary and its CSV).
    fn query_string(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("grain", &self.grain),
            ("stack", &self.stack),
            ("service", &self.service),
            ("queue", &self.queue),
            ("form", &self.form),
            ("commune", &self.commune),
            ("channel", &self.channel),
        ];
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

/// A choice of a filter's list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(options: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// A key figure: its label and value, and what it counts.
pub struct KeyFigure {
    pub label: String,
    pub value: String,
    pub detail: String,
}

/// A line of a durations table.
pub struct DurationRow {
    pub name: String,
    pub first_n: String,
    pub first_p50: String,
    pub first_p90: String,
    pub resolution_n: String,
    pub resolution_p50: String,
    pub resolution_p90: String,
}

/// A line of a per-group table (service, form, commune).
pub struct GroupRow {
    pub name: String,
    pub filed: String,
    pub per_thousand: String,
    pub closed: String,
    pub within: String,
    pub overdue: String,
    pub reopened: String,
    pub transferred: String,
}

/// A durations table: its caption, what its lines are, and the lines.
pub struct DurationTable {
    pub caption: &'static str,
    pub what: &'static str,
    pub rows: Vec<DurationRow>,
}

/// A per-group table.
pub struct GroupTable {
    pub caption: &'static str,
    pub what: &'static str,
    pub rows: Vec<GroupRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/statistics.html")]
pub struct DashboardPage {
    pub territory: String,
    pub me: Me,
    pub query: StatisticsQuery,
    pub from: String,
    pub to: String,
    pub period: String,
    pub services: Vec<Choice>,
    pub queues: Vec<Choice>,
    pub forms: Vec<Choice>,
    pub communes: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub key_figures: Vec<KeyFigure>,
    pub filings: ChartView,
    pub backlog: ChartView,
    pub durations: Vec<DurationTable>,
    pub top_forms: ChartView,
    pub top_communes: ChartView,
    pub groups: Vec<GroupTable>,
    pub summary_link: String,
}

/// Who may read statistics, and which: designers and rédacteurs handle no requests.
pub fn scope_of(user: &StaffUser) -> Result<Scope, AppError> {
    match user.scope() {
        Scope::Nothing => Err(AppError::Forbidden(
            "Les statistiques portent sur des demandes : votre compte n'en suit aucune. Demandez à un administrateur si vous devriez y avoir accès.".into(),
        )),
        scope => Ok(scope),
    }
}

/// `GET /bureau/statistiques`.
pub async fn dashboard(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<StatisticsQuery>,
) -> Result<DashboardPage, PageError> {
    let user = &signed.session.user;
    let scope = scope_of(user)?;
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let chosen = query.choose(&catalogue, scope.clone(), now.date())?;
    let figures = statistics::figures(
        state.store.as_ref(),
        &chosen.filter,
        chosen.period,
        chosen.grain,
        now,
    )
    .await?;
    let in_scope_service = |id: &str| scope.allows(id, None, None) || user.role == Role::Elu;
    let services = catalogue
        .territory
        .services
        .iter()
        .filter(|s| in_scope_service(&s.id))
        .map(|s| (s.id.clone(), s.name.clone()));
    let queues = catalogue
        .territory
        .services
        .iter()
        .filter(|s| in_scope_service(&s.id))
        .flat_map(|s| {
            s.queues
                .iter()
                .map(move |q| (q.id.clone(), format!("{} – {}", s.name, q.name)))
        });
    let communes = catalogue
        .territory
        .communes
        .iter()
        .filter(|c| match &scope {
            Scope::Communes { communes, .. } => communes.iter().any(|x| x.as_str() == c.slug),
            _ => true,
        })
        .map(|c| (c.slug.clone(), c.name.clone()));
    let mut forms: Vec<(String, String)> = catalogue
        .forms
        .values()
        .map(|f| (f.id.clone(), f.title.clone()))
        .collect();
    forms.sort_by(|a, b| a.1.cmp(&b.1));
    let summary_link = format!("/bureau/statistiques/synthese?{}", query.query_string());
    Ok(DashboardPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        from: chosen.period.first.to_string(),
        to: chosen.period.last.to_string(),
        period: period_fr(chosen.period),
        services: choices(services, &query.service),
        queues: choices(queues, &query.queue),
        forms: choices(forms, &query.form),
        communes: choices(communes, &query.commune),
        channels: choices(
            Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), c.label_fr().to_owned())),
            &query.channel,
        ),
        key_figures: key_figures(&figures),
        filings: filings_chart(&figures, chosen.stack, Counts::Exact, Lang::Fr),
        backlog: backlog_chart(&figures, Counts::Exact, Lang::Fr),
        durations: vec![
            DurationTable {
                caption: "Délais par service",
                what: "Service",
                rows: duration_rows(&figures.first_action, &figures.resolution, |k| {
                    catalogue.service_name(k).to_owned()
                }),
            },
            DurationTable {
                caption: "Délais par démarche",
                what: "Démarche",
                rows: duration_rows(
                    &figures.first_action_by_form,
                    &figures.resolution_by_form,
                    |k| form_title(&catalogue, k),
                ),
            },
        ],
        top_forms: ranking_chart(
            "demarches",
            "Démarches les plus demandées",
            &top(&figures.by_form, |k| form_title(&catalogue, k)),
            Counts::Exact,
            Lang::Fr,
        ),
        top_communes: ranking_chart(
            "communes",
            "Communes les plus concernées",
            &top(&figures.by_commune, |k| commune_name(&catalogue, k)),
            Counts::Exact,
            Lang::Fr,
        ),
        groups: vec![
            GroupTable {
                caption: "Par service",
                what: "Service",
                rows: group_rows(&figures.by_service, |k| {
                    (catalogue.service_name(k).to_owned(), None)
                }),
            },
            GroupTable {
                caption: "Par démarche",
                what: "Démarche",
                rows: group_rows(&figures.by_form, |k| (form_title(&catalogue, k), None)),
            },
            GroupTable {
                caption: "Par commune",
                what: "Commune",
                rows: group_rows(&figures.by_commune, |k| {
                    let commune = catalogue.territory.commune(k);
                    (
                        commune.map_or(k.to_owned(), |c| c.name.clone()),
                        commune.and_then(|c| c.population),
                    )
                }),
            },
        ],
        summary_link,
        query,
    })
}

fn period_fr(period: Period) -> String {
    format!(
        "du {} au {}",
        crate::domain::time::day_fr(period.first),
        crate::domain::time::day_fr(period.last)
    )
}

fn form_title(catalogue: &Catalogue, id: &str) -> String {
    catalogue
        .form(id)
        .map_or(id.to_owned(), |f| f.title.clone())
}

fn commune_name(catalogue: &Catalogue, slug: &str) -> String {
    catalogue
        .territory
        .commune(slug)
        .map_or(slug.to_owned(), |c| c.name.clone())
}

/// The ten largest groups (the store orders them), a group without a key named so.
fn top(shares: &[Shares], name: impl Fn(&str) -> String) -> Vec<(String, u64)> {
    shares
        .iter()
        .take(10)
        .map(|s| {
            (
                s.key.as_deref().map_or("Sans commune".to_owned(), &name),
                s.filed,
            )
        })
        .collect()
}

fn key_figures(figures: &Figures) -> Vec<KeyFigure> {
    let t = &figures.totals;
    let overall = |list: &[Percentiles]| list.iter().find(|p| p.key.is_none()).cloned();
    let median = |p: Option<Percentiles>| {
        p.map_or(("—".to_owned(), "aucune demande".to_owned()), |p| {
            (
                duration_fr(p.p50),
                format!("90 % en moins de {} ({} demandes)", duration_fr(p.p90), p.n),
            )
        })
    };
    let (first, first_detail) = median(overall(&figures.first_action));
    let (resolution, resolution_detail) = median(overall(&figures.resolution));
    let figure = |label: &str, value: String, detail: String| KeyFigure {
        label: label.to_owned(),
        value,
        detail,
    };
    vec![
        figure(
            "Demandes déposées",
            t.filed.to_string(),
            format!("{} closes, dont {} traitées", t.closed, t.resolved),
        ),
        figure("Délai médian de première action", first, first_detail),
        figure("Délai médian de résolution", resolution, resolution_detail),
        figure(
            "Closes dans les délais",
            percent(t.within_deadline, t.closed_with_deadline),
            format!(
                "{} sur {} closes avec une échéance",
                t.within_deadline, t.closed_with_deadline
            ),
        ),
        figure(
            "En retard aujourd'hui",
            t.overdue.to_string(),
            "reçues ou en cours, échéance dépassée".to_owned(),
        ),
        figure(
            "Rouvertes (« pas résolu »)",
            percent(t.reopened, t.filed),
            format!("{} demandes", t.reopened),
        ),
        figure(
            "Transférées",
            percent(t.transferred, t.filed),
            format!("{} demandes", t.transferred),
        ),
        figure(
            "Orientées par défaut",
            percent(t.fallback, t.filed),
            format!("{} demandes : la règle n'a pas pu décider", t.fallback),
        ),
    ]
}

fn duration_rows(
    first: &[Percentiles],
    resolution: &[Percentiles],
    name: impl Fn(&str) -> String,
) -> Vec<DurationRow> {
    let mut keys: Vec<Option<String>> = first.iter().map(|p| p.key.clone()).collect();
    for p in resolution {
        if !keys.contains(&p.key) {
            keys.push(p.key.clone());
        }
    }
    keys.sort_by_key(|k| k.is_some());
    keys.into_iter()
        .map(|key| {
            let f = first.iter().find(|p| p.key == key);
            let r = resolution.iter().find(|p| p.key == key);
            let n = |p: Option<&Percentiles>| p.map_or("0".to_owned(), |p| p.n.to_string());
            let d = |p: Option<&Percentiles>, pick: fn(&Percentiles) -> i64| {
                p.map_or("—".to_owned(), |p| duration_fr(pick(p)))
            };
            DurationRow {
                name: key.as_deref().map_or("Ensemble".to_owned(), &name),
                first_n: n(f),
                first_p50: d(f, |p| p.p50),
                first_p90: d(f, |p| p.p90),
                resolution_n: n(r),
                resolution_p50: d(r, |p| p.p50),
                resolution_p90: d(r, |p| p.p90),
            }
        })
        .collect()
}

fn group_rows(shares: &[Shares], name: impl Fn(&str) -> (String, Option<u32>)) -> Vec<GroupRow> {
    shares
        .iter()
        .map(|s| {
            let (label, population) = s
                .key
                .as_deref()
                .map_or(("Sans commune".to_owned(), None), &name);
            GroupRow {
                name: label,
                filed: s.filed.to_string(),
                per_thousand: per_thousand(s.filed, population, Lang::Fr),
                closed: s.closed.to_string(),
                within: percent(s.within_deadline, s.closed_with_deadline),
                overdue: s.overdue.to_string(),
                reopened: s.reopened.to_string(),
                transferred: s.transferred.to_string(),
            }
        })
        .collect()
}

// --- The élus' summary -----------------------------------------------------------------

/// One commune's line of the summary.
pub struct CommuneSummary {
    pub slug: String,
    pub name: String,
    pub insee: String,
    pub population: String,
    pub filed: u64,
    pub per_thousand: String,
    pub closed: u64,
    pub resolved: u64,
    pub within: String,
    pub within_count: u64,
    pub with_deadline: u64,
    pub median_resolution: String,
    pub median_resolution_seconds: Option<i64>,
    pub overdue: u64,
    pub reopened: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/statistics_summary.html")]
pub struct SummaryPage {
    pub territory: String,
    pub me: Me,
    pub title: String,
    pub period: String,
    pub communes: Vec<CommuneSummary>,
    pub top_forms: Vec<(String, u64)>,
    pub csv_link: String,
    pub printed_on: String,
}

/// The summary's lines: the reader's communes (élus) or every commune with requests.
async fn summary(
    state: &AppState,
    user: &StaffUser,
    query: &StatisticsQuery,
) -> Result<(Chosen, Vec<CommuneSummary>, Vec<(String, u64)>), AppError> {
    let scope = scope_of(user)?;
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let chosen = query.choose(&catalogue, scope.clone(), now.date())?;
    let store = state.store.as_ref();
    let groups = store.day_groups(&chosen.filter, now).await?;
    let shares = shares_by(&groups, |g| g.commune.clone());
    let medians = store
        .percentiles(&chosen.filter, Span::Resolution, &[Dimension::Commune])
        .await?
        .pop()
        .unwrap_or_default();
    let slugs: Vec<String> = match &scope {
        Scope::Communes { communes, .. } => communes.iter().map(|c| c.to_string()).collect(),
        _ => shares.iter().filter_map(|s| s.key.clone()).collect(),
    };
    let communes = slugs
        .into_iter()
        .map(|slug| {
            let s = shares
                .iter()
                .find(|s| s.key.as_deref() == Some(slug.as_str()))
                .cloned()
                .unwrap_or_default();
            let commune = catalogue.territory.commune(&slug);
            let population = commune.and_then(|c| c.population);
            let median = medians
                .iter()
                .find(|p| p.key.as_deref() == Some(slug.as_str()))
                .map(|p| p.p50);
            CommuneSummary {
                name: commune.map_or(slug.clone(), |c| c.name.clone()),
                insee: commune.and_then(|c| c.insee.clone()).unwrap_or_default(),
                population: population.map(|p| p.to_string()).unwrap_or_default(),
                filed: s.filed,
                per_thousand: per_thousand(s.filed, population, Lang::Fr),
                closed: s.closed,
                resolved: s.resolved,
                within: percent(s.within_deadline, s.closed_with_deadline),
                within_count: s.within_deadline,
                with_deadline: s.closed_with_deadline,
                median_resolution: median.map_or("—".to_owned(), duration_fr),
                median_resolution_seconds: median,
                overdue: s.overdue,
                reopened: s.reopened,
                slug,
            }
        })
        .collect();
    let forms = shares_by(&groups, |g| Some(g.form_id.clone()));
    let top_forms = top(&forms, |k| form_title(&catalogue, k))
        .into_iter()
        .take(5)
        .collect();
    Ok((chosen, communes, top_forms))
}

/// `GET /bureau/statistiques/synthese`: one printable page.
pub async fn summary_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<StatisticsQuery>,
) -> Result<SummaryPage, PageError> {
    let user = &signed.session.user;
    let (chosen, communes, top_forms) = summary(&state, user, &query).await?;
    let catalogue = state.catalogue.load();
    let names: Vec<&str> = communes.iter().map(|c| c.name.as_str()).collect();
    Ok(SummaryPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        title: if user.role == Role::Elu && !names.is_empty() {
            format!("Les demandes des habitants : {}", names.join(", "))
        } else {
            "Les demandes des habitants, par commune".to_owned()
        },
        period: period_fr(chosen.period),
        communes,
        top_forms,
        csv_link: format!("/bureau/statistiques/synthese.csv?{}", query.query_string()),
        printed_on: crate::domain::time::date_fr(OffsetDateTime::now_utc()),
    })
}

/// `GET /bureau/statistiques/synthese.csv`: the same lines, for a spreadsheet.
pub async fn summary_csv(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<StatisticsQuery>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    let (_, communes, _) = summary(&state, user, &query).await?;
    let internal = |err: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {err}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "commune",
        "nom",
        "code_insee",
        "population",
        "deposees",
        "pour_1000_habitants",
        "closes",
        "traitees",
        "closes_avec_echeance",
        "closes_dans_les_delais",
        "delai_median_resolution_secondes",
        "en_retard",
        "rouvertes",
    ])
    .map_err(internal)?;
    for c in &communes {
        out.write_record([
            c.slug.clone(),
            c.name.clone(),
            c.insee.clone(),
            c.population.clone(),
            c.filed.to_string(),
            c.per_thousand.replace(',', ".").replace('—', ""),
            c.closed.to_string(),
            c.resolved.to_string(),
            c.with_deadline.to_string(),
            c.within_count.to_string(),
            c.median_resolution_seconds
                .map(|s| s.to_string())
                .unwrap_or_default(),
            c.overdue.to_string(),
            c.reopened.to_string(),
        ])
        .map_err(internal)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"synthese-communes.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
