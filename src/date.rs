//! Calendar dates: days since 1970-01-01 in the proleptic Gregorian calendar, and the
//! full years, months and days between two of them.
//!
//! A date is a day number (`i32`), so that comparing dates is comparing integers. The
//! conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`, exact for every
//! year jifen accepts ([`MIN_YEAR`]..=[`MAX_YEAR`]).

use std::cmp::Ordering;

/// The first year a date may have: nothing in a points system is older.
pub(crate) const MIN_YEAR: i32 = 1000;
/// The last year a date may have.
pub(crate) const MAX_YEAR: i32 = 9999;

/// The day number of [`MIN_YEAR`]-01-01: the first date jifen reads.
pub(crate) const FIRST_DAY: i32 = -354_285;
/// The day number of [`MAX_YEAR`]-12-31: the last date jifen reads.
pub(crate) const LAST_DAY: i32 = 2_932_896;

/// Whether a day number is a date jifen reads, that is whether `parse(&format(days))` gives
/// it back: its year is within [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(crate) fn is_readable(days: i32) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&days)
}

/// The calendar date of a day number, as (year, month 1–12, day 1–31).
pub(crate) fn civil(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// The day number of a calendar date, or `None` if there is no such date (month 13,
/// 2025-02-30, day 0) or its year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(crate) fn from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) || day < 1 || day > month_days(year, month)
    {
        return None;
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of a year (0 for a month that does not exist).
pub(crate) fn month_days(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Why a text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not written `YYYY-MM-DD`.
    Form,
    /// Written so, but no such day (2025-02-30, month 13, day 0).
    NoSuchDay,
    /// A year outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    Year,
}

impl DateError {
    /// What to say about it, for a message.
    pub fn describe(self) -> &'static str {
        match self {
            DateError::Form => "is not written YYYY-MM-DD",
            DateError::NoSuchDay => "is not a day of the calendar",
            DateError::Year => "has a year outside 1000..=9999",
        }
    }
}

/// Read `YYYY-MM-DD` exactly: four, two and two digits.
pub fn parse(text: &str) -> Result<i32, DateError> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return Err(DateError::Form);
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (y, m, d) = (num(0..4) as i32, num(5..7), num(8..10));
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return Err(DateError::Year);
    }
    from_civil(y, m, d).ok_or(DateError::NoSuchDay)
}

/// `YYYY-MM-DD`.
pub fn format(days: i32) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The months from `from` to `to` counted as full months (anniversaries reached); negative
/// when `to` is before `from`: `f(a, b) = -f(b, a)`.
///
/// The anniversary of a day of the month that the target month lacks (the 31st, 02-29)
/// is reached on the 1st of the next month.
pub(crate) fn full_months(from: i32, to: i32) -> i64 {
    match from.cmp(&to) {
        Ordering::Equal => 0,
        Ordering::Greater => -full_months(to, from),
        Ordering::Less => {
            let (fy, fm, fd) = civil(from);
            let (ty, tm, td) = civil(to);
            let months = (i64::from(ty) - i64::from(fy)) * 12 + i64::from(tm) - i64::from(fm);
            // The anniversary in `to`'s month: day `fd`, or the 1st of the next month
            // when that month is shorter; either way it is reached when `td >= fd`.
            if td >= fd {
                months
            } else {
                months - 1
            }
        }
    }
}

/// Full years from `from` to `to` (birthdays reached); see [`full_months`].
pub(crate) fn full_years(from: i32, to: i32) -> i64 {
    // A full year is twelve full months: the anniversary rule is the same.
    if from <= to {
        full_months(from, to) / 12
    } else {
        -(full_months(to, from) / 12)
    }
}

/// Days from `from` to `to`, negative when `to` is before `from`.
pub(crate) fn days(from: i32, to: i32) -> i64 {
    i64::from(to) - i64::from(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readable_days_are_those_whose_text_reads_back() {
        // 1000-01-01 is 354,285 days before 1970-01-01, 9999-12-31 2,932,896 after it.
        assert_eq!(from_civil(MIN_YEAR, 1, 1), Some(FIRST_DAY));
        assert_eq!(from_civil(MAX_YEAR, 12, 31), Some(LAST_DAY));
        for days in [FIRST_DAY - 1, FIRST_DAY, 0, 20_089, LAST_DAY, LAST_DAY + 1, i32::MIN, i32::MAX] {
            let back = if (-400_000..=3_000_000).contains(&days) { parse(&format(days)).ok() } else { None };
            assert_eq!(is_readable(days), back == Some(days), "day {days}");
        }
    }

    fn d(text: &str) -> i32 {
        parse(text).unwrap()
    }

    #[test]
    fn day_numbers_round_trip_and_start_at_1970() {
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(d("1970-01-02"), 1);
        assert_eq!(d("1969-12-31"), -1);
        // 2000-03-01: 30 years of 365 days plus 7 leap days (72,76,80,84,88,92,96), plus
        // Jan 31 + Feb 29 of the leap year 2000 → 10950 + 7 + 60 = 11017.
        assert_eq!(d("2000-03-01"), 11017);
        for days in [-300_000, -1, 0, 1, 11_016, 20_000, 2_900_000] {
            let (y, m, dd) = civil(days);
            assert_eq!(from_civil(y, m, dd), Some(days), "{days}");
        }
        assert_eq!(format(d("2024-02-29")), "2024-02-29");
    }

    #[test]
    fn only_calendar_days_in_the_form_yyyy_mm_dd_are_dates() {
        assert_eq!(parse("2025-02-30"), Err(DateError::NoSuchDay));
        assert_eq!(parse("2025-13-01"), Err(DateError::NoSuchDay));
        assert_eq!(parse("2025-00-10"), Err(DateError::NoSuchDay));
        assert_eq!(parse("2025-01-00"), Err(DateError::NoSuchDay));
        assert_eq!(parse("2023-02-29"), Err(DateError::NoSuchDay), "2023 is not leap");
        assert_eq!(parse("1900-02-29"), Err(DateError::NoSuchDay), "1900 is not leap (century)");
        assert!(parse("2000-02-29").is_ok(), "2000 is leap (400)");
        assert_eq!(parse("2025-7-1"), Err(DateError::Form));
        assert_eq!(parse("2025/07/01"), Err(DateError::Form));
        assert_eq!(parse("0999-01-01"), Err(DateError::Year));
        assert_eq!(parse("２０２５-07-01"), Err(DateError::Form), "full-width digits are not read");
    }

    #[test]
    fn full_years_count_birthdays_reached() {
        // Born 1990-07-01: the 35th birthday is 2025-07-01, so the day before is 34.
        assert_eq!(full_years(d("1990-07-01"), d("2025-06-30")), 34);
        assert_eq!(full_years(d("1990-07-01"), d("2025-07-01")), 35);
        // Born 2024-02-29: 2025 has no 02-29, the birthday falls on 03-01.
        assert_eq!(full_years(d("2024-02-29"), d("2025-02-28")), 0);
        assert_eq!(full_years(d("2024-02-29"), d("2025-03-01")), 1);
        assert_eq!(full_years(d("2024-02-29"), d("2028-02-29")), 4);
        // Backwards: the negative of forwards.
        assert_eq!(full_years(d("2025-06-30"), d("1990-07-01")), -34);
        assert_eq!(full_years(d("2025-07-01"), d("1990-07-01")), -35);
    }

    #[test]
    fn full_months_count_monthly_anniversaries_reached() {
        // 2024-02-29 → 2025-02-28: the 12th anniversary would be 2025-02-29, which 2025
        // lacks, so it falls on 03-01: 11 months.
        assert_eq!(full_months(d("2024-02-29"), d("2025-02-28")), 11);
        // 2024-01-31 → 2024-02-29: February has no 31st, the first anniversary is 03-01.
        assert_eq!(full_months(d("2024-01-31"), d("2024-02-29")), 0);
        assert_eq!(full_months(d("2024-01-31"), d("2024-03-01")), 1);
        // 2024-01-31 → 2024-04-30: April lacks the 31st too; 03-31 was the 2nd: 2 months.
        assert_eq!(full_months(d("2024-01-31"), d("2024-04-30")), 2);
        assert_eq!(full_months(d("2018-01-01"), d("2025-07-01")), 90);
        assert_eq!(full_months(d("2024-03-01"), d("2024-01-31")), -1);
        assert_eq!(full_months(d("2024-05-15"), d("2024-05-15")), 0);
    }

    #[test]
    fn days_between_is_the_difference_of_day_numbers() {
        assert_eq!(days(d("2024-02-28"), d("2024-03-01")), 2, "leap day between");
        assert_eq!(days(d("2025-02-28"), d("2025-03-01")), 1);
        assert_eq!(days(d("2025-03-01"), d("2025-02-28")), -1);
    }

    #[test]
    fn the_counts_are_antisymmetric() {
        let samples = ["1990-07-01", "2024-02-29", "2024-01-31", "2025-02-28", "2025-03-01", "2000-12-31"];
        for a in samples {
            for b in samples {
                let (a, b) = (d(a), d(b));
                assert_eq!(full_months(a, b), -full_months(b, a));
                assert_eq!(full_years(a, b), -full_years(b, a));
                assert_eq!(days(a, b), -days(b, a));
            }
        }
    }

    #[test]
    fn the_first_and_last_days_are_the_calendar_limits() {
        assert_eq!(format(FIRST_DAY), "1000-01-01");
        assert_eq!(format(LAST_DAY), "9999-12-31");
        assert!(from_civil(999, 12, 31).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Counting backwards gives the negative: f(a, b) = −f(b, a); and the counts agree with
        /// each other: whole years are ⌊months / 12⌋ forwards, and a full month spans 28–31 days.
        #[test]
        fn counts_between_dates_are_antisymmetric_and_consistent(a in FIRST_DAY..=LAST_DAY, b in FIRST_DAY..=LAST_DAY) {
            proptest::prop_assert_eq!(full_years(a, b), -full_years(b, a));
            proptest::prop_assert_eq!(full_months(a, b), -full_months(b, a));
            proptest::prop_assert_eq!(days(a, b), -days(b, a));
            let (lo, hi) = (a.min(b), a.max(b));
            proptest::prop_assert_eq!(full_years(lo, hi), full_months(lo, hi) / 12);
            let m = full_months(lo, hi);
            proptest::prop_assert!(days(lo, hi) >= 28 * m && days(lo, hi) < 31 * (m + 1) + 1);
        }
    }
}
