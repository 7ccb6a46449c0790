//! (stub until branch c lands)
pub fn import(_config: &std::path::Path, _file: &std::path::Path) -> anyhow::Result<String> {
    anyhow::bail!("import is not built yet")
}
