//! Dates written the French way, for people: "1er janvier 2026", "23 novembre 2026".
//!
//! The ledger's times are UTC instants; pages show the UTC calendar date only, never a time,
//! so a badge awarded late in the evening in Paris may show the next day in rare cases. That is
//! the same date the signed credential carries, which matters more than the local wall clock.

use chrono::Datelike;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The date in words: the day (`1er` for the first of the month, as French writes it), the
/// month's name in lower case, the year.
pub fn long_date(date: &impl Datelike) -> String {
    let month = MONTHS[date.month0() as usize];
    match date.day() {
        1 => format!("1er {month} {}", date.year()),
        day => format!("{day} {month} {}", date.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::long_date;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn on(year: i32, month: u32, day: u32) -> String {
        long_date(&NaiveDate::from_ymd_opt(year, month, day).unwrap())
    }

    #[test]
    fn the_first_of_the_month_is_written_1er() {
        assert_eq!(on(2026, 1, 1), "1er janvier 2026");
        assert_eq!(on(2027, 8, 1), "1er août 2027");
    }

    #[test]
    fn other_days_are_plain_numbers_without_a_leading_zero() {
        assert_eq!(on(2026, 11, 23), "23 novembre 2026");
        assert_eq!(on(2028, 2, 29), "29 février 2028");
        assert_eq!(on(2025, 12, 31), "31 décembre 2025");
        assert_eq!(on(2026, 3, 2), "2 mars 2026");
        assert_eq!(on(2026, 12, 11), "11 décembre 2026");
    }

    #[test]
    fn every_month_has_its_french_name() {
        let names: Vec<String> = (1..=12)
            .map(|month| on(2026, month, 15).split(' ').nth(1).unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre"
            ]
        );
    }

    #[test]
    fn an_instant_shows_its_utc_date() {
        let late_evening = Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 59).unwrap();
        assert_eq!(long_date(&late_evening), "23 novembre 2026");
    }
}
