//! The Service Description Document (`GET /ims/ob/v3p0/discovery`, no authentication): the
//! spec's OpenAPI 3.0 file profiled to what this server offers, with 1EdTech's `x-imssf-*`
//! extensions: the installation's name, terms and privacy policy, and the OAuth 2.0
//! authorization-code scheme (`OAuth2ACG`) with its registration, authorization, token and
//! refresh URLs and the scopes granted. The revocation endpoint (RFC 7009), which the spec asks
//! client and server to "share" without saying where, is named by `x-ecusson-revocationUrl`.

use super::paths;
use super::scope::Scope;
use super::settings::Ob3Settings;
use crate::server::ServerState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

/// The name the document and the authorization scheme give the resource server.
const SERVER_NAME: &str = "Écusson";

pub(crate) async fn service_description(
    state: web::Data<ServerState>,
    settings: web::Data<Ob3Settings>,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(document(state.site.base(), &settings))
}

/// The document for the installation published at `base`.
pub(crate) fn document(base: &str, settings: &Ob3Settings) -> Value {
    let url = |path: &str| format!("{base}{path}");
    let terms = settings
        .terms_of_service_url
        .clone()
        .unwrap_or_else(|| base.to_owned());
    let privacy = settings
        .privacy_policy_url
        .clone()
        .unwrap_or_else(|| base.to_owned());
    let scopes: Map<String, Value> = Scope::ALL
        .into_iter()
        .map(|scope| (scope.uri().to_owned(), Value::from(scope.description())))
        .collect();
    let status = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Imsx_StatusInfo"}}}
        })
    };
    let errors = |mut responses: Map<String, Value>| {
        for (code, description) in [
            (
                "400",
                "The request is malformed (see the status's description).",
            ),
            ("401", "No valid access token."),
            (
                "403",
                "The access token was not granted the scope of the operation.",
            ),
            ("405", "The method is not allowed."),
            ("500", "The server could not answer."),
            ("default", "The request was invalid or cannot be served."),
        ] {
            responses.insert(code.to_owned(), status(description));
        }
        Value::Object(responses)
    };
    let credentials_ok = json!({
        "description": "The earner's OpenBadgeCredentials, a page of them.",
        "headers": {
            "X-Total-Count": {
                "description": "How many credentials match the request, over all pages.",
                "schema": {"type": "integer", "minimum": 0}
            },
            "Link": {
                "description": "The first, last, next and previous pages (RFC 8288).",
                "schema": {"type": "string"}
            }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GetOpenBadgeCredentialsResponse"}}}
    });
    let profile_ok = json!({
        "description": "The earner's profile.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}
    });
    json!({
        "openapi": "3.0.1",
        "info": {
            "title": SERVER_NAME,
            "description": "Open Badges 3.0 API of an Écusson ledger: the earners' badges, for the \
                            wallets and hosts they authorize.",
            "version": "3.0",
            "termsOfService": terms,
            "x-imssf-privacyPolicyUrl": privacy,
        },
        "servers": [{"url": url("/ims/ob/v3p0"), "description": SERVER_NAME}],
        "tags": [
            {"name": "OpenBadgeCredentials", "description": "Exchange OpenBadgeCredentials."},
            {"name": "Profile", "description": "The earner's profile."},
            {"name": "Discovery", "description": "This document."}
        ],
        "paths": {
            "/credentials": {
                "get": {
                    "tags": ["OpenBadgeCredentials"],
                    "summary": "The OpenBadgeCredentials of the authenticated earner.",
                    "operationId": "getCredentials",
                    "parameters": [
                        {"name": "limit", "in": "query", "required": false,
                         "description": "The maximum number of OpenBadgeCredentials to return per page (at most 100).",
                         "schema": {"type": "integer", "format": "int32", "minimum": 1}},
                        {"name": "offset", "in": "query", "required": false,
                         "description": "The index of the first OpenBadgeCredential to return (zero indexed).",
                         "schema": {"type": "integer", "format": "int32", "minimum": 0}},
                        {"name": "since", "in": "query", "required": false,
                         "description": "Only include OpenBadgeCredentials issued after this timestamp.",
                         "schema": {"type": "string", "format": "date-time"}}
                    ],
                    "responses": errors(Map::from_iter([("200".to_owned(), credentials_ok)])),
                    "security": [{"OAuth2ACG": [Scope::CredentialReadonly.uri()]}]
                }
            },
            "/profile": {
                "get": {
                    "tags": ["Profile"],
                    "summary": "The profile of the authenticated earner.",
                    "operationId": "getProfile",
                    "responses": errors(Map::from_iter([
                        ("200".to_owned(), profile_ok),
                        ("404".to_owned(), status("No profile for this earner.")),
                    ])),
                    "security": [{"OAuth2ACG": [Scope::ProfileReadonly.uri()]}]
                }
            },
            "/discovery": {
                "get": {
                    "tags": ["Discovery"],
                    "summary": "This Service Description Document.",
                    "operationId": "getServiceDescription",
                    "responses": {
                        "200": {
                            "description": "The Service Description Document.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceDescriptionDocument"}}}
                        },
                        "default": status("The request was invalid or cannot be served.")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant authorization, with PKCE (S256).",
                    "x-imssf-name": SERVER_NAME,
                    "x-imssf-privacyPolicyUrl": privacy,
                    "x-imssf-termsOfServiceUrl": terms,
                    "x-imssf-registrationUrl": url(paths::REGISTER),
                    "x-ecusson-revocationUrl": url(paths::REVOKE),
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": url(paths::AUTHORIZE),
                            "tokenUrl": url(paths::TOKEN),
                            "refreshUrl": url(paths::TOKEN),
                            "scopes": scopes
                        }
                    }
                }
            },
            "schemas": schemas()
        }
    })
}

/// The data models the operations answer with, profiled: credentials are described by
/// 1EdTech's own JSON Schema, which OpenAPI 3.0 cannot embed.
fn schemas() -> Value {
    json!({
        "GetOpenBadgeCredentialsResponse": {
            "type": "object",
            "properties": {
                "credential": {
                    "type": "array",
                    "description": "OpenBadgeCredentials signed with a Data Integrity proof (eddsa-rdfc-2022).",
                    "items": {"$ref": "#/components/schemas/AchievementCredential"}
                },
                "compactJwsString": {
                    "type": "array",
                    "description": "OpenBadgeCredentials signed with the VC-JWT proof format.",
                    "items": {"type": "string", "pattern": "^[^.]+\\.[^.]+\\.[^.]+$"}
                }
            },
            "additionalProperties": false
        },
        "AchievementCredential": {
            "type": "object",
            "description": "See https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject"],
            "additionalProperties": true
        },
        "Profile": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"type": "string", "format": "uri"},
                "type": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "name": {"type": "string"}
            },
            "additionalProperties": true
        },
        "Imsx_StatusInfo": {
            "type": "object",
            "required": ["imsx_codeMajor", "imsx_severity"],
            "properties": {
                "imsx_codeMajor": {"type": "string", "enum": ["failure", "processing", "success", "unsupported"]},
                "imsx_severity": {"type": "string", "enum": ["error", "status", "warning"]},
                "imsx_description": {"type": "string"},
                "imsx_codeMinor": {
                    "type": "object",
                    "required": ["imsx_codeMinorField"],
                    "properties": {
                        "imsx_codeMinorField": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                                "properties": {
                                    "imsx_codeMinorFieldName": {"type": "string"},
                                    "imsx_codeMinorFieldValue": {"type": "string", "enum": [
                                        "forbidden", "fullsuccess", "internal_server_error", "invalid_data",
                                        "invalid_query_parameter", "misdirected_request", "not_acceptable",
                                        "not_allowed", "not_found", "not_modified", "server_busy",
                                        "unauthorizedrequest", "unknown"
                                    ]}
                                }
                            }
                        }
                    }
                }
            },
            "additionalProperties": false
        },
        "ServiceDescriptionDocument": {
            "type": "object",
            "required": ["openapi", "info", "components"],
            "additionalProperties": true
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_the_installation_and_its_oauth_endpoints() {
        let settings = Ob3Settings {
            terms_of_service_url: Some("https://badges.exemple.fr/conditions".into()),
            ..Ob3Settings::default()
        };
        let document = document("https://badges.exemple.fr", &settings);
        assert_eq!(
            document["info"]["termsOfService"],
            "https://badges.exemple.fr/conditions"
        );
        // Unset, the privacy policy is the public site's address.
        assert_eq!(
            document["info"]["x-imssf-privacyPolicyUrl"],
            "https://badges.exemple.fr"
        );
        let scheme = &document["components"]["securitySchemes"]["OAuth2ACG"];
        assert_eq!(
            scheme["x-imssf-registrationUrl"],
            "https://badges.exemple.fr/oauth/register"
        );
        let flow = &scheme["flows"]["authorizationCode"];
        assert_eq!(
            flow["authorizationUrl"],
            "https://badges.exemple.fr/oauth/authorize"
        );
        assert_eq!(flow["tokenUrl"], "https://badges.exemple.fr/oauth/token");
        assert_eq!(flow["refreshUrl"], "https://badges.exemple.fr/oauth/token");
        let scopes: Vec<&String> = flow["scopes"].as_object().unwrap().keys().collect();
        assert_eq!(
            scopes,
            [
                "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly",
                "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly",
            ]
        );
        // Every reference points at a schema the document defines.
        let text = document.to_string();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{name}"
            );
        }
    }
}
