//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files of
//! schema/migrations at compile time, and Cargo does not watch that folder by itself.

fn main() {
    println!("cargo:rerun-if-changed=../../schema/migrations");
    println!("cargo:rerun-if-changed=../../schema/migrations/postgres");
    println!("cargo:rerun-if-changed=../../schema/migrations/sqlite");
}
