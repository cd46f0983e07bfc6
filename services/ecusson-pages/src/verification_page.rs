//! Checking a badge file: the form to submit one, and the report of the checks, in French with
//! the English text beneath each check (Open Badges verifiers and issuers abroad read it too).

use maud::{html, Markup};

use crate::layout::{marker, page};

/// The name of the form's file field.
pub const FILE_FIELD: &str = "file";
/// The name of the form's text field (a credential pasted as JSON or as a compact JWT).
pub const TEXT_FIELD: &str = "credential";

/// A verification report as shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationView {
    pub verdict: Verdict,
    pub checks: Vec<CheckLine>,
    pub badge_name: Option<String>,
    pub issuer_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    ValidWithWarnings,
    Invalid,
}

/// One check of the report: its stable code, its outcome and its explanation in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub code: String,
    pub outcome: Outcome,
    pub fr: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Warning,
    Failed,
    Skipped,
}

/// The complete HTML document of a verification report.
pub fn render(view: &VerificationView) -> String {
    let (class, mark, headline, detail) = match view.verdict {
        Verdict::Valid => (
            "status-good",
            marker::GOOD,
            "Badge authentique et valide",
            "Toutes les vérifications ont réussi.",
        ),
        Verdict::ValidWithWarnings => (
            "status-warning",
            marker::WARNING,
            "Badge authentique, avec des points d'attention",
            "Le badge est valide, mais lisez les avertissements ci-dessous.",
        ),
        Verdict::Invalid => (
            "status-bad",
            marker::BAD,
            "Badge non valide",
            "Au moins une vérification a échoué : ne vous fiez pas à ce badge.",
        ),
    };
    let main = html! {
        h1 { "Résultat de la vérification" }
        div.status.(class) {
            span.mark aria-hidden="true" { (mark) }
            div {
                p { (headline) }
                p.detail { (detail) }
            }
        }
        @if view.badge_name.is_some() || view.issuer_name.is_some() {
            dl.facts {
                @if let Some(name) = &view.badge_name {
                    dt { "Badge" }
                    dd { (name) }
                }
                @if let Some(issuer) = &view.issuer_name {
                    dt { "Émetteur" }
                    dd { (issuer) }
                }
            }
        }
        section aria-labelledby="controles" {
            h2 #controles { "Détail des vérifications" }
            ol.checks {
                @for check in &view.checks {
                    (check_line(check))
                }
            }
        }
    };
    page("Résultat de la vérification", main)
}

fn check_line(check: &CheckLine) -> Markup {
    let (mark, word) = match check.outcome {
        Outcome::Passed => (marker::GOOD, "Réussi"),
        Outcome::Warning => (marker::WARNING, "Attention"),
        Outcome::Failed => (marker::BAD, "Échec"),
        Outcome::Skipped => (marker::NEUTRAL, "Non vérifié"),
    };
    html! {
        li {
            span.mark aria-hidden="true" { (mark) }
            div {
                p { strong { (word) " : " } span.text { (check.fr) } }
                p.en.text lang="en" { (check.en) }
                p.small { code { (check.code) } }
            }
        }
    }
}

/// The form to check a badge file: upload it, or paste it as text. `max_bytes` is the largest
/// file the server accepts, told to the reader before they try.
pub fn render_form(action_url: &str, max_bytes: usize) -> String {
    let main = html! {
        h1 { "Vérifier un badge" }
        p {
            "Vous avez reçu un badge numérique ? Vérifiez qu'il est authentique : qui l'a délivré, "
            "qu'il n'a pas été modifié et qu'il est toujours valable."
        }
        form method="post" action=(action_url) enctype="multipart/form-data" {
            label for="fichier" { "Le fichier du badge" }
            p.hint #fichier-aide {
                "Formats acceptés : .json, .jwt, .png ou .svg, " (human_size(max_bytes))
                " au maximum."
            }
            input #fichier type="file" name=(FILE_FIELD)
                accept=".json,.jwt,.png,.svg,application/json,image/png,image/svg+xml"
                aria-describedby="fichier-aide";
            label for="texte" { "Ou collez le badge ici" }
            p.hint #texte-aide { "Le contenu du fichier, en JSON ou en JWT." }
            textarea #texte name=(TEXT_FIELD) rows="6" spellcheck="false"
                aria-describedby="texte-aide" {}
            div.actions {
                button type="submit" { "Vérifier" }
            }
        }
    };
    page("Vérifier un badge", main)
}

/// A size in bytes as French readers write it: "800 octets", "300 ko", "2 Mo", "1,5 Mo", with a
/// no-break space so that the number and its unit stay on one line.
fn human_size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB {
        // One decimal at most, with the French decimal comma, rounded down so the reader is
        // never told more than the server accepts.
        let tenths = bytes * 10 / MIB;
        match tenths % 10 {
            0 => format!("{}\u{a0}Mo", tenths / 10),
            decimal => format!("{},{decimal}\u{a0}Mo", tenths / 10),
        }
    } else if bytes >= KIB {
        format!("{}\u{a0}ko", bytes / KIB)
    } else {
        format!("{bytes}\u{a0}octets")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_escaped, parse_page, select, words, HOSTILE};

    fn line(code: &str, outcome: Outcome, fr: &str, en: &str) -> CheckLine {
        CheckLine {
            code: code.into(),
            outcome,
            fr: fr.into(),
            en: en.into(),
        }
    }

    fn report(verdict: Verdict) -> VerificationView {
        VerificationView {
            verdict,
            checks: vec![
                line(
                    "proof",
                    Outcome::Passed,
                    "La signature est valide.",
                    "The signature is valid.",
                ),
                line(
                    "expiry",
                    Outcome::Warning,
                    "Le badge a expiré.",
                    "The badge has expired.",
                ),
                line(
                    "issuer",
                    Outcome::Failed,
                    "Émetteur inconnu.",
                    "Unknown issuer.",
                ),
                line(
                    "status",
                    Outcome::Skipped,
                    "Statut non vérifié.",
                    "Status not checked.",
                ),
            ],
            badge_name: Some("Accueillir un client".into()),
            issuer_name: Some("Réseau Insertion Bretagne".into()),
        }
    }

    #[test]
    fn each_verdict_is_written_in_words_with_its_mark() {
        for (verdict, expected) in [
            (Verdict::Valid, "✓ Badge authentique et valide"),
            (
                Verdict::ValidWithWarnings,
                "! Badge authentique, avec des points d'attention",
            ),
            (Verdict::Invalid, "✕ Badge non valide"),
        ] {
            let html = render(&report(verdict));
            let document = parse_page(&html, "Résultat de la vérification");
            let status = words(select(&document, ".status")[0]);
            assert!(status.starts_with(expected), "{status}");
        }
    }

    #[test]
    fn each_check_shows_its_outcome_in_words_and_the_english_beneath() {
        let html = render(&report(Verdict::Invalid));
        let document = parse_page(&html, "Résultat de la vérification");
        let checks: Vec<String> = select(&document, "ol.checks > li")
            .into_iter()
            .map(words)
            .collect();
        assert_eq!(
            checks,
            [
                "✓ Réussi : La signature est valide. The signature is valid. proof",
                "! Attention : Le badge a expiré. The badge has expired. expiry",
                "✕ Échec : Émetteur inconnu. Unknown issuer. issuer",
                "– Non vérifié : Statut non vérifié. Status not checked. status",
            ]
        );
        let english = select(&document, r#"ol.checks p.en[lang="en"]"#);
        assert_eq!(english.len(), 4);
        let facts = words(select(&document, "dl.facts")[0]);
        assert_eq!(
            facts,
            "Badge Accueillir un client Émetteur Réseau Insertion Bretagne"
        );
    }

    #[test]
    fn hostile_text_is_escaped_in_the_report() {
        let text = HOSTILE.join(" ");
        let view = VerificationView {
            verdict: Verdict::Invalid,
            checks: vec![line(&text, Outcome::Failed, &text, &text)],
            badge_name: Some(text.clone()),
            issuer_name: Some(text.clone()),
        };
        let html = render(&view);
        let document = parse_page(&html, "Résultat de la vérification");
        assert_escaped(&html, &document);
    }

    #[test]
    fn the_form_posts_a_file_or_a_pasted_credential() {
        let html = render_form("/verifier", 2 * 1024 * 1024);
        let document = parse_page(&html, "Vérifier un badge");
        let forms = select(&document, "form");
        assert_eq!(forms.len(), 1);
        assert_eq!(forms[0].attr("method"), Some("post"));
        assert_eq!(forms[0].attr("action"), Some("/verifier"));
        assert_eq!(forms[0].attr("enctype"), Some("multipart/form-data"));
        let file = select(&document, r#"input[type="file"]"#);
        assert_eq!(file[0].attr("name"), Some(FILE_FIELD));
        let accept = file[0].attr("accept").unwrap();
        for extension in [".json", ".jwt", ".png", ".svg"] {
            assert!(accept.split(',').any(|a| a == extension), "{extension}");
        }
        assert_eq!(
            select(&document, "textarea")[0].attr("name"),
            Some(TEXT_FIELD)
        );
        let button = select(&document, r#"button[type="submit"]"#);
        assert_eq!(button.len(), 1);
        assert_eq!(words(button[0]), "Vérifier");
        assert!(words(document.root_element()).contains("2 Mo au maximum"));
    }

    #[test]
    fn the_form_escapes_its_action() {
        let html = render_form(HOSTILE[1], 1000);
        let document = parse_page(&html, "Vérifier un badge");
        assert!(!html.contains("<img src=x"));
        assert_eq!(
            select(&document, "form")[0].attr("action"),
            Some(HOSTILE[1])
        );
    }

    #[test]
    fn sizes_are_written_in_french_units_rounded_down() {
        assert_eq!(human_size(800), "800\u{a0}octets");
        assert_eq!(human_size(300 * 1024), "300\u{a0}ko");
        assert_eq!(human_size(2 * 1024 * 1024), "2\u{a0}Mo");
        assert_eq!(human_size(3 * 1024 * 1024 / 2), "1,5\u{a0}Mo");
        assert_eq!(human_size(2 * 1024 * 1024 - 1), "1,9\u{a0}Mo");
    }
}
