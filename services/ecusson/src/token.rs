//! `ecusson token`: prints a development bearer token for the API, signed (HS256) with the
//! development secret. The secret follows the API's rules (`AuthSettings::from_env`):
//! `ECUSSON_DEV_SECRET` when set, else the secret file, created on first use; with
//! `ECUSSON_JWKS` set, only an explicit `ECUSSON_DEV_SECRET` will do.
//!
//! The token alone goes to standard output, so that `TOKEN=$(ecusson token ...)` works; what it
//! grants goes to standard error.

use crate::cli::TokenOptions;
use anyhow::{anyhow, Context};
use ecusson_api::auth::{mint_dev_token, role_name, AuthSettings, KNOWN_ROLES};
use ecusson_domain::{PersonId, Role, TenantId};
use std::process::ExitCode;

/// The longest lifetime `--ttl` accepts.
const MAX_TTL: chrono::Duration = chrono::Duration::days(30);

pub fn run(options: TokenOptions) -> anyhow::Result<ExitCode> {
    let settings = AuthSettings::from_env(&options.dev_secret_file)
        .context("reading the authentication settings")?;
    let minted = mint(&options, &settings)?;
    eprintln!(
        "development token for person {} in tenant {}, roles {}, valid until {}",
        minted.subject,
        options.tenant,
        options
            .roles
            .iter()
            .map(|role| role_name(*role))
            .collect::<Vec<_>>()
            .join(", "),
        minted.expires_at.to_rfc3339(),
    );
    println!("{}", minted.token);
    Ok(ExitCode::SUCCESS)
}

struct Minted {
    token: String,
    subject: PersonId,
    expires_at: chrono::DateTime<chrono::Utc>,
}

fn mint(options: &TokenOptions, settings: &AuthSettings) -> anyhow::Result<Minted> {
    let secret = settings.dev_secret.as_ref().ok_or_else(|| {
        anyhow!("ECUSSON_JWKS is set: development tokens need ECUSSON_DEV_SECRET to be set too")
    })?;
    // Not `unwrap_or_default`: the default `PersonId` is the nil UUID, not a fresh one.
    let subject = match options.sub {
        Some(uuid) => PersonId(uuid),
        None => PersonId::new(),
    };
    let expires_at = chrono::Utc::now() + options.ttl;
    let token = mint_dev_token(
        secret,
        &settings.issuer,
        &settings.audience,
        TenantId(options.tenant),
        &options.roles,
        subject,
        options.ttl,
    )
    .context("signing the token")?;
    Ok(Minted {
        token,
        subject,
        expires_at,
    })
}

/// `--role`: a role by its snake_case name.
pub fn parse_role(text: &str) -> Result<Role, String> {
    ecusson_api::auth::parse_role(text.trim()).ok_or_else(|| {
        let valid: Vec<String> = KNOWN_ROLES.iter().map(|role| role_name(*role)).collect();
        format!("unknown role {text:?}; valid roles: {}", valid.join(", "))
    })
}

/// `--ttl`: a whole number and a unit, `s`, `m`, `h` or `d` (`30m`, `1h`, `8h`, `1d`), more than
/// zero and at most 30 days.
pub fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let not_a_duration = || {
        format!("{text:?} is not a duration: write a whole number and a unit (s, m, h, d), like 30m, 1h, 8h or 1d")
    };
    let digits_end = text
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let amount: i64 = number.parse().map_err(|_| not_a_duration())?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(not_a_duration()),
    };
    let too_long = || format!("{text:?} is too long: a development token lives at most 30 days");
    let seconds = amount.checked_mul(unit_seconds).ok_or_else(too_long)?;
    if seconds == 0 {
        return Err(format!(
            "{text:?}: the lifetime of a token must be more than zero"
        ));
    }
    if seconds > MAX_TTL.num_seconds() {
        return Err(too_long());
    }
    Ok(chrono::Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use ecusson_api::auth::{Authenticator, DevSecret, JwksSource};

    #[test]
    fn ttls_in_seconds_minutes_hours_and_days() {
        assert_eq!(parse_ttl("30m"), Ok(chrono::Duration::minutes(30)));
        assert_eq!(parse_ttl("1h"), Ok(chrono::Duration::hours(1)));
        assert_eq!(parse_ttl("8h"), Ok(chrono::Duration::hours(8)));
        assert_eq!(parse_ttl("1d"), Ok(chrono::Duration::days(1)));
        assert_eq!(parse_ttl("90s"), Ok(chrono::Duration::seconds(90)));
        assert_eq!(parse_ttl(" 30d "), Ok(chrono::Duration::days(30)));
        assert_eq!(parse_ttl("720h"), Ok(chrono::Duration::days(30)));
    }

    #[test]
    fn ttls_beyond_30_days_are_refused() {
        for text in ["31d", "721h", "2592001s", "99999999999999999d"] {
            let error = parse_ttl(text).unwrap_err();
            assert!(error.contains("at most 30 days"), "{text}: {error}");
        }
    }

    #[test]
    fn ttls_that_are_not_durations_are_refused() {
        for text in ["", "h", "1", "1w", "1.5h", "-1h", "1 h", "1H", "one hour"] {
            let error = parse_ttl(text).unwrap_err();
            assert!(error.contains("is not a duration"), "{text}: {error}");
        }
        assert!(parse_ttl("0m").unwrap_err().contains("more than zero"));
    }

    #[test]
    fn roles_parse_from_their_snake_case_names() {
        assert_eq!(parse_role("counsellor"), Ok(Role::Counsellor));
        assert_eq!(parse_role("network_admin"), Ok(Role::NetworkAdmin));
        let error = parse_role("boss").unwrap_err();
        assert!(error.starts_with("unknown role \"boss\""), "{error}");
        for name in [
            "network_admin",
            "structure_admin",
            "counsellor",
            "technical_supervisor",
            "direction",
            "committee_member",
            "earner",
            "funder",
        ] {
            assert!(error.contains(name), "{error} lacks {name}");
        }
    }

    fn parse_options(arguments: &[&str]) -> Result<TokenOptions, clap::Error> {
        let command = ["ecusson", "token"].iter().chain(arguments);
        match Cli::try_parse_from(command)?.command {
            Command::Token(options) => Ok(options),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn the_command_line_reads_roles_subject_and_lifetime() {
        let tenant = uuid::Uuid::new_v4();
        let subject = uuid::Uuid::new_v4();
        let options = parse_options(&[
            "--tenant",
            &tenant.to_string(),
            "--role",
            "counsellor",
            "--role",
            "committee_member",
            "--sub",
            &subject.to_string(),
            "--ttl",
            "30m",
        ])
        .unwrap();
        assert_eq!(options.tenant, tenant);
        assert_eq!(options.roles, [Role::Counsellor, Role::CommitteeMember]);
        assert_eq!(options.sub, Some(subject));
        assert_eq!(options.ttl, chrono::Duration::minutes(30));

        let defaults =
            parse_options(&["--tenant", &tenant.to_string(), "--role", "earner"]).unwrap();
        assert_eq!(defaults.sub, None);
        assert_eq!(defaults.ttl, chrono::Duration::hours(1));
    }

    #[test]
    fn the_command_line_refuses_bad_roles_tenants_and_missing_roles() {
        let tenant = uuid::Uuid::new_v4().to_string();
        let error = parse_options(&["--tenant", &tenant, "--role", "boss"]).unwrap_err();
        assert!(
            error.to_string().contains("valid roles: network_admin"),
            "{error}"
        );
        let error = parse_options(&["--tenant", "structure-1", "--role", "earner"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
        let error = parse_options(&["--tenant", &tenant]).unwrap_err();
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        let error =
            parse_options(&["--tenant", &tenant, "--role", "earner", "--ttl", "45d"]).unwrap_err();
        assert!(error.to_string().contains("at most 30 days"), "{error}");
    }

    fn options(sub: Option<uuid::Uuid>) -> TokenOptions {
        TokenOptions {
            tenant: uuid::Uuid::new_v4(),
            roles: vec![Role::StructureAdmin, Role::Direction],
            sub,
            ttl: chrono::Duration::hours(8),
            dev_secret_file: "unused".into(),
        }
    }

    #[tokio::test]
    async fn a_minted_token_passes_the_api_authenticator() {
        let settings = AuthSettings::development(DevSecret::generate());
        let authenticator = Authenticator::new(settings.clone()).await.unwrap();
        for sub in [None, Some(uuid::Uuid::new_v4())] {
            let options = options(sub);
            let minted = mint(&options, &settings).unwrap();
            let principal = authenticator.authenticate(&minted.token).unwrap();
            assert_eq!(principal.tenant, TenantId(options.tenant));
            assert_eq!(principal.roles, options.roles);
            assert_eq!(principal.subject, minted.subject);
            if let Some(sub) = sub {
                assert_eq!(principal.subject, PersonId(sub));
            }
            let lifetime = principal.expires_at - chrono::Utc::now();
            assert!(
                lifetime > chrono::Duration::hours(8) - chrono::Duration::minutes(1)
                    && lifetime <= chrono::Duration::hours(8),
                "{lifetime}"
            );
        }
        // Each token without --sub names a fresh person.
        let first = mint(&options(None), &settings).unwrap().subject;
        let second = mint(&options(None), &settings).unwrap().subject;
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_token_signed_with_another_secret_is_refused() {
        let settings = AuthSettings::development(DevSecret::generate());
        let authenticator = Authenticator::new(AuthSettings::development(DevSecret::generate()))
            .await
            .unwrap();
        let minted = mint(&options(None), &settings).unwrap();
        assert!(authenticator.authenticate(&minted.token).is_err());
    }

    #[test]
    fn with_a_jwks_and_no_explicit_secret_no_token_is_minted() {
        let settings = AuthSettings {
            dev_secret: None,
            jwks: Some(JwksSource::parse("https://id.example/jwks")),
            ..AuthSettings::development(DevSecret::generate())
        };
        let error = mint(&options(None), &settings).err().unwrap();
        assert!(error.to_string().contains("ECUSSON_DEV_SECRET"), "{error}");
    }
}
