//! The consent form's token, against cross-site request forgery: another site must not be
//! able to make a signed-in worker's browser post "Autoriser" for an application of its
//! choosing.
//!
//! The token is an HMAC-SHA256 of everything the answer decides (the worker's tenant and id,
//! the client, its redirect URI, the scopes, the client's `state` and PKCE challenge) and of the
//! time the page was made, keyed by a hash of the worker's session token (the bearer JWT of
//! the `ecusson_token` cookie). Another site can read neither the cookie (HttpOnly) nor the
//! page, so it cannot compute a token; a token made for one person or one request does not fit
//! another; after [`LIFETIME`] it is refused.
//!
//! Keying with the session rather than with a random key of the process: `configure` runs
//! once per actix worker and several nodes may serve one installation, so a per-process key
//! would refuse the answer whenever another worker or node receives the POST than the one
//! that made the page. The session is the same secret wherever the worker's browser sends it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use ecusson_domain::{PersonId, TenantId};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long the worker has to answer.
pub(crate) const LIFETIME: Duration = Duration::minutes(10);

/// What the answer to the consent page decides.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConsentRequest<'a> {
    pub tenant: TenantId,
    pub person: PersonId,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub state: &'a str,
    pub code_challenge: &'a str,
}

fn mac(session: &str, request: &ConsentRequest<'_>, issued_at: i64) -> Hmac<Sha256> {
    let key = Sha256::new()
        .chain_update(b"ecusson/oauth-consent/v1\0")
        .chain_update(session.as_bytes())
        .finalize();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    let tenant = request.tenant.to_string();
    let person = request.person.to_string();
    let issued_at = issued_at.to_string();
    // Each field with its length first, so that no two requests encode alike.
    for field in [
        issued_at.as_str(),
        &tenant,
        &person,
        request.client_id,
        request.redirect_uri,
        request.scope,
        request.state,
        request.code_challenge,
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    mac
}

/// The token of the consent page made at `now` for `request`, in the session `session`.
pub(crate) fn issue(session: &str, request: &ConsentRequest<'_>, now: DateTime<Utc>) -> String {
    let issued_at = now.timestamp();
    let tag = mac(session, request, issued_at).finalize().into_bytes();
    format!("{issued_at}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// Whether `token` was made for this request in this session, less than [`LIFETIME`] ago.
pub(crate) fn check(
    token: &str,
    session: &str,
    request: &ConsentRequest<'_>,
    now: DateTime<Utc>,
) -> bool {
    let Some((issued_at, tag)) = token.split_once('.') else {
        return false;
    };
    let (Ok(issued_at), Ok(tag)) = (issued_at.parse::<i64>(), URL_SAFE_NO_PAD.decode(tag)) else {
        return false;
    };
    let Some(issued) = DateTime::<Utc>::from_timestamp(issued_at, 0) else {
        return false;
    };
    // A minute of tolerance for clocks of several nodes that disagree a little.
    let fresh = issued <= now + Duration::minutes(1) && now - issued <= LIFETIME;
    fresh && mac(session, request, issued_at).verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(tenant: TenantId, person: PersonId) -> ConsentRequest<'a> {
        ConsentRequest {
            tenant,
            person,
            client_id: "client",
            redirect_uri: "https://portefeuille.exemple.fr/retour",
            scope: "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly",
            state: "xyz",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        }
    }

    #[test]
    fn a_token_fits_its_session_and_request_for_ten_minutes() {
        let (tenant, person) = (TenantId::new(), PersonId::new());
        let now = Utc::now();
        let token = issue("session", &request(tenant, person), now);
        assert!(check(&token, "session", &request(tenant, person), now));
        let later = now + Duration::minutes(9);
        assert!(check(&token, "session", &request(tenant, person), later));
        let too_late = now + Duration::minutes(11);
        assert!(!check(
            &token,
            "session",
            &request(tenant, person),
            too_late
        ));
        let from_the_future = now - Duration::minutes(2);
        assert!(!check(
            &token,
            "session",
            &request(tenant, person),
            from_the_future
        ));
    }

    #[test]
    fn a_token_does_not_fit_another_session_person_or_request() {
        let (tenant, person) = (TenantId::new(), PersonId::new());
        let now = Utc::now();
        let token = issue("session", &request(tenant, person), now);
        assert!(!check(
            &token,
            "other session",
            &request(tenant, person),
            now
        ));
        assert!(!check(
            &token,
            "session",
            &request(tenant, PersonId::new()),
            now
        ));
        assert!(!check(
            &token,
            "session",
            &request(TenantId::new(), person),
            now
        ));
        let changes: [fn(&mut ConsentRequest<'_>); 5] = [
            |r| r.client_id = "other",
            |r| r.redirect_uri = "https://ailleurs.exemple/retour",
            |r| r.scope = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly",
            |r| r.state = "abc",
            |r| r.code_challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ];
        for change in changes {
            let mut other = request(tenant, person);
            change(&mut other);
            assert!(!check(&token, "session", &other, now));
        }
        // Moving bytes from one field to the next does not give the same token.
        let mut shifted = request(tenant, person);
        shifted.client_id = "clien";
        let shifted_uri = format!("t{}", request(tenant, person).redirect_uri);
        shifted.redirect_uri = &shifted_uri;
        assert!(!check(&token, "session", &shifted, now));
    }

    #[test]
    fn a_tampered_or_malformed_token_is_refused() {
        let (tenant, person) = (TenantId::new(), PersonId::new());
        let now = Utc::now();
        let token = issue("session", &request(tenant, person), now);
        let (issued, tag) = token.split_once('.').unwrap();
        let earlier = format!("{}.{tag}", issued.parse::<i64>().unwrap() - 1);
        assert!(!check(&earlier, "session", &request(tenant, person), now));
        for bad in [
            "",
            ".",
            "abc",
            "1.",
            &format!("{issued}.AAAA"),
            &format!("x.{tag}"),
        ] {
            assert!(
                !check(bad, "session", &request(tenant, person), now),
                "{bad}"
            );
        }
    }
}
