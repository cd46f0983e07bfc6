//! What an operator sets for the Open Badges API, read once from the environment when the
//! routes are registered and handed to the handlers as app data (never a global).

/// The API's settings. Every field is optional: unset, the page or document says less.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ob3Settings {
    /// `ECUSSON_LOGIN_URL`: where a worker signs in to the Écusson web app (which then sets
    /// the `ecusson_token` cookie). The authorization page links to it when nobody is signed
    /// in.
    pub login_url: Option<String>,
    /// `ECUSSON_TERMS_URL`: the installation's terms of service, which the service description
    /// must name (`info.termsOfService`). Unset: the public site's address.
    pub terms_of_service_url: Option<String>,
    /// `ECUSSON_PRIVACY_URL`: the installation's privacy policy (`x-imssf-privacyPolicyUrl`).
    /// Unset: the public site's address.
    pub privacy_policy_url: Option<String>,
}

impl Ob3Settings {
    pub const LOGIN_URL: &'static str = "ECUSSON_LOGIN_URL";
    pub const TERMS_URL: &'static str = "ECUSSON_TERMS_URL";
    pub const PRIVACY_URL: &'static str = "ECUSSON_PRIVACY_URL";

    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests). Values that
    /// are not `http(s)` URLs are ignored with a warning: a page must never link elsewhere.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let url = |name: &'static str| {
            let value = lookup(name)?;
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            if is_http_url(value) {
                Some(value.to_owned())
            } else {
                tracing::warn!(setting = name, "ignored: not an http(s) URL");
                None
            }
        };
        Self {
            login_url: url(Self::LOGIN_URL),
            terms_of_service_url: url(Self::TERMS_URL),
            privacy_policy_url: url(Self::PRIVACY_URL),
        }
    }
}

fn is_http_url(value: &str) -> bool {
    reqwest::Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "https" | "http") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::Ob3Settings;
    use std::collections::HashMap;

    #[test]
    fn urls_are_read_and_anything_else_is_left_out() {
        let values = HashMap::from([
            (Ob3Settings::LOGIN_URL, "https://app.exemple.fr/connexion "),
            (Ob3Settings::TERMS_URL, "javascript:alert(1)"),
            (Ob3Settings::PRIVACY_URL, ""),
        ]);
        let settings = Ob3Settings::from_lookup(|name| values.get(name).map(|v| v.to_string()));
        assert_eq!(
            settings,
            Ob3Settings {
                login_url: Some("https://app.exemple.fr/connexion".into()),
                terms_of_service_url: None,
                privacy_policy_url: None,
            }
        );
        assert_eq!(Ob3Settings::from_lookup(|_| None), Ob3Settings::default());
    }
}
