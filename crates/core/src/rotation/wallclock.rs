//! Local wall-clock times to instants, with the DST rules every rotation time obeys.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use tocsin_proto::records::HandOffTime;

/// A validated `HandOffTime` as a time of day.
pub(crate) fn time_of_day(h: &HandOffTime) -> NaiveTime {
    NaiveTime::from_hms_opt(h.hour_of_day, h.minute_of_hour, 0).unwrap_or(NaiveTime::MIN)
}

/// The instant of local time `local` in `tz`:
/// - a time skipped by a spring-forward change resolves to the first valid instant after it,
///   which is the instant of the change (Chicago 02:30 on a spring day → 03:00 CDT);
/// - a time repeated by a fall-back change resolves to its first occurrence (the earlier
///   instant), so a hand-off happens once, as early as the clock first shows it.
///
/// Local → instant is therefore non-decreasing: later wall-clock times never resolve to earlier
/// instants, which keeps hand-offs in wall-clock order.
pub(crate) fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        chrono::LocalResult::None => gap_end(tz, local),
    }
}

/// The instant of the change that skipped `local`: the first instant whose local time is after
/// `local`. Offsets stay within ±1 day, and zones change at most once in two days, so the
/// predicate "local time after `local`" is monotone over the bracket and a binary search over
/// whole seconds finds the change exactly (changes happen on whole seconds).
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let after = |secs: i64| {
        let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
        t.with_timezone(&tz).naive_local() > local
    };
    let mid = local.and_utc().timestamp();
    let day = Duration::days(1).num_seconds();
    let (mut lo, mut hi) = (mid - day, mid + day); // after(lo) is false, after(hi) is true
    while hi - lo > 1 {
        let m = lo + (hi - lo) / 2;
        if after(m) { hi = m } else { lo = m }
    }
    DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
