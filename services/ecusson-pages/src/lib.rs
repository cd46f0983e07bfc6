//! The public HTML pages of the ledger: an awarded badge's verification page, the result of
//! checking a badge file, a host company's recommendation form, and plain messages. The
//! employability reports will live here too; each module is named after what it renders.
//!
//! **Architecture invariant:** this crate does no I/O, reads no clock and draws no random
//! numbers: every page is a function of the view it is given, so the same view gives the same
//! bytes. **Only this crate writes HTML**: the server sends what these functions return.
//!
//! The readers are workers in insertion, often on a phone, and employers who scan a QR code:
//! pages are in plain French, one column, without JavaScript or external resources (inline CSS,
//! no web fonts), small, accessible and printable. Every page shares one layout
//! (`layout::page`); all text is escaped by `maud`, and only `http`/`https` URLs become links.

pub mod authorization_page;
pub mod badge_page;
pub mod employability_page;
pub mod employability_pdf;
pub mod french_date;
pub mod message_page;
pub mod recommendation_page;
pub mod report_page;
pub mod verification_page;

mod http_url;
mod layout;
mod qr_code;

#[cfg(test)]
mod test_support;
