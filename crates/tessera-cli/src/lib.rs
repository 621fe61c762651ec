//! The parts of the `tessera` binary that are pure functions of their input, as a library so
//! that `fuzz/` (and any other harness) can reach them without starting a server.

pub mod config;
