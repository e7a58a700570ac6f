//! Route paths of the public contract, written once for server, worker and widget.

pub const HEALTH_LIVE: &str = "/health/live";
pub const HEALTH_READY: &str = "/health/ready";
pub const HEALTH: &str = "/health";
pub const METRICS: &str = "/metrics";
pub const OPENAPI: &str = "/openapi.json";
pub const DOCS: &str = "/docs";
pub const WIDGET_PREFIX: &str = "/widget";
pub const API_V1: &str = "/api/v1";
