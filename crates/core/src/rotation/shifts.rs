//! Shifts of a rotation in a window, and who is on call at an instant.

use chrono::{DateTime, Duration, Utc};
use tocsin_proto::records::{RotationOverride, RotationShift};

use super::overrides::{Replacement, rank, split};
use super::validate::ValidRotation;

impl ValidRotation {
    /// `ListRotationShifts`: the shifts that intersect `[start, end)`, in order, each whole (not
    /// clipped to the window). A shift is one hand-off interval cut to the covered hours and
    /// split where overrides apply; an interval with no covered hours yields nothing.
    pub fn shifts(
        &self,
        overrides: &[RotationOverride],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<RotationShift> {
        self.shifts_ranked(&rank(overrides), start, end)
    }

    /// Who is on call at `at`: the contacts of the shift holding it, empty in a coverage gap,
    /// before the rotation starts, or under an override that names nobody.
    pub fn on_call_at(&self, overrides: &[RotationOverride], at: DateTime<Utc>) -> Vec<String> {
        // The shifts meeting [at, at + 1 ns) are the one holding `at`, if any.
        self.shifts(overrides, at, at + Duration::nanoseconds(1))
            .into_iter()
            .next()
            .map(|s| s.contact_ids)
            .unwrap_or_default()
    }

    /// [`Self::shifts`] with overrides already ranked.
    pub(crate) fn shifts_ranked(
        &self,
        replacements: &[Replacement<'_>],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<RotationShift> {
        if start >= end {
            return Vec::new();
        }
        // Hand-offs from the one at or before `start` through the first at or after `end`.
        let mut bounds = Vec::new();
        for (k, t) in self.timeline.boundaries_from(start) {
            bounds.push((k, t));
            if t >= end {
                break;
            }
        }
        let (Some(&(_, first)), Some(&(_, last))) = (bounds.first(), bounds.last()) else {
            return Vec::new();
        };
        let covered = self.coverage.within(self.timeline.tz(), (first, last));
        let mut out = Vec::new();
        let mut ci = 0;
        for pair in bounds.windows(2) {
            let ((k, s), (_, e)) = (pair[0], pair[1]);
            if e <= start || s >= e {
                continue; // before the window, or both hand-offs in one spring-forward gap
            }
            let regular = self.contacts_of(k);
            while ci < covered.len() && covered[ci].1 <= s {
                ci += 1;
            }
            for &(cs, ce) in covered[ci..].iter().take_while(|(cs, _)| *cs < e) {
                let piece = (cs.max(s), ce.min(e));
                let mut pieces = Vec::new();
                split(piece, &regular, replacements, &mut pieces);
                // Pieces split off by overrides may lie wholly outside the window.
                out.extend(
                    pieces
                        .into_iter()
                        .filter(|p| p.end_time > start && p.start_time < end),
                );
            }
        }
        out
    }

    /// The contacts of shift `k`: `NumberOfOnCalls` consecutive contacts (wrapping around)
    /// starting at index `k × NumberOfOnCalls mod len`.
    fn contacts_of(&self, k: u64) -> Vec<String> {
        let len = self.contact_ids.len() as u64;
        let first = (k % len) * (self.on_calls as u64 % len) % len;
        (0..self.on_calls as u64)
            .map(|j| self.contact_ids[((first + j) % len) as usize].clone())
            .collect()
    }
}
