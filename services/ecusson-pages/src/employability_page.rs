//! A worker's employability report as a printable French page, and as the "CV 2.0" an
//! employer opens from the worker's link: their badges by pathway, each with its skill type,
//! evidence, recommendations and the QR code of its public page; the pathway's dates; the
//! steps still open (for the worker and their staff only). The same view makes the PDF
//! ([`crate::employability_pdf`]).

use chrono::NaiveDate;
use maud::{html, Markup};

use crate::french_date::long_date;
use crate::http_url::http_url;
use crate::layout::{marker, page};
use crate::qr_code;

/// Everything the report shows, already chosen for its reader (text is plain text, escaped
/// when rendered; only `http`/`https` URLs become links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployabilityView {
    /// A CV opened from the worker's link (employer-facing wording, no open steps).
    pub shared: bool,
    /// Shown only when the reader may see it (a shared CV: when the worker chose to).
    pub worker_name: Option<String>,
    pub structure_name: Option<String>,
    pub network_name: String,
    pub enrolled_on: Option<NaiveDate>,
    /// French label of the exit outcome, and its date.
    pub exit: Option<(String, NaiveDate)>,
    pub days_in_pathway: Option<i64>,
    pub savoir_faire: usize,
    pub savoir_etre: usize,
    pub pathways: Vec<PathwayView>,
    pub generated_on: NaiveDate,
    /// The PDF of the same report.
    pub pdf_url: Option<String>,
    /// On a shared CV, until when its link opens.
    pub open_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathwayView {
    /// 1: first steps, 2: autonomy, 3: access to employment.
    pub rank: u8,
    pub name: String,
    pub description: String,
    pub badges: Vec<BadgeLine>,
    pub under_way: Vec<String>,
    pub next_steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeLine {
    pub name: String,
    pub description: String,
    /// "savoir-faire" or "savoir-être".
    pub skill_type: String,
    pub awarded_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// "Valide", "Expiré" or "Révoqué".
    pub status: String,
    pub standing: bool,
    /// The badge's public page: its QR code opens it.
    pub page_url: String,
    /// (kind, text, link)
    pub evidence: Vec<(String, String, Option<String>)>,
    /// (from, testimony)
    pub recommendations: Vec<(String, String)>,
}

/// "1 an et 3 mois", "8 mois", "12 jours".
pub fn duration_label(days: i64) -> String {
    let months = days * 12 / 365;
    let (years, months) = (months / 12, months % 12);
    let plural = |count: i64, one: &str, many: &str| {
        format!("{count} {}", if count > 1 { many } else { one })
    };
    match (years, months) {
        (0, 0) => plural(days, "jour", "jours"),
        (0, months) => format!("{months} mois"),
        (years, 0) => plural(years, "an", "ans"),
        (years, months) => format!("{} et {months} mois", plural(years, "an", "ans")),
    }
}

/// The report's title, as the page and the PDF write it.
pub fn title(view: &EmployabilityView) -> String {
    match (&view.worker_name, view.shared) {
        (Some(name), _) => format!("Compétences de {name}"),
        (None, true) => "Compétences reconnues par badges".to_owned(),
        (None, false) => "Rapport d'employabilité".to_owned(),
    }
}

/// One line per fact of the pathway, as the page and the PDF write them.
pub fn pathway_facts(view: &EmployabilityView) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(structure) = &view.structure_name {
        facts.push(format!(
            "Structure : {structure} (réseau {})",
            view.network_name
        ));
    } else {
        facts.push(format!("Réseau : {}", view.network_name));
    }
    if let Some(enrolled_on) = view.enrolled_on {
        facts.push(format!("Entrée en parcours : {}", long_date(&enrolled_on)));
    }
    if let Some((outcome, exited_on)) = &view.exit {
        facts.push(format!("Sortie : {} ({outcome})", long_date(exited_on)));
    }
    if let Some(days) = view.days_in_pathway {
        facts.push(format!("Temps en parcours : {}", duration_label(days)));
    }
    facts.push(format!(
        "Badges valides : {} ({} savoir-faire, {} savoir-être)",
        view.savoir_faire + view.savoir_etre,
        view.savoir_faire,
        view.savoir_etre
    ));
    facts
}

/// The heading of a pathway ("Parcours 2 — Autonomie"; its name alone when it says so).
pub fn pathway_heading(pathway: &PathwayView) -> String {
    if pathway.rank <= 3 && !pathway.name.to_lowercase().starts_with("parcours") {
        format!("Parcours {} — {}", pathway.rank, pathway.name)
    } else {
        pathway.name.clone()
    }
}

/// The facts line of a badge: skill type, status, dates.
pub fn badge_facts(badge: &BadgeLine) -> String {
    let mut facts = format!("{} · {}", badge.skill_type, badge.status);
    if let Some(awarded_on) = badge.awarded_on {
        facts.push_str(&format!(" · obtenu le {}", long_date(&awarded_on)));
    }
    if let (Some(valid_until), true) = (badge.valid_until, badge.standing) {
        facts.push_str(&format!(" · valable jusqu'au {}", long_date(&valid_until)));
    }
    facts
}

pub fn render(view: &EmployabilityView) -> String {
    let title = title(view);
    page(&title, main(view, &title))
}

fn main(view: &EmployabilityView, title: &str) -> Markup {
    html! {
        h1 { (title) }
        @if view.shared {
            p.lead {
                "Ces compétences ont été reconnues par des badges numériques délivrés par "
                (view.network_name) ". Chaque badge a sa page de vérification : suivez son lien "
                "ou scannez son code QR."
            }
        }
        ul {
            @for fact in pathway_facts(view) { li { (fact) } }
        }
        @if let Some(pdf_url) = view.pdf_url.as_deref().and_then(http_url) {
            p.no-print { a href=(pdf_url) { "Télécharger en PDF" } }
        }
        @if view.pathways.is_empty() {
            p { "Aucun badge pour l'instant." }
        }
        @for pathway in &view.pathways {
            section {
                h2 { (pathway_heading(pathway)) }
                @if !pathway.description.is_empty() {
                    p.small { (pathway.description) }
                }
                @for badge in &pathway.badges {
                    (badge_card(badge))
                }
                @if !pathway.under_way.is_empty() {
                    h3 { "En cours de validation" }
                    ul { @for name in &pathway.under_way { li { (name) } } }
                }
                @if !pathway.next_steps.is_empty() {
                    h3 { "Prochaines étapes possibles" }
                    ul { @for name in &pathway.next_steps { li { (name) } } }
                }
            }
        }
        p.small {
            "Établi le " (long_date(&view.generated_on)) "."
            @if let Some(until) = view.open_until {
                " Ce lien de partage est ouvert jusqu'au " (long_date(&until)) " inclus."
            }
            @if view.shared {
                " La personne qui a partagé ce CV choisit ce qu'il montre et peut fermer ce lien."
            }
        }
    }
}

fn badge_card(badge: &BadgeLine) -> Markup {
    let (mark, class) = if badge.standing {
        (marker::GOOD, "status status-good")
    } else {
        (marker::BAD, "status status-bad")
    };
    html! {
        article.badge-card {
            h3 { (badge.name) }
            p class=(class) {
                span.mark aria-hidden="true" { (mark) }
                span { (badge_facts(badge)) }
            }
            p { (badge.description) }
            @if !badge.evidence.is_empty() {
                h4 { "Preuves" }
                ul.items {
                    @for (kind, text, link) in &badge.evidence {
                        li {
                            span.kind { (kind) }
                            @match link.as_deref().and_then(http_url) {
                                Some(url) => a.url href=(url) { (text) },
                                None => span.text { (text) },
                            }
                        }
                    }
                }
            }
            @if !badge.recommendations.is_empty() {
                h4 { "Recommandations" }
                @for (from, testimony) in &badge.recommendations {
                    figure {
                        blockquote.text { (testimony) }
                        figcaption.small { "— " (from) }
                    }
                }
            }
            figure.qr {
                @if let Some(code) = qr_code::inline_svg(&badge.page_url, &format!("Code QR du badge {}", badge.name)) {
                    (code)
                }
                figcaption {
                    "Vérifier ce badge : "
                    @match http_url(&badge.page_url) {
                        Some(url) => a.url.print-url href=(url) { (url) },
                        None => span.url { (badge.page_url) },
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::{decode_qr_codes, parse_page};

    pub(crate) fn view() -> EmployabilityView {
        EmployabilityView {
            shared: false,
            worker_name: Some("Aïcha Benali".to_owned()),
            structure_name: Some("Atelier du Lac".to_owned()),
            network_name: "INAÉ".to_owned(),
            enrolled_on: Some(NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()),
            exit: Some((
                "Emploi durable".to_owned(),
                NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
            )),
            days_in_pathway: Some(469),
            savoir_faire: 1,
            savoir_etre: 0,
            pathways: vec![PathwayView {
                rank: 1,
                name: "Premiers pas".to_owned(),
                description: "Valoriser les premières actions.".to_owned(),
                badges: vec![BadgeLine {
                    name: "Accueil du public".to_owned(),
                    description: "Accueille et oriente les clients.".to_owned(),
                    skill_type: "savoir-faire".to_owned(),
                    awarded_on: Some(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap()),
                    valid_until: None,
                    status: "Valide".to_owned(),
                    standing: true,
                    page_url: "https://ecusson.example/badges/0193".to_owned(),
                    evidence: vec![(
                        "Lien".to_owned(),
                        "javascript:alert(1)".to_owned(),
                        Some("javascript:alert(1)".to_owned()),
                    )],
                    recommendations: vec![(
                        "Boulangerie Martin".to_owned(),
                        "Très <b>fiable</b>.".to_owned(),
                    )],
                }],
                under_way: vec!["Travail en équipe".to_owned()],
                next_steps: vec!["Sécurité au poste".to_owned()],
            }],
            generated_on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            pdf_url: Some("https://ecusson.example/rapport.pdf".to_owned()),
            open_until: None,
        }
    }

    #[test]
    fn the_report_shows_the_pathway_its_badges_and_their_qr_codes_safely() {
        let html = render(&view());
        let document = parse_page(&html, "Compétences de Aïcha Benali");
        assert!(html.contains("Compétences de Aïcha Benali"));
        assert!(html.contains("Parcours 1 — Premiers pas"));
        assert!(html.contains("1 an et 3 mois"), "469 days in pathway");
        assert!(html.contains("Emploi durable"));
        assert!(html.contains("Prochaines étapes possibles"));
        assert!(html.contains("Très &lt;b&gt;fiable&lt;/b&gt;."));
        assert!(
            !html.contains("href=\"javascript:"),
            "only http links are links"
        );
        assert_eq!(
            decode_qr_codes(&document),
            vec!["https://ecusson.example/badges/0193".to_owned()]
        );
    }

    #[test]
    fn a_shared_cv_speaks_to_an_employer_and_names_nobody_unless_chosen() {
        let mut shared = view();
        shared.shared = true;
        shared.worker_name = None;
        shared.open_until = NaiveDate::from_ymd_opt(2026, 6, 30);
        let html = render(&shared);
        assert!(html.contains("Compétences reconnues par badges"));
        assert!(html.contains("30 juin 2026"));
        assert!(!html.contains("Aïcha"));
    }

    #[test]
    fn a_pathway_is_named_once() {
        let mut pathway = view().pathways.remove(0);
        assert_eq!(pathway_heading(&pathway), "Parcours 1 — Premiers pas");
        pathway.name = "Parcours 1 : premiers pas dans la structure".to_owned();
        assert_eq!(pathway_heading(&pathway), pathway.name);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_label(12), "12 jours");
        assert_eq!(duration_label(1), "1 jour");
        assert_eq!(duration_label(250), "8 mois");
        assert_eq!(duration_label(366), "1 an");
        assert_eq!(duration_label(800), "2 ans et 2 mois");
    }
}
