//! What one rule may consume: the sandbox's limits, set on the engine in
//! [`super::rule`] and told to designers in [`super::rule_messages`].

/// Limits on one evaluation. 100 000 operations take a few milliseconds; real rules need
/// a few hundred.
pub const MAX_OPERATIONS: u64 = 100_000;
pub const MAX_CALL_LEVELS: usize = 16;
pub const MAX_EXPR_DEPTH: usize = 32;
pub const MAX_FUNCTION_EXPR_DEPTH: usize = 16;
pub const MAX_STRING_SIZE: usize = 10_000;
pub const MAX_ARRAY_SIZE: usize = 1_000;
pub const MAX_MAP_SIZE: usize = 1_000;
pub const MAX_VARIABLES: usize = 200;
pub const MAX_FUNCTIONS: usize = 50;
/// Rule sources larger than this are refused before parsing.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024;
