//! Why a benchmark run stopped. Each message names the step, for `bench/run` to print.

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start {what}: {source}")]
    Spawn {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} did not become ready within {secs} s{detail}")]
    NotReady {
        what: String,
        secs: u64,
        detail: String,
    },
    #[error("{what} exited early: {detail}")]
    Exited { what: String, detail: String },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("HTTP {method} {path}: {detail}")]
    Http {
        method: String,
        path: String,
        detail: String,
    },
    #[error("unexpected answer to {what}: {detail}")]
    Answer { what: String, detail: String },
    #[error("Tessera core: {0}")]
    Core(#[from] tessera_core::Error),
    #[error("store: {0}")]
    Store(#[from] tessera_store::ConnectError),
    #[error("crypto: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, BenchError>;

impl BenchError {
    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> BenchError {
        BenchError::Io {
            path: path.to_string(),
            source,
        }
    }

    pub fn answer(what: impl Into<String>, detail: impl std::fmt::Display) -> BenchError {
        BenchError::Answer {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}
