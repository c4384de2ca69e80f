//! Symbolic planning models: fixed-width bit states, STRIPS actions as four
//! masks, and the PDDL writer (Latplan's export, reference/LATPLAN.md §3.2–3.3).
//!
//! Learned action models and grounded hand-written domains both end up as a
//! [`StripsTask`]: named bits, parameterless actions with positive and negative
//! preconditions, add and delete effects, an initial state and a partial goal.

mod bits;
mod model;
mod writer;

pub use bits::{words_for, BitState};
pub use model::{ModelError, StripsAction, StripsModel, StripsTask};
pub use writer::{pddl_identifiers, write_domain, write_problem};
