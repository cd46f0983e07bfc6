//! The Open Badges scopes this server grants, and how requested scope strings are read.
//!
//! Served: `credential.readonly` (getCredentials) and `profile.readonly` (getProfile). The
//! write scopes (`credential.upsert`, `profile.update`) name operations this issuer does not
//! offer (see the module above). A scope this server does not know (`offline_access`, in the
//! spec's own examples, or a write scope) is left out of what is granted rather than refused,
//! as RFC 6749 §3.3 allows: the answer's `scope` says what was granted. A scope it knows but
//! that goes beyond what the client registered, or what the earner granted, is `invalid_scope`.

use ecusson_pages::authorization_page::Access;

pub(crate) const CREDENTIAL_READONLY: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
pub(crate) const PROFILE_READONLY: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";

/// A scope this server grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope {
    CredentialReadonly,
    ProfileReadonly,
}

impl Scope {
    pub(crate) const ALL: [Scope; 2] = [Scope::CredentialReadonly, Scope::ProfileReadonly];

    pub(crate) fn uri(self) -> &'static str {
        match self {
            Scope::CredentialReadonly => CREDENTIAL_READONLY,
            Scope::ProfileReadonly => PROFILE_READONLY,
        }
    }

    /// What the service description says of it.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Scope::CredentialReadonly => {
                "Permission to read the OpenBadgeCredentials of the authenticated earner."
            }
            Scope::ProfileReadonly => "Permission to read the profile of the authenticated earner.",
        }
    }

    /// What the earner is asked to let the application see.
    pub(crate) fn access(self) -> Access {
        match self {
            Scope::CredentialReadonly => Access::Badges,
            Scope::ProfileReadonly => Access::Name,
        }
    }

    fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.uri() == uri)
    }
}

/// A set of served scopes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scopes {
    credential_readonly: bool,
    profile_readonly: bool,
}

impl Scopes {
    pub(crate) fn contains(self, scope: Scope) -> bool {
        match scope {
            Scope::CredentialReadonly => self.credential_readonly,
            Scope::ProfileReadonly => self.profile_readonly,
        }
    }

    fn insert(&mut self, scope: Scope) {
        match scope {
            Scope::CredentialReadonly => self.credential_readonly = true,
            Scope::ProfileReadonly => self.profile_readonly = true,
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        !self.credential_readonly && !self.profile_readonly
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// Every scope of `self` is in `other`.
    pub(crate) fn is_within(self, other: Scopes) -> bool {
        self.iter().all(|scope| other.contains(scope))
    }

    /// The served scopes named in a space-separated scope string, the others left out; `None`
    /// when the string is malformed (RFC 6749 §3.3: scope tokens of printable ASCII without
    /// `"` or `\`, separated by spaces).
    pub(crate) fn parse(text: &str) -> Option<Scopes> {
        let mut scopes = Scopes::default();
        for token in text.split(' ').filter(|token| !token.is_empty()) {
            let well_formed = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
            if !well_formed {
                return None;
            }
            if let Some(scope) = Scope::from_uri(token) {
                scopes.insert(scope);
            }
        }
        Some(scopes)
    }

    /// The scope string, in a fixed order.
    pub(crate) fn to_text(self) -> String {
        self.iter().map(Scope::uri).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_scopes_are_kept_and_others_left_out() {
        let scopes = Scopes::parse(&format!(
            "{PROFILE_READONLY} offline_access  {CREDENTIAL_READONLY}"
        ))
        .unwrap();
        assert!(scopes.contains(Scope::CredentialReadonly));
        assert!(scopes.contains(Scope::ProfileReadonly));
        assert_eq!(
            scopes.to_text(),
            format!("{CREDENTIAL_READONLY} {PROFILE_READONLY}")
        );
        let upsert = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
        assert!(Scopes::parse(upsert).unwrap().is_empty());
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn malformed_scope_strings_are_refused() {
        for bad in ["a\"b", "a\\b", "a\tb", "é"] {
            assert_eq!(Scopes::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn within_compares_sets() {
        let credentials = Scopes::parse(CREDENTIAL_READONLY).unwrap();
        let both = Scopes::parse(&format!("{CREDENTIAL_READONLY} {PROFILE_READONLY}")).unwrap();
        assert!(credentials.is_within(both));
        assert!(!both.is_within(credentials));
        assert!(Scopes::default().is_within(credentials));
    }
}
