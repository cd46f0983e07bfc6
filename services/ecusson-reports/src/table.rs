//! A report's figures as one table of rows — indicator, up to three dimensions, value — in
//! French, the form the CSV download and the HTML report share. Funders' rows go through
//! [`crate::disclosure`]: their values are `<5`, multiples of 5, or rates in 5-point steps.

use crate::disclosure::{self, Shown};
use crate::facts::{Facts, Mode, RequestState, Route};
use crate::figures::{BadgeBand, Figures, Spread};
use ecusson_domain::{ExitOutcome, SkillType};

/// The header of a report's table.
pub const HEADER: [&str; 5] = [
    "Indicateur",
    "Critère 1",
    "Critère 2",
    "Critère 3",
    "Valeur",
];

/// One line of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub indicator: &'static str,
    pub dimensions: [String; 3],
    pub value: String,
}

pub fn state_label(state: RequestState) -> &'static str {
    match state {
        RequestState::Pending => "En attente",
        RequestState::Approved => "Validée",
        RequestState::Refused => "Refusée",
        RequestState::Withdrawn => "Retirée",
    }
}

pub fn mode_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Pair => "En binôme",
        Mode::CollectiveWorkshop => "Atelier collectif",
        Mode::Individual => "Individuelle",
    }
}

pub fn route_label(route: Route) -> &'static str {
    match route {
        Route::Evaluator => "Évaluateur",
        Route::Committee => "Comité",
        Route::Automatic => "Automatique",
    }
}

pub fn skill_label(skill: Option<SkillType>) -> &'static str {
    match skill {
        Some(SkillType::SavoirFaire) => "Savoir-faire",
        Some(SkillType::SavoirEtre) => "Savoir-être",
        None => "Non précisé",
    }
}

pub fn pathway_label(rank: Option<u8>) -> String {
    rank.map_or_else(
        || "Parcours non précisé".to_owned(),
        |rank| format!("Parcours {rank}"),
    )
}

pub fn exit_label(outcome: ExitOutcome) -> &'static str {
    match outcome {
        ExitOutcome::DurableEmployment => "Emploi durable",
        ExitOutcome::TransitionEmployment => "Emploi de transition",
        ExitOutcome::QualifyingTraining => "Formation qualifiante",
        ExitOutcome::Other => "Autre sortie",
    }
}

pub fn band_label(band: BadgeBand) -> &'static str {
    match band {
        BadgeBand::None => "Aucun badge",
        BadgeBand::OneOrTwo => "1 à 2 badges",
        BadgeBand::ThreeToFive => "3 à 5 badges",
        BadgeBand::SixOrMore => "6 badges ou plus",
    }
}

/// A number of hours the French way: one decimal, a decimal comma.
pub fn hours_text(hours: f64) -> String {
    format!("{hours:.1}").replace('.', ",")
}

/// How values are written: as they are, or protected for a funder.
struct Writer {
    protected: bool,
    /// Protected awards are about fewer than 5 people (see [`disclosure::few_people`]).
    few_people: bool,
    /// Protected requests are about fewer than 5 people.
    few_requesters: bool,
}

impl Writer {
    fn count(&self, count: u64) -> String {
        if !self.protected {
            return count.to_string();
        }
        match disclosure::show(count) {
            Shown::Count(n) => n.to_string(),
            Shown::Suppressed(text) => text.to_owned(),
        }
    }

    /// A count of awards: suppressed for a funder when they are about few people.
    fn awards(&self, count: u64) -> String {
        if self.protected && self.few_people && count > 0 {
            return "<5".to_owned();
        }
        self.count(count)
    }

    /// A count of requests or decisions: suppressed for a funder when they are about few
    /// people.
    fn requests(&self, count: u64) -> String {
        if self.protected && self.few_requesters && count > 0 {
            return "<5".to_owned();
        }
        self.count(count)
    }

    /// A share of the awards.
    fn rate(&self, part: u64, whole: u64) -> String {
        let percent = if self.protected {
            (!self.few_people)
                .then(|| disclosure::rate(part, whole))
                .flatten()
                .map(|percent| percent as f64)
        } else {
            (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
        };
        percent.map_or_else(
            || "—".to_owned(),
            |percent| format!("{} %", hours_text(percent)),
        )
    }

    fn statistic(&self, spread: &Spread, value: Option<f64>) -> String {
        let value = if self.protected {
            (!self.few_requesters)
                .then(|| disclosure::statistic(spread.count, value))
                .flatten()
        } else {
            value
        };
        value.map_or_else(|| "—".to_owned(), hours_text)
    }
}

fn row(indicator: &'static str, dimensions: [&str; 3], value: String) -> Row {
    Row {
        indicator,
        dimensions: dimensions.map(str::to_owned),
        value,
    }
}

/// The rows of `figures`; class names from the catalogue of `facts`.
pub fn rows(figures: &Figures, facts: &Facts, protected: bool) -> Vec<Row> {
    let writer = Writer {
        protected,
        few_people: disclosure::few_people(figures),
        few_requesters: disclosure::few_requesters(figures),
    };
    let mut rows = Vec::new();
    rows.push(row(
        "Structures actives",
        ["", "", ""],
        figures.active_structures.to_string(),
    ));
    for request in &figures.requests {
        rows.push(row(
            "Demandes de badge",
            [
                state_label(request.state),
                mode_label(request.mode),
                route_label(request.route),
            ],
            writer.requests(request.count),
        ));
    }
    let spread = &figures.decision_time;
    rows.push(row(
        "Décisions",
        ["", "", ""],
        writer.requests(spread.count),
    ));
    rows.push(row(
        "Délai de décision (heures)",
        ["médiane", "", ""],
        writer.statistic(spread, spread.median_hours),
    ));
    rows.push(row(
        "Délai de décision (heures)",
        ["9e décile", "", ""],
        writer.statistic(spread, spread.p90_hours),
    ));
    for award in &figures.awards {
        let name = facts.classes.get(&award.badge_class_id).map_or_else(
            || award.badge_class_id.to_string(),
            |class| class.name.clone(),
        );
        rows.push(Row {
            indicator: "Badges attribués",
            dimensions: [
                pathway_label(award.pathway_rank),
                skill_label(award.skill_type).to_owned(),
                name,
            ],
            value: writer.awards(award.count),
        });
    }
    rows.push(row(
        "Badges attribués",
        ["Total", "", ""],
        writer.awards(figures.awards_total),
    ));
    rows.push(row(
        "Badges avec preuve",
        ["", "", ""],
        writer.rate(figures.awards_with_evidence, figures.awards_total),
    ));
    rows.push(row(
        "Badges avec recommandation",
        ["", "", ""],
        writer.rate(figures.awards_with_recommendation, figures.awards_total),
    ));
    rows.push(row(
        "Personnes badgées",
        ["", "", ""],
        writer.count(figures.workers_badged),
    ));
    for committee in &figures.committees {
        let id = committee.committee_id.to_string();
        rows.push(row(
            "Décisions du comité",
            [&id, "", ""],
            writer.requests(committee.decided.count),
        ));
        rows.push(row(
            "Délai du comité (heures)",
            [&id, "médiane", ""],
            writer.statistic(&committee.decided, committee.decided.median_hours),
        ));
    }
    for exit in &figures.exits {
        rows.push(row(
            "Sorties de parcours",
            [exit_label(exit.outcome), band_label(exit.badges), ""],
            writer.count(exit.count),
        ));
    }
    rows
}

/// The rows as CSV for French spreadsheets: UTF-8 with a byte order mark, `;` between fields,
/// CRLF line ends, a header line.
pub fn csv(rows: &[Row]) -> Result<Vec<u8>, csv::Error> {
    csv_table(
        &HEADER,
        rows.iter().map(|row| {
            [
                row.indicator,
                &row.dimensions[0],
                &row.dimensions[1],
                &row.dimensions[2],
                &row.value,
            ]
        }),
    )
}

/// Any table as CSV for French spreadsheets (see [`csv`]): `header`, then `records`.
pub fn csv_table<R, F>(
    header: &[&str],
    records: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut bytes);
        writer.write_record(header)?;
        for record in records {
            writer.write_record(record)?;
        }
        writer.flush()?;
    }
    Ok(bytes)
}
