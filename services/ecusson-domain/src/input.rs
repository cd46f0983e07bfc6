//! Checks on raw input that every decider shares: lengths of names and texts, lists without
//! duplicates. They answer [`DomainError::InvalidInput`] and know nothing of the workflow.
//!
//! Lengths count characters, not bytes, because the texts are French and accents must not
//! shrink what a user may write.

use crate::DomainError;
use std::collections::BTreeSet;

/// Names: of a network, structure, organisation, pathway, badge class, alignment target.
pub const NAME_MAX_CHARS: usize = 200;
/// Free texts: descriptions, criteria, statements, processes.
pub const TEXT_MAX_CHARS: usize = 4000;
/// References and addresses: image references, alignment URLs.
pub const REFERENCE_MAX_CHARS: usize = 2000;
/// Short codes (an alignment's ROME code...).
pub const CODE_MAX_CHARS: usize = 100;
/// Pieces of evidence attached to one request at once.
pub const EVIDENCE_PER_REQUEST_MAX: usize = 50;

/// A one-line name: not blank, at most `NAME_MAX_CHARS`, no control characters.
pub fn check_name(field: &str, value: &str) -> Result<(), DomainError> {
    check_not_blank(field, value)?;
    check_max_chars(field, value, NAME_MAX_CHARS)?;
    if value.chars().any(char::is_control) {
        return Err(DomainError::InvalidInput(format!(
            "{field} must be on one line, without control characters"
        )));
    }
    Ok(())
}

/// A multi-line text: not blank, at most `max_chars`, no control characters but line breaks
/// and tabs.
pub fn check_text(field: &str, value: &str, max_chars: usize) -> Result<(), DomainError> {
    check_not_blank(field, value)?;
    check_optional_text(field, value, max_chars)
}

/// Like [`check_text`], but an empty text is accepted.
pub fn check_optional_text(field: &str, value: &str, max_chars: usize) -> Result<(), DomainError> {
    check_max_chars(field, value, max_chars)?;
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DomainError::InvalidInput(format!(
            "{field} contains control characters"
        )));
    }
    Ok(())
}

/// A list whose items must all differ (members of a committee, roles of a person...).
pub fn check_unique<T: Ord>(field: &str, items: &[T]) -> Result<(), DomainError> {
    let distinct: BTreeSet<&T> = items.iter().collect();
    if distinct.len() == items.len() {
        Ok(())
    } else {
        Err(DomainError::InvalidInput(format!(
            "{field} contains duplicates"
        )))
    }
}

fn check_not_blank(field: &str, value: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        Err(DomainError::InvalidInput(format!(
            "{field} must not be empty"
        )))
    } else {
        Ok(())
    }
}

fn check_max_chars(field: &str, value: &str, max_chars: usize) -> Result<(), DomainError> {
    if value.chars().count() > max_chars {
        Err(DomainError::InvalidInput(format!(
            "{field} is longer than {max_chars} characters"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_in_characters_not_bytes() {
        let accented = "é".repeat(NAME_MAX_CHARS);
        assert_eq!(check_name("name", &accented), Ok(()));
        assert!(check_name("name", &format!("{accented}é")).is_err());
    }

    #[test]
    fn blank_names_and_control_characters_are_refused() {
        assert!(check_name("name", "   ").is_err());
        assert!(check_name("name", "two\nlines").is_err());
        assert_eq!(check_text("text", "two\nlines", TEXT_MAX_CHARS), Ok(()));
        assert!(check_text("text", "bell\u{7}", TEXT_MAX_CHARS).is_err());
        assert_eq!(check_optional_text("text", "", TEXT_MAX_CHARS), Ok(()));
    }

    #[test]
    fn duplicates_are_refused() {
        assert_eq!(check_unique("members", &[1, 2, 3]), Ok(()));
        assert!(check_unique("members", &[1, 2, 1]).is_err());
    }
}
