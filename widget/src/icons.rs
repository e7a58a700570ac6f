//! The panel's icons. Set as markup (`prop:innerHTML`, through
//! [`crate::hooks::trusted`]), a static SVG costs a string instead of the
//! view code that builds it node by node.

macro_rules! icon {
    ($d:literal) => {
        concat!(
            r#"<svg viewBox="0 0 24 24" aria-hidden="true"><path d=""#,
            $d,
            r#""/></svg>"#
        )
    };
}

pub const HUMAN: &str =
    icon!("M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z");
pub const NEW: &str = icon!("M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z");
pub const MINIMISE: &str = icon!("M5 11h14v2H5z");
pub const SEND: &str = icon!("M3 20.5 21 12 3 3.5V10l12 2-12 2z");
pub const THUMB: &str = icon!(
    "M1 21h4V9H1zm22-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7c.1-.3.2-.5.2-.8z"
);
pub const CLIP: &str = icon!(
    "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z"
);
