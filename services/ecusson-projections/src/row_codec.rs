//! How typed values become read-model columns and come back: identifiers and timestamps as
//! text, booleans and counts as integers, closed enums as their snake_case serde names. Reading
//! a row checks every column, so a malformed row is reported with its table instead of
//! panicking.

use crate::ProjectionError;
use chrono::{DateTime, SecondsFormat, Utc};
use ecusson_store::SqlValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// RFC 3339 in UTC with exactly six fractional digits and a `Z`, so that timestamps sort as
/// text and read back to the same value on both backends.
pub(crate) fn timestamp_text(timestamp: &DateTime<Utc>) -> String {
    timestamp.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn timestamp_value(timestamp: &DateTime<Utc>) -> SqlValue {
    SqlValue::Text(timestamp_text(timestamp))
}

pub(crate) fn optional_timestamp_value(timestamp: &Option<DateTime<Utc>>) -> SqlValue {
    timestamp.as_ref().map_or(SqlValue::Null, timestamp_value)
}

/// The serde name of a unit enum variant (`SkillType::SavoirFaire` → `savoir_faire`).
pub(crate) fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        // Only unit variants with string names are stored this way; anything else is a
        // programming error caught by the unit tests, and the JSON form keeps the row readable.
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(crate) fn parse_enum_text<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

pub(crate) fn uuid_value(id: impl std::fmt::Display) -> SqlValue {
    SqlValue::Text(id.to_string())
}

pub(crate) fn optional_uuid_value<T: std::fmt::Display>(id: Option<T>) -> SqlValue {
    SqlValue::opt_text(id)
}

pub(crate) fn bool_value(value: bool) -> SqlValue {
    SqlValue::Int(i64::from(value))
}

/// Typed, checked access to one row of one table.
pub(crate) struct RowReader<'row> {
    table: &'static str,
    row: &'row [SqlValue],
}

impl<'row> RowReader<'row> {
    pub(crate) fn new(
        table: &'static str,
        row: &'row [SqlValue],
        expected_columns: usize,
    ) -> Result<Self, ProjectionError> {
        let reader = Self { table, row };
        if row.len() != expected_columns {
            return Err(reader.malformed(format!(
                "expected {expected_columns} columns, found {}",
                row.len()
            )));
        }
        Ok(reader)
    }

    pub(crate) fn malformed(&self, detail: impl Into<String>) -> ProjectionError {
        ProjectionError::MalformedRow {
            table: self.table.to_owned(),
            detail: detail.into(),
        }
    }

    fn value(&self, index: usize) -> Result<&'row SqlValue, ProjectionError> {
        self.row
            .get(index)
            .ok_or_else(|| self.malformed(format!("no column {index}")))
    }

    pub(crate) fn optional_text(&self, index: usize) -> Result<Option<&'row str>, ProjectionError> {
        match self.value(index)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(text) => Ok(Some(text.as_str())),
            other => Err(self.malformed(format!("column {index} should be text, found {other:?}"))),
        }
    }

    pub(crate) fn text(&self, index: usize) -> Result<&'row str, ProjectionError> {
        self.optional_text(index)?
            .ok_or_else(|| self.malformed(format!("column {index} is null")))
    }

    pub(crate) fn owned_text(&self, index: usize) -> Result<String, ProjectionError> {
        self.text(index).map(str::to_owned)
    }

    pub(crate) fn int(&self, index: usize) -> Result<i64, ProjectionError> {
        match self.value(index)? {
            SqlValue::Int(value) => Ok(*value),
            other => Err(self.malformed(format!(
                "column {index} should be an integer, found {other:?}"
            ))),
        }
    }

    pub(crate) fn unsigned<T: TryFrom<i64>>(&self, index: usize) -> Result<T, ProjectionError> {
        let value = self.int(index)?;
        T::try_from(value)
            .map_err(|_| self.malformed(format!("column {index} holds {value}, out of range")))
    }

    pub(crate) fn bool(&self, index: usize) -> Result<bool, ProjectionError> {
        match self.int(index)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.malformed(format!("column {index} holds {other}, not a boolean"))),
        }
    }

    pub(crate) fn optional_uuid<T: From<Uuid>>(
        &self,
        index: usize,
    ) -> Result<Option<T>, ProjectionError> {
        self.optional_text(index)?
            .map(|text| {
                Uuid::parse_str(text).map(T::from).map_err(|_| {
                    self.malformed(format!("column {index} holds {text:?}, not a UUID"))
                })
            })
            .transpose()
    }

    pub(crate) fn uuid<T: From<Uuid>>(&self, index: usize) -> Result<T, ProjectionError> {
        self.optional_uuid(index)?
            .ok_or_else(|| self.malformed(format!("column {index} is null")))
    }

    pub(crate) fn optional_timestamp(
        &self,
        index: usize,
    ) -> Result<Option<DateTime<Utc>>, ProjectionError> {
        self.optional_text(index)?
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|timestamp| timestamp.with_timezone(&Utc))
                    .map_err(|_| {
                        self.malformed(format!(
                            "column {index} holds {text:?}, not an RFC 3339 timestamp"
                        ))
                    })
            })
            .transpose()
    }

    pub(crate) fn timestamp(&self, index: usize) -> Result<DateTime<Utc>, ProjectionError> {
        self.optional_timestamp(index)?
            .ok_or_else(|| self.malformed(format!("column {index} is null")))
    }

    /// The value parsed from column `index`, or a malformed-row error if it was not recognised.
    pub(crate) fn known<T>(&self, index: usize, parsed: Option<T>) -> Result<T, ProjectionError> {
        parsed.ok_or_else(|| self.malformed(format!("column {index} holds an unknown value")))
    }

    pub(crate) fn enumeration<T: DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<T, ProjectionError> {
        let text = self.text(index)?;
        parse_enum_text(text)
            .ok_or_else(|| self.malformed(format!("column {index} holds unknown value {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ecusson_domain::{Role, SkillType};

    #[test]
    fn timestamps_have_a_fixed_width_and_read_back() {
        let timestamp = Utc.with_ymd_and_hms(2026, 3, 1, 9, 5, 0).unwrap();
        let text = timestamp_text(&timestamp);
        assert_eq!(text, "2026-03-01T09:05:00.000000Z");
        let row = [SqlValue::Text(text)];
        let reader = RowReader::new("t", &row, 1).unwrap();
        assert_eq!(reader.timestamp(0).unwrap(), timestamp);
    }

    #[test]
    fn enums_are_stored_by_their_serde_names() {
        assert_eq!(enum_text(&SkillType::SavoirFaire), "savoir_faire");
        assert_eq!(
            enum_text(&Role::TechnicalSupervisor),
            "technical_supervisor"
        );
        assert_eq!(
            parse_enum_text::<Role>("counsellor"),
            Some(Role::Counsellor)
        );
        assert_eq!(parse_enum_text::<Role>("nobody"), None);
    }

    #[test]
    fn malformed_rows_are_errors_not_panics() {
        let row = [SqlValue::Int(2), SqlValue::Text("not a uuid".into())];
        let reader = RowReader::new("t", &row, 2).unwrap();
        assert!(reader.bool(0).is_err());
        assert!(reader.uuid::<Uuid>(1).is_err());
        assert!(reader.text(0).is_err());
        assert!(RowReader::new("t", &row, 3).is_err());
    }
}
