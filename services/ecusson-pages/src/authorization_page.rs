//! The pages of the Open Badges API's authorization step (OAuth 2.0): a worker is asked whether
//! an application (a wallet, a badge host) may see their badges, and answers yes or no.
//!
//! The consent page says who asks, what they will see and what they will not be able to do,
//! in plain words, and links to the application's own terms and privacy policy. The
//! application's logo is not shown: loading it would tell the application's server that this
//! person opened the page before they agreed to anything. The form posts
//! `application/x-www-form-urlencoded` fields: the hidden fields it was given, unchanged, and
//! [`DECISION_FIELD`] = [`DECISION_APPROVE`] or [`DECISION_DENY`].
//!
//! The other pages say why there is nothing to decide: sign in first, an account of the staff
//! cannot share a worker's badges, the request is not recognised, or the page has expired.

use maud::html;

use crate::http_url::http_url;
use crate::layout::page;

pub const DECISION_FIELD: &str = "decision";
pub const DECISION_APPROVE: &str = "approve";
pub const DECISION_DENY: &str = "deny";

/// Something an application may be allowed to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The worker's badges (Open Badges credentials).
    Badges,
    /// The worker's name, when they recorded one.
    Name,
}

impl Access {
    /// What the worker agrees to show, in plain words.
    pub fn description(self) -> &'static str {
        match self {
            Access::Badges => {
                "Vos badges : ce que chacun reconnaît, sa date, le réseau qui l'a délivré, la \
                 structure qui vous accompagne, votre nom si vous avez choisi de le montrer, et \
                 les preuves que vous avez rendues publiques."
            }
            Access::Name => "Votre nom, si vous l'avez indiqué.",
        }
    }
}

/// What the consent page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentView {
    pub action_url: String,
    /// The application's name, as it registered it.
    pub client_name: String,
    /// The application's page (its `client_uri`).
    pub client_url: String,
    pub terms_url: String,
    pub privacy_url: String,
    /// What the application asks to see, in this order.
    pub access: Vec<Access>,
    /// Sent back unchanged with the decision: the request and the form's token.
    pub hidden_fields: Vec<(String, String)>,
}

const CONSENT_TITLE: &str = "Partager vos badges avec une application";

/// The complete HTML document of the consent page.
pub fn render_consent(view: &ConsentView) -> String {
    let host = http_url(&view.client_url).and_then(host_of);
    let main = html! {
        h1 { (CONSENT_TITLE) }
        p.lead {
            "L'application « " strong { (view.client_name) } " » demande à voir des "
            "informations de votre compte Écusson."
        }
        @if let (Some(url), Some(host)) = (http_url(&view.client_url), host) {
            p { "Son adresse : " a.url href=(url) { (host) } }
        }
        h2 { "Ce qu'elle pourra voir" }
        ul {
            @for access in &view.access {
                li { (access.description()) }
            }
        }
        p { "Elle ne pourra rien modifier : ni vos badges, ni votre compte." }
        p {
            "Avant de répondre, vous pouvez lire "
            @match http_url(&view.terms_url) {
                Some(url) => { a href=(url) { "ses conditions d'utilisation" } }
                None => { "ses conditions d'utilisation" }
            }
            " et "
            @match http_url(&view.privacy_url) {
                Some(url) => { a href=(url) { "ce qu'elle fait de vos données" } }
                None => { "ce qu'elle fait de vos données" }
            }
            "."
        }
        p { "Si vous ne connaissez pas cette application, refusez." }
        form method="post" action=(view.action_url)
            enctype="application/x-www-form-urlencoded" {
            @for (name, value) in &view.hidden_fields {
                input type="hidden" name=(name) value=(value);
            }
            div.actions {
                button type="submit" name=(DECISION_FIELD) value=(DECISION_APPROVE) {
                    "Autoriser"
                }
                button.secondary type="submit" name=(DECISION_FIELD) value=(DECISION_DENY) {
                    "Refuser"
                }
            }
        }
    };
    page(CONSENT_TITLE, main)
}

/// The host of an `http(s)` URL, what the page shows as the application's address.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (!host.is_empty()).then_some(host)
}

/// Nobody is signed in (or the session has ended): the worker signs in first, then comes back.
pub fn render_sign_in(login_url: Option<&str>) -> String {
    let title = "Connectez-vous d'abord";
    let main = html! {
        h1 { (title) }
        p {
            "Une application demande à voir vos badges. Pour lui répondre, connectez-vous à "
            "votre compte Écusson, puis revenez sur cette page."
        }
        @if let Some(url) = login_url.and_then(http_url) {
            p { a href=(url) { "Se connecter à Écusson" } }
        }
        p.small { "Rien n'est partagé tant que vous n'avez pas donné votre accord." }
    };
    page(title, main)
}

/// The signed-in account is not a worker's: only the person who holds the badges may share them.
pub fn render_not_an_earner() -> String {
    let title = "Ce compte ne peut pas partager de badges";
    let main = html! {
        h1 { (title) }
        p {
            "Vous êtes connecté·e avec un compte professionnel. C'est la personne qui a reçu les "
            "badges qui décide, depuis son propre compte, si une application peut les voir."
        }
        p.small { "Rien n'a été partagé." }
    };
    page(title, main)
}

/// Why a request cannot be answered here, without sending the browser anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The application or its return address is not registered: sending the browser there
    /// could hand the answer to someone else.
    UnknownApplication,
    /// The consent form is too old, or was not made for this person and this request.
    ExpiredForm,
}

/// The page for a request that cannot be answered (see [`Refusal`]).
pub fn render_refusal(refusal: Refusal) -> String {
    let (title, text) = match refusal {
        Refusal::UnknownApplication => (
            "Demande non reconnue",
            "L'application qui vous a envoyé ici n'est pas connue d'Écusson, ou son adresse de \
             retour ne correspond pas à celle qu'elle a déclarée.",
        ),
        Refusal::ExpiredForm => (
            "Cette page a expiré",
            "Pour votre sécurité, la réponse doit être donnée dans les dix minutes, depuis le \
             compte qui a ouvert la page. Recommencez depuis l'application.",
        ),
    };
    let main = html! {
        h1 { (title) }
        p { (text) }
        p.small { "Rien n'a été partagé. Vous pouvez fermer cette page." }
    };
    page(title, main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_escaped, parse_page, select, words, HOSTILE};
    use scraper::Html;

    fn view() -> ConsentView {
        ConsentView {
            action_url: "https://badges.reseau-insertion.fr/oauth/authorize".into(),
            client_name: "Mon Portefeuille".into(),
            client_url: "https://portefeuille.exemple.fr/a-propos".into(),
            terms_url: "https://portefeuille.exemple.fr/conditions".into(),
            privacy_url: "https://portefeuille.exemple.fr/confidentialite".into(),
            access: vec![Access::Badges, Access::Name],
            hidden_fields: vec![
                ("client_id".into(), "abc".into()),
                ("csrf_token".into(), "jeton".into()),
            ],
        }
    }

    /// The checks every page keeps, on the page without its hidden inputs (which carry data,
    /// not questions, and so have no label), and the hidden inputs by name and value.
    fn parse_consent(html: &str) -> (Html, Vec<(String, String)>) {
        let document = Html::parse_document(html);
        let hidden = select(&document, "input")
            .into_iter()
            .map(|input| {
                assert_eq!(input.attr("type"), Some("hidden"), "only hidden inputs");
                (
                    input.attr("name").unwrap().to_owned(),
                    input.attr("value").unwrap().to_owned(),
                )
            })
            .collect();
        let mut visible = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(start) = rest.find("<input type=\"hidden\"") {
            visible.push_str(&rest[..start]);
            let end = rest[start..].find('>').expect("the input ends") + start + 1;
            rest = &rest[end..];
        }
        visible.push_str(rest);
        (parse_page(&visible, CONSENT_TITLE), hidden)
    }

    #[test]
    fn the_consent_page_says_who_asks_and_what_they_will_see() {
        let html = render_consent(&view());
        let (document, hidden) = parse_consent(&html);
        let text = words(document.root_element());
        assert!(text.contains(
            "L'application « Mon Portefeuille » demande à voir des informations de votre compte"
        ));
        assert!(text.contains("Son adresse : portefeuille.exemple.fr"));
        let items: Vec<String> = select(&document, "main li")
            .into_iter()
            .map(words)
            .collect();
        assert_eq!(
            items,
            [Access::Badges.description(), Access::Name.description()]
        );
        assert!(text.contains("Elle ne pourra rien modifier"));
        let links: Vec<&str> = select(&document, "main a")
            .iter()
            .map(|link| link.attr("href").unwrap())
            .collect();
        assert_eq!(
            links,
            [
                "https://portefeuille.exemple.fr/a-propos",
                "https://portefeuille.exemple.fr/conditions",
                "https://portefeuille.exemple.fr/confidentialite",
            ]
        );
        // Nothing is loaded from the application's server before the worker answers.
        assert!(select(&document, "img").is_empty());

        let form = select(&document, "form")[0];
        assert_eq!(form.attr("method"), Some("post"));
        assert_eq!(
            form.attr("action"),
            Some("https://badges.reseau-insertion.fr/oauth/authorize")
        );
        assert_eq!(
            hidden,
            [
                ("client_id".to_owned(), "abc".to_owned()),
                ("csrf_token".to_owned(), "jeton".to_owned()),
            ]
        );
        let buttons: Vec<(Option<&str>, Option<&str>, String)> =
            select(&document, r#"button[type="submit"]"#)
                .into_iter()
                .map(|button| (button.attr("name"), button.attr("value"), words(button)))
                .collect();
        assert_eq!(
            buttons,
            [
                (Some("decision"), Some("approve"), "Autoriser".to_owned()),
                (Some("decision"), Some("deny"), "Refuser".to_owned()),
            ]
        );
    }

    #[test]
    fn only_what_is_asked_is_listed() {
        let html = render_consent(&ConsentView {
            access: vec![Access::Badges],
            ..view()
        });
        let (document, _) = parse_consent(&html);
        assert_eq!(select(&document, "main li").len(), 1);
        assert!(!words(document.root_element()).contains("Votre nom"));
    }

    #[test]
    fn hostile_text_is_escaped_and_bad_links_are_not_links() {
        let text = HOSTILE.join(" ");
        let html = render_consent(&ConsentView {
            action_url: "https://badges.exemple.fr/oauth/authorize".into(),
            client_name: text.clone(),
            client_url: "javascript:alert(1)".into(),
            terms_url: "data:text/html,<script>alert(3)</script>".into(),
            privacy_url: text.clone(),
            access: vec![Access::Badges],
            hidden_fields: vec![("state".into(), text.clone())],
        });
        let (document, hidden) = parse_consent(&html);
        assert_escaped(&html, &document);
        assert!(select(&document, "main a").is_empty());
        assert!(!words(document.root_element()).contains("Son adresse"));
        // The hidden value comes back exactly as given.
        assert_eq!(hidden, [("state".to_owned(), text)]);
    }

    #[test]
    fn the_application_address_shows_its_host_only() {
        assert_eq!(
            host_of("https://user@exemple.fr:8443/chemin?a=b"),
            Some("exemple.fr:8443")
        );
        assert_eq!(host_of("https://exemple.fr"), Some("exemple.fr"));
        assert_eq!(host_of("https://"), None);
    }

    #[test]
    fn the_sign_in_page_links_to_the_login_when_there_is_one() {
        let html = render_sign_in(Some("https://compte.exemple.fr/connexion"));
        let document = parse_page(&html, "Connectez-vous d'abord");
        let links = select(&document, "main a");
        assert_eq!(links.len(), 1);
        assert_eq!(
            links[0].attr("href"),
            Some("https://compte.exemple.fr/connexion")
        );
        assert!(select(&document, "form").is_empty());

        let html = render_sign_in(None);
        let document = parse_page(&html, "Connectez-vous d'abord");
        assert!(select(&document, "main a").is_empty());
        let html = render_sign_in(Some("javascript:alert(1)"));
        let document = parse_page(&html, "Connectez-vous d'abord");
        assert!(select(&document, "main a").is_empty());
    }

    #[test]
    fn the_refusal_pages_say_nothing_was_shared() {
        for (html, title) in [
            (
                render_not_an_earner(),
                "Ce compte ne peut pas partager de badges",
            ),
            (
                render_refusal(Refusal::UnknownApplication),
                "Demande non reconnue",
            ),
            (render_refusal(Refusal::ExpiredForm), "Cette page a expiré"),
        ] {
            let document = parse_page(&html, title);
            assert_eq!(words(select(&document, "h1")[0]), title);
            assert!(words(document.root_element()).contains("Rien n'a été partagé."));
            assert!(select(&document, "form").is_empty());
        }
    }
}
