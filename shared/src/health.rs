//! Health responses, answered by the origin and by the edge worker.

use serde::{Deserialize, Serialize};

/// Body of `GET /health/live`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Liveness {
    /// Always `"ok"` when the process answers at all.
    pub status: String,
    /// Which part answered: `"origin"` or `"edge"`.
    pub service: String,
    pub version: String,
}

impl Liveness {
    pub fn ok(service: &str, version: &str) -> Self {
        Liveness {
            status: "ok".into(),
            service: service.into(),
            version: version.into(),
        }
    }
}
