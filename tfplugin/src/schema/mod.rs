//! Schema description: blocks, attributes, nesting modes, plan behaviours and validators,
//! with a builder API that keeps common cases to one line.

mod attribute;
mod block;
mod timeouts;
pub mod validators;

pub use attribute::{Attribute, DescriptionKind, ReplaceIf, ReplaceRequest, RequiresReplace};
pub use block::{Block, NestedBlock, NestingMode, Schema};
pub use timeouts::{
    parse_duration, timeouts_block, DurationError, IsDuration, TimeoutOp, Timeouts, TIMEOUTS_BLOCK,
};
pub use validators::Validator;
