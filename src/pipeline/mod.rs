//! From pictures to plans and back: judging decoded plans against the ground
//! truth and drawing them as strips and animations.

pub mod actions;
pub mod bench;
pub mod eval;
pub mod external;
pub mod extract;
pub mod judge;
pub mod output;
pub mod pictures;
pub mod session;
pub mod visualize;
