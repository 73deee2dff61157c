//! Correlating nested-block set elements, which have no identity beyond their content.

use crate::schema::Block;
use crate::value::Value;

/// The element of `candidates` that agrees with `element` on every attribute configuration
/// controls: required and optional attributes that are not computed, plus optional+computed
/// attributes set in the candidate. Nested blocks are not compared (they may hold computed
/// values that configuration leaves open).
pub(crate) fn correlate<'a>(
    block: &Block,
    element: &Value,
    candidates: &'a [Value],
) -> Option<&'a Value> {
    candidates.iter().find(|c| {
        block.attributes.iter().all(|a| {
            let cv = c.attr(&a.name);
            if a.computed && (!a.optional || cv.is_null()) {
                return true;
            }
            cv == element.attr(&a.name)
        })
    })
}
