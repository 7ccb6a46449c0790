//! (to be written)
pub fn default_user_agent() -> String {
    format!(
        "roundup/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}
