//! A host company's recommendation, given through a single-use link, without an account.
//!
//! The form asks for the testimony and the consent to sign it, nothing else: no name, role or
//! e-mail of the person who writes (the recommendation is signed in the organisation's name).
//! It posts `application/x-www-form-urlencoded` fields: [`TESTIMONY_FIELD`],
//! [`CONSENT_FIELD`] (= [`CONSENT_VALUE`] when ticked) and [`ACTION_FIELD`]
//! ([`ACTION_GIVE`] or [`ACTION_DECLINE`]). Declining skips the browser's checks
//! (`formnovalidate`): the server must ignore the testimony then.

use maud::html;

use crate::http_url::http_url;
use crate::layout::page;

pub const TESTIMONY_FIELD: &str = "testimony";
pub const CONSENT_FIELD: &str = "consent";
pub const CONSENT_VALUE: &str = "yes";
pub const ACTION_FIELD: &str = "action";
pub const ACTION_GIVE: &str = "give";
pub const ACTION_DECLINE: &str = "decline";

/// The sentence the recommender agrees to, shown next to the consent checkbox.
pub const CONSENT_TEXT: &str = "J'accepte que ce témoignage soit signé au nom de mon entreprise \
et montré avec le badge, à toute personne qui le consulte.";

/// What the recommendation form shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationForm {
    pub action_url: String,
    pub badge_name: String,
    pub badge_description: String,
    pub image_url: String,
    pub earner_first_name: Option<String>,
    /// The organisation in whose name the testimony is signed.
    pub organisation_name: Option<String>,
    pub max_chars: usize,
    /// Why the last submission was refused, in French, shown above the form.
    pub error: Option<String>,
    /// The testimony as last submitted, so an error does not lose it.
    pub previous_text: Option<String>,
}

/// The complete HTML document of the recommendation form.
pub fn render_form(view: &RecommendationForm) -> String {
    let person = view
        .earner_first_name
        .as_deref()
        .unwrap_or("La personne que vous avez accueillie");
    let title = match &view.earner_first_name {
        Some(first_name) => format!("Recommander {first_name}"),
        None => "Recommander une personne".to_owned(),
    };
    let main = html! {
        h1 { (title) }
        p {
            (person) " a obtenu le badge ci-dessous et vous demande une recommandation. "
            "Quelques mots de votre part l'aideront à montrer ses compétences à de futurs "
            "employeurs."
        }
        p { "Ce lien ne sert qu'une fois. Vous n'avez pas besoin de créer de compte." }
        section.badge-card aria-labelledby="badge" {
            @if let Some(image) = http_url(&view.image_url) {
                img.badge-image src=(image) alt=(view.badge_name) width="128" height="128";
            }
            h2 #badge { (view.badge_name) }
            p.text { (view.badge_description) }
        }
        @if let Some(error) = &view.error {
            p.error #erreur role="alert" { strong { "Erreur : " } (error) }
        }
        form method="post" action=(view.action_url)
            enctype="application/x-www-form-urlencoded" {
            label for="temoignage" { "Votre témoignage" }
            p.hint #temoignage-aide {
                "Ce que vous avez observé, ce que la personne fait bien. "
                (view.max_chars) " caractères au maximum."
                @if let Some(organisation) = &view.organisation_name {
                    " Il sera signé au nom de : " (organisation) "."
                }
            }
            textarea #temoignage name=(TESTIMONY_FIELD) rows="8" required
                maxlength=(view.max_chars)
                aria-describedby=(if view.error.is_some() { "temoignage-aide erreur" } else { "temoignage-aide" }) {
                @if let Some(text) = &view.previous_text { (text) }
            }
            div.consent {
                input #accord type="checkbox" name=(CONSENT_FIELD) value=(CONSENT_VALUE) required;
                label for="accord" { (CONSENT_TEXT) }
            }
            div.actions {
                button type="submit" name=(ACTION_FIELD) value=(ACTION_GIVE) {
                    "Envoyer ma recommandation"
                }
                button.secondary type="submit" name=(ACTION_FIELD) value=(ACTION_DECLINE)
                    formnovalidate {
                    "Je préfère ne pas recommander"
                }
            }
        }
    };
    page(&title, main)
}

/// After the form: thanks when the recommendation was given, an acknowledgement when declined.
pub fn render_done(given: bool) -> String {
    if given {
        let main = html! {
            h1 { "Merci pour votre recommandation" }
            p {
                "Votre témoignage a bien été enregistré. Il sera montré avec le badge, au nom "
                "de votre entreprise."
            }
        };
        page("Merci pour votre recommandation", main)
    } else {
        let main = html! {
            h1 { "Votre refus a bien été enregistré" }
            p { "Merci d'avoir répondu. Ce lien ne peut plus être utilisé." }
        };
        page("Votre refus a bien été enregistré", main)
    }
}

/// The page for a link already used, expired or unknown: the same page in all three cases, so
/// that nobody can learn which links exist by trying them.
pub fn render_link_unusable() -> String {
    let main = html! {
        h1 { "Ce lien n'est plus valable" }
        p { "Il a peut-être déjà servi, ou il a expiré." }
        p {
            "Si vous souhaitez tout de même donner votre avis, contactez la structure qui vous a "
            "envoyé ce lien."
        }
    };
    page("Ce lien n'est plus valable", main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_escaped, parse_page, select, words, HOSTILE};

    fn form() -> RecommendationForm {
        RecommendationForm {
            action_url: "https://badges.reseau-insertion.fr/recommander/Zm9vYmFy".into(),
            badge_name: "Accueillir un client en magasin".into(),
            badge_description: "Accueille les clients et répond à leurs questions.".into(),
            image_url: "https://badges.reseau-insertion.fr/images/accueil.png".into(),
            earner_first_name: Some("Samira".into()),
            organisation_name: Some("Coop de Landivisiau".into()),
            max_chars: 1200,
            error: None,
            previous_text: None,
        }
    }

    #[test]
    fn the_form_asks_for_a_testimony_and_consent_only() {
        let html = render_form(&form());
        let document = parse_page(&html, "Recommander Samira");
        let text = words(document.root_element());
        assert!(text
            .contains("Samira a obtenu le badge ci-dessous et vous demande une recommandation."));
        assert!(text.contains("Il sera signé au nom de : Coop de Landivisiau."));
        assert!(text.contains(CONSENT_TEXT));

        let form = select(&document, "form")[0];
        assert_eq!(form.attr("method"), Some("post"));
        assert_eq!(form.attr("action"), Some(form_action().as_str()));
        assert_eq!(
            form.attr("enctype"),
            Some("application/x-www-form-urlencoded")
        );
        // Nothing but the testimony, the consent and the two buttons: no personal data.
        let names: Vec<&str> = select(&document, "form [name]")
            .iter()
            .map(|field| field.attr("name").unwrap())
            .collect();
        assert_eq!(
            names,
            [TESTIMONY_FIELD, CONSENT_FIELD, ACTION_FIELD, ACTION_FIELD]
        );

        let testimony = select(&document, "textarea")[0];
        assert_eq!(testimony.attr("name"), Some("testimony"));
        assert_eq!(testimony.attr("maxlength"), Some("1200"));
        assert!(testimony.attr("required").is_some());
        assert_eq!(
            words(select(&document, "label[for=temoignage]")[0]),
            "Votre témoignage"
        );

        let consent = select(&document, r#"input[type="checkbox"]"#)[0];
        assert_eq!(consent.attr("name"), Some("consent"));
        assert_eq!(consent.attr("value"), Some("yes"));
        assert!(consent.attr("required").is_some());

        let buttons = select(&document, r#"button[type="submit"][name="action"]"#);
        let buttons: Vec<(Option<&str>, String, bool)> = buttons
            .into_iter()
            .map(|b| {
                (
                    b.attr("value"),
                    words(b),
                    b.attr("formnovalidate").is_some(),
                )
            })
            .collect();
        assert_eq!(
            buttons,
            [
                (Some("give"), "Envoyer ma recommandation".to_owned(), false),
                (
                    Some("decline"),
                    "Je préfère ne pas recommander".to_owned(),
                    true
                ),
            ]
        );
        assert!(select(&document, ".error").is_empty());
    }

    fn form_action() -> String {
        form().action_url
    }

    #[test]
    fn an_error_is_announced_and_the_text_kept() {
        let view = RecommendationForm {
            error: Some("Cochez la case d'accord pour envoyer.".into()),
            previous_text: Some("Très sérieuse.".into()),
            earner_first_name: None,
            organisation_name: None,
            ..form()
        };
        let html = render_form(&view);
        let document = parse_page(&html, "Recommander une personne");
        let error = select(&document, r#"[role="alert"]"#);
        assert_eq!(
            words(error[0]),
            "Erreur : Cochez la case d'accord pour envoyer."
        );
        let testimony = select(&document, "textarea")[0];
        assert_eq!(words(testimony), "Très sérieuse.");
        assert_eq!(
            testimony.attr("aria-describedby"),
            Some("temoignage-aide erreur")
        );
        let text = words(document.root_element());
        assert!(text.contains("La personne que vous avez accueillie a obtenu le badge"));
    }

    #[test]
    fn hostile_text_is_escaped_in_the_form() {
        let text = HOSTILE.join(" ");
        let view = RecommendationForm {
            action_url: text.clone(),
            badge_name: text.clone(),
            badge_description: text.clone(),
            image_url: "https://exemple.fr/\"><b/onmouseover=alert(3)>".into(),
            earner_first_name: Some(text.clone()),
            organisation_name: Some(text.clone()),
            max_chars: 500,
            error: Some(text.clone()),
            previous_text: Some(format!("</textarea>{text}")),
        };
        let html = render_form(&view);
        let document = parse_page(&html, &format!("Recommander {text}"));
        assert_escaped(&html, &document);
        // A closing tag in the previous text must not close the textarea early.
        assert!(html.contains("&lt;/textarea&gt;"));
        let textarea = select(&document, "textarea");
        assert_eq!(textarea.len(), 1);
        assert_eq!(
            textarea[0].text().collect::<String>(),
            format!("</textarea>{text}")
        );
        assert_eq!(select(&document, "img")[0].attr("alt"), Some(text.as_str()));
    }

    #[test]
    fn the_outcome_pages_say_what_happened() {
        let given = render_done(true);
        let document = parse_page(&given, "Merci pour votre recommandation");
        assert_eq!(
            words(select(&document, "h1")[0]),
            "Merci pour votre recommandation"
        );

        let declined = render_done(false);
        let document = parse_page(&declined, "Votre refus a bien été enregistré");
        assert_eq!(
            words(select(&document, "h1")[0]),
            "Votre refus a bien été enregistré"
        );

        let unusable = render_link_unusable();
        let document = parse_page(&unusable, "Ce lien n'est plus valable");
        assert_eq!(
            words(select(&document, "h1")[0]),
            "Ce lien n'est plus valable"
        );
        assert!(select(&document, "form").is_empty());
    }
}
