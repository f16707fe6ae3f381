//! Overrides: other contacts on call for a while, splitting the shifts they fall on.

use chrono::{DateTime, Utc};
use tocsin_proto::records::{RotationOverride, RotationShift, ShiftDetails, ShiftType};

use super::coverage::Span;

/// An override ready to apply; a higher `rank` wins where overrides overlap.
#[derive(Debug, Clone)]
pub(crate) struct Replacement<'a> {
    pub(crate) span: Span,
    pub(crate) contacts: &'a [String],
    pub(crate) rank: usize,
}

/// Overrides ranked by precedence: the most recently created wins, then the greater id (a
/// stable, arbitrary tie-break), then the later in the input.
pub(crate) fn rank(overrides: &[RotationOverride]) -> Vec<Replacement<'_>> {
    let mut order: Vec<(usize, &RotationOverride)> = overrides.iter().enumerate().collect();
    order.sort_by(|(i, a), (j, b)| {
        (a.create_time, &a.rotation_override_id, i).cmp(&(
            b.create_time,
            &b.rotation_override_id,
            j,
        ))
    });
    order
        .into_iter()
        .enumerate()
        .map(|(rank, (_, o))| Replacement {
            span: (o.start_time, o.end_time),
            contacts: &o.new_contact_ids,
            rank,
        })
        .collect()
}

/// Emits the covered piece `piece` of a shift of `regular`: REGULAR where no override applies,
/// OVERRIDDEN (with `regular` as the overridden contacts) where one does, one shift per run of
/// the same winning override.
pub(crate) fn split(
    piece: Span,
    regular: &[String],
    replacements: &[Replacement<'_>],
    out: &mut Vec<RotationShift>,
) {
    let (start, end) = piece;
    let relevant: Vec<&Replacement<'_>> = replacements
        .iter()
        .filter(|r| r.span.0 < end && r.span.1 > start)
        .collect();
    if relevant.is_empty() {
        out.push(shift(piece, regular, None));
        return;
    }
    let mut cuts: Vec<DateTime<Utc>> = relevant
        .iter()
        .flat_map(|r| [r.span.0, r.span.1])
        .filter(|t| *t > start && *t < end)
        .chain([start, end])
        .collect();
    cuts.sort();
    cuts.dedup();
    let mut run: Option<(Span, Option<&Replacement<'_>>)> = None;
    for pair in cuts.windows(2) {
        let (s, e) = (pair[0], pair[1]);
        let winner = relevant
            .iter()
            .filter(|r| r.span.0 <= s && r.span.1 >= e)
            .max_by_key(|r| r.rank)
            .copied();
        run = match run {
            Some(((rs, _), w)) if w.map(|r| r.rank) == winner.map(|r| r.rank) => Some(((rs, e), w)),
            Some((span, w)) => {
                out.push(shift(span, regular, w));
                Some(((s, e), winner))
            }
            None => Some(((s, e), winner)),
        };
    }
    if let Some((span, w)) = run {
        out.push(shift(span, regular, w));
    }
}

fn shift(span: Span, regular: &[String], replacement: Option<&Replacement<'_>>) -> RotationShift {
    let (contact_ids, shift_type, shift_details) = match replacement {
        None => (regular.to_vec(), ShiftType::Regular, None),
        Some(r) => (
            r.contacts.to_vec(),
            ShiftType::Overridden,
            Some(ShiftDetails {
                overridden_contact_ids: regular.to_vec(),
            }),
        ),
    };
    RotationShift {
        contact_ids,
        start_time: span.0,
        end_time: span.1,
        shift_type,
        shift_details,
    }
}
