//! Which URLs may become links or image sources: absolute `http`/`https` URLs only.
//!
//! Evidence links are typed by workers and staff; a `javascript:` or `data:` URL in an `href`
//! would run in the page's origin or show forged content under its address. Escaping does not
//! help there (the attribute is well-formed, the scheme is the danger), so anything that is not
//! plainly `http://` or `https://` is shown as text instead. Browsers drop tabs and newlines
//! inside URLs, and some strip leading control characters, so a URL with any whitespace or
//! control character is refused rather than interpreted.

/// The URL, trimmed, when it is an absolute `http` or `https` URL with a host; `None` otherwise.
pub(crate) fn http_url(candidate: &str) -> Option<&str> {
    let url = candidate.trim();
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let host_is_present = !rest.is_empty() && !rest.starts_with(['/', '?', '#']);
    host_is_present.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::http_url;

    #[test]
    fn http_and_https_urls_are_kept() {
        assert_eq!(
            http_url("https://exemple.fr/a?b=c#d"),
            Some("https://exemple.fr/a?b=c#d")
        );
        assert_eq!(http_url("  HTTP://exemple.fr "), Some("HTTP://exemple.fr"));
    }

    #[test]
    fn other_schemes_and_disguises_are_refused() {
        for hostile in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "\u{1}https://exemple.fr",
            "https://exem ple.fr",
            "https://",
            "https:///chemin",
            "//exemple.fr",
            "exemple.fr",
            "ftp://exemple.fr",
            "",
        ] {
            assert_eq!(http_url(hostile), None, "{hostile:?}");
        }
    }
}
