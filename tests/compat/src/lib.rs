//! Harness for the SDK compatibility suite (filled in by the suite).
