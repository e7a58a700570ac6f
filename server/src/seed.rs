//! Sites created from the command line, and the demo site created on the
//! first start of an empty database.

use lantern_shared::knowledge::CreateDocument;

use crate::{
    auth,
    knowledge::{KnowledgeBase, import},
    db::{Db, Site},
};

/// The demo knowledge base (about Lantern itself), built into the binary.
pub const DEMO_KB: &[(&str, &str)] = &[
    ("install.md", include_str!("../../kb/demo/install.md")),
    ("embed.md", include_str!("../../kb/demo/embed.md")),
    ("configure.md", include_str!("../../kb/demo/configure.md")),
    ("api.md", include_str!("../../kb/demo/api.md")),
    ("knowledge.md", include_str!("../../kb/demo/knowledge.md")),
    ("deploy.md", include_str!("../../kb/demo/deploy.md")),
    (
        "troubleshooting.md",
        include_str!("../../kb/demo/troubleshooting.md"),
    ),
];

/// The demo knowledge base as documents to add.
pub fn demo_documents() -> Vec<CreateDocument> {
    DEMO_KB
        .iter()
        .map(|(name, text)| import::markdown(text, name.trim_end_matches(".md")))
        .collect()
}

/// Loads the demo knowledge base into `site_id`.
pub async fn load_demo_knowledge(knowledge: &KnowledgeBase, site_id: &str) -> anyhow::Result<()> {
    for doc in demo_documents() {
        knowledge.add(site_id, "en", doc).await?;
    }
    Ok(())
}

pub const DEMO_SITE_ID: &str = "demo";

/// A new site with sensible defaults; returns it with its admin key, which is
/// shown once and stored only as a hash.
pub async fn create_site(
    db: &Db,
    id: &str,
    name: &str,
    origins: Vec<String>,
) -> anyhow::Result<(Site, String)> {
    let site = Site {
        id: id.to_string(),
        name: name.to_string(),
        bot_name: "Lantern".into(),
        welcome_message: format!("Hi! I'm the {name} assistant. How can I help?"),
        welcome_messages: Default::default(),
        languages: vec!["en".into()],
        theme_color: "#2563eb".into(),
        position: "right".into(),
        allowed_origins: origins,
        identity_secret: None,
        identity_required: false,
        answer_threshold: None,
        typing_preview: false,
    };
    let key = auth::new_secret(auth::ADMIN_KEY_PREFIX);
    db.create_site(&site, &auth::hash_secret(&key)).await?;
    Ok((site, key))
}

/// A short random site id such as `site_3f9c1a7b2e`.
pub fn new_site_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("site_{}", &id[..10])
}

/// Creates the demo site, with the demo knowledge base, when the database
/// has no site at all; true when it did.
pub async fn ensure_demo_site(db: &Db, knowledge: &KnowledgeBase) -> anyhow::Result<bool> {
    if db.site_count().await? > 0 {
        return Ok(false);
    }
    // The demo page is served by Lantern itself (same origin, always
    // allowed); these cover the default address under both names.
    let origins = vec![
        "http://127.0.0.1:8080".into(),
        "http://localhost:8080".into(),
    ];
    // Its admin key is not shown: standard output is often a log. The
    // owner signs in with the one-time link and makes keys in the console.
    let (site, _key) = create_site(db, DEMO_SITE_ID, "Lantern demo", origins).await?;
    load_demo_knowledge(knowledge, &site.id).await?;
    tracing::info!(site_id = %site.id, "created the demo site");
    Ok(true)
}
