//! The command line: subcommands, options and their environment variables.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ecusson",
    version,
    about = "Écusson: an event-sourced ledger of Open Badges for work-integration networks"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Log format on standard error.
    #[arg(long, global = true, env = "ECUSSON_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (the embedded default, created on first use) or `postgres://...`.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = ecusson_store::DatabaseUrl::DEFAULT)]
    pub database_url: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Creates the database if needed and applies pending migrations.
    Migrate,
    /// Walks each tenant's log and checks its hash chain; exits with status 1 on the first
    /// mismatch and reports its position.
    VerifyLog {
        /// Check only this tenant (default: every tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// One JSON object per tenant on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Read-model projections.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Loads a generated demonstration network (fictional people) into the database.
    Demo {
        /// Seed of the generator: the same seed gives the same history.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The vault's key file (created on first use); `ECUSSON_VAULT_KEY` (base64) wins.
        #[arg(
            long,
            env = "ECUSSON_VAULT_KEY_FILE",
            default_value = "ecusson.vault-key"
        )]
        vault_key_file: std::path::PathBuf,
    },
    /// Benchmarks that print events/s and latency percentiles.
    Bench {
        #[command(subcommand)]
        bench: BenchKind,
    },
    /// Prints a development bearer token for the API, signed with the development secret.
    Token(TokenOptions),
    /// Serves the GraphQL API (runs pending migrations first; projections run in-process).
    Serve(ServeArgs),
    /// Checks an Open Badges 3.0 credential (JSON, VC-JWT, or a baked PNG or SVG) from a file
    /// or an http(s) URL: proof, issuer key, status, validity dates, each check explained in
    /// French and English. Exits with 0 when valid, 1 when not.
    Verify {
        /// A file path or an http(s) URL.
        source: String,
        /// The report as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// The network's issuer keys (Ed25519 for Data Integrity proofs, P-256 for VC-JWTs): the
    /// private halves encrypted by the vault key, the public halves and their history in the
    /// log.
    Keys {
        /// The network (its tenant id).
        #[arg(long, global = true)]
        network: Option<String>,
        /// The vault's key file (created on first use); `ECUSSON_VAULT_KEY` (base64) wins.
        #[arg(
            long,
            global = true,
            env = "ECUSSON_VAULT_KEY_FILE",
            default_value = "ecusson.vault-key"
        )]
        vault_key_file: std::path::PathBuf,
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The verifiable audit trail: each tenant's Merkle tree over its events and the
    /// checkpoints its network's audit key signs; bundles a funder checks offline.
    Audit {
        /// The vault's key file (the audit keys derive from it); `ECUSSON_VAULT_KEY` (base64)
        /// wins.
        #[arg(
            long,
            global = true,
            env = "ECUSSON_VAULT_KEY_FILE",
            default_value = "ecusson.vault-key"
        )]
        vault_key_file: std::path::PathBuf,
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Baked badge images.
    Badge {
        #[command(subcommand)]
        command: BadgeCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Seals every tenant's new events (or one tenant's) now and signs a checkpoint; exits
    /// with status 1 when a log does not match what was sealed, naming the position.
    Seal {
        #[arg(long)]
        tenant: Option<String>,
        /// The public address the origin of a tenant's first checkpoint names.
        #[arg(
            long,
            env = "ECUSSON_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// Writes a tenant's self-contained bundle (JSON Lines): its events with their canonical
    /// bytes, the signed checkpoints with the consistency proofs between them, the network's
    /// verifier key.
    Export {
        #[arg(long)]
        tenant: String,
        /// The last event to include (default: every event).
        #[arg(long)]
        until: Option<u64>,
        /// The file to write (default: standard output).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Checks a bundle offline, without any database: every signature, every consistency
    /// proof, every event's hash and the tree of the events against every checkpoint. Exits
    /// with 0 when it holds, 1 when not (naming the line and the position).
    Verify {
        bundle: std::path::PathBuf,
        /// The verifier key to trust (`ecusson-audit/<network>+<id>+<key>`, as the network
        /// published it); without it the bundle's own key is used, and said so.
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Prints a network's verifier key.
    Key {
        #[arg(long)]
        network: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Generates the network's first issuer key.
    Generate,
    /// Generates a new key that replaces the active one (which stays published).
    Rotate,
    /// Marks a key compromised: what it signed from `--compromised-since` on fails verification.
    Revoke {
        /// The key's id.
        #[arg(long)]
        key: String,
        /// RFC 3339 instant from which the key is not to be trusted (default: now).
        #[arg(long)]
        compromised_since: Option<String>,
        /// `key-compromise` (default) or `superseded`.
        #[arg(long, default_value = "key-compromise")]
        reason: String,
    },
    /// Lists every key ever used, with its state.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BadgeCommand {
    /// Prints what a baked PNG or SVG carries (an OB 2.0 assertion or an OB 3.0 credential).
    Extract {
        /// The image file.
        file: std::path::PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "ECUSSON_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The public address of this installation (`https://badges.example`): signed credentials
    /// and badge pages name it, so it must not change once credentials are issued. Default:
    /// `http://<listen address>`, for a development machine.
    #[arg(long, env = "ECUSSON_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The audit sealer signs a tenant's checkpoint once this many events wait...
    #[arg(long, env = "ECUSSON_SEAL_EVERY_EVENTS", default_value_t = 1_000)]
    pub seal_every_events: u64,
    /// ...or once the oldest waiting event has waited this many seconds.
    #[arg(long, env = "ECUSSON_SEAL_EVERY_SECONDS", default_value_t = 60)]
    pub seal_every_seconds: u64,
    /// Days the access log of personal data is kept before `serve` purges it (the CNIL's
    /// guidance for access logs: six months to a year).
    #[arg(long, env = "ECUSSON_ACCESS_LOG_RETENTION_DAYS", default_value_t = ecusson_store::access_log::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub access_log_retention_days: u32,
    /// Do not run the projections here (run `ecusson projections run` elsewhere).
    #[arg(long)]
    pub no_projections: bool,
    /// Load the demonstration network into an empty database first, and print a development
    /// token for each role (on a database that holds the demo already, just the tokens).
    #[arg(long)]
    pub demo: bool,
    /// The vault's key file (created on first use): the key that wraps each person's key of
    /// personal data. `ECUSSON_VAULT_KEY` (base64) wins.
    #[arg(
        long,
        env = "ECUSSON_VAULT_KEY_FILE",
        default_value = "ecusson.vault-key"
    )]
    pub vault_key_file: std::path::PathBuf,
    /// The development secret's file (created on first use) when no JWKS is configured;
    /// `ECUSSON_DEV_SECRET` (base64) wins.
    #[arg(
        long,
        env = "ECUSSON_DEV_SECRET_FILE",
        default_value = "ecusson.dev-secret"
    )]
    pub dev_secret_file: std::path::PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct TokenOptions {
    /// The tenant the token acts in (UUID of a structure or of the network).
    #[arg(long, value_name = "UUID")]
    pub tenant: uuid::Uuid,
    /// A role of the bearer (repeat for several): network_admin, structure_admin, counsellor,
    /// technical_supervisor, direction, committee_member, earner, funder, recommender.
    #[arg(
        long = "role",
        value_name = "ROLE",
        required = true,
        value_parser = crate::token::parse_role
    )]
    pub roles: Vec<ecusson_domain::Role>,
    /// The bearer's person id (default: a fresh random UUID).
    #[arg(long, value_name = "UUID")]
    pub sub: Option<uuid::Uuid>,
    /// Lifetime of the token: `30m`, `1h`, `8h`, `1d`... at most 30 days.
    #[arg(long, default_value = "1h", value_parser = crate::token::parse_ttl)]
    pub ttl: chrono::Duration,
    /// The development secret's file (created on first use); `ECUSSON_DEV_SECRET` (base64) wins.
    #[arg(
        long,
        env = "ECUSSON_DEV_SECRET_FILE",
        default_value = "ecusson.dev-secret"
    )]
    pub dev_secret_file: std::path::PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum ProjectionsCommand {
    /// Clears a projection (or all) and replays the whole log into it, with a progress bar.
    Rebuild {
        /// The projection to rebuild (default: all).
        name: Option<String>,
    },
    /// Runs every projection until caught up, then keeps following the log until Ctrl-C.
    /// Several instances (and `serve`) may run on one database: a database lock lets one
    /// worker at a time work on each projection, the others stand by.
    Run {
        /// Stop once caught up instead of following.
        #[arg(long)]
        once: bool,
    },
    /// Prints each projection's checkpoint and lag.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug, Clone)]
pub struct BenchOptions {
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// Total number of events.
    #[arg(long, default_value_t = 100_000)]
    pub events: usize,
    /// Events per append (one transaction).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Tenants the events are spread over.
    #[arg(long, default_value_t = 100)]
    pub tenants: usize,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct AuditBenchOptions {
    /// Events in the tenant's log.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Events per append while loading (untimed).
    #[arg(long, default_value_t = 1_000)]
    pub batch: usize,
    /// Events per seal (what the sealer's `max_events` would be).
    #[arg(long, default_value_t = 100_000)]
    pub seal_batch: u64,
    /// Inclusion proofs to time.
    #[arg(long, default_value_t = 2_000)]
    pub proofs: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ReportBenchOptions {
    /// Events in the generated history.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Structures of the network.
    #[arg(long, default_value_t = 24)]
    pub tenants: usize,
    /// Live reports to time.
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
}

#[derive(Subcommand, Debug)]
pub enum BenchKind {
    /// Appends domain events (`--batch` per transaction) from `--writers` concurrent writers.
    Append(BenchOptions),
    /// Loads `--events` events, then reads the whole cross-tenant feed and decodes every event.
    Replay(BenchOptions),
    /// Loads a generated history of `--events` events, then rebuilds the three read models.
    Rebuild(BenchOptions),
    /// The GraphQL API over HTTP, in-process with its projections: the requestBadge mutation
    /// mix and the badge-history query mix over keep-alive connections, and the store's
    /// single-event append rate on the same pool for comparison. Needs an empty database.
    Http(HttpBenchOptions),
    /// The audit trail at scale on one tenant: sealing rate, inclusion proof time, bundle
    /// export and offline verification, verify-log.
    Audit(AuditBenchOptions),
    /// Report latency on a generated network history: the network-wide report live from the
    /// read model, and replayed "as of" the end of the history.
    Reports(ReportBenchOptions),
    /// Open Badges 3.0 credentials signed per second (eddsa-rdfc-2022 and VC-JWT ES256).
    Sign(CredentialBenchOptions),
    /// Open Badges 3.0 credentials verified per second (eddsa-rdfc-2022 and VC-JWT ES256).
    Verify(CredentialBenchOptions),
}

#[derive(Args, Debug, Clone)]
pub struct CredentialBenchOptions {
    /// Measured seconds of each form.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// The folder of Digital Bazaar's implementation (`bench.mjs` and its node_modules,
    /// e.g. services/ecusson-badges/interop/node): measures it too, in the same run.
    #[arg(long)]
    pub reference: Option<std::path::PathBuf>,
    /// A JSON summary on standard output too.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct HttpBenchOptions {
    /// Concurrent keep-alive HTTP/1.1 connections (one client each); also the store run's
    /// concurrent writers.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Measured seconds of each mix and of the store's append run.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Which mix to run.
    #[arg(long, value_enum, default_value_t = HttpMix::Both)]
    pub mix: HttpMix,
    /// Structures that validate systematically and take the requests (the generated network
    /// has three times as many structures); the store run spreads over as many tenants.
    #[arg(long, default_value_t = 8)]
    pub tenants: usize,
    /// Workers of the generated history (requests, decisions, awards...) whose badge history
    /// the query mix reads.
    #[arg(long, default_value_t = 1_200)]
    pub earners: usize,
    /// Diagnostic: do not run the projection runners while the mixes run (the read models are
    /// caught up between the mixes instead), to see what they cost the request mix.
    #[arg(long)]
    pub no_projections: bool,
    /// Pin the client's threads to these CPUs (a `taskset` list such as `1`; Linux).
    #[arg(long, value_name = "CPUS")]
    pub client_cpus: Option<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum HttpMix {
    /// `requestBadge` mutations only.
    RequestBadge,
    /// `earner { history }` queries only.
    BadgeHistory,
    /// Both, one after the other.
    Both,
    /// Diagnostic: `viewer` queries (token, HTTP and GraphQL, no database): the server's floor.
    Viewer,
}
