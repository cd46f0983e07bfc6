//! The GraphQL API of Écusson over HTTP: bearer-token authentication, the schema (one
//! mutation per domain command, queries over aggregates and read models), and the server.

pub mod auth;
mod documents;
mod employability_http;
pub mod error;
pub mod issuer;
pub mod ob3_api;
pub mod public;
mod reports_http;
pub mod schema;
pub mod server;

pub use schema::{build_schema, sdl, ApiContext, EcussonSchema};
pub use server::{bind, serve_on, ServerState};

#[cfg(test)]
mod sdl_tests {
    /// The SDL under schema/graphql is what partner apps generate clients from: it must be
    /// exactly what the code serves. `ECUSSON_WRITE_SDL=1 cargo test -p ecusson-api sdl`
    /// rewrites it after a deliberate change of the schema.
    #[test]
    fn the_committed_sdl_is_the_schema_the_code_serves() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schema/graphql/ecusson.graphql");
        let served = crate::sdl();
        if std::env::var_os("ECUSSON_WRITE_SDL").is_some() {
            std::fs::write(&path, &served).expect("write the SDL file");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == served,
            "schema/graphql/ecusson.graphql differs from the schema in code; after a deliberate \
             change run `ECUSSON_WRITE_SDL=1 cargo test -p ecusson-api sdl` and commit the file"
        );
    }
}
