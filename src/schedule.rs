//! (to be written)

/// A cron schedule (placeholder until the schedule module is written).
#[derive(Debug, Clone)]
pub struct Cron(String);
impl Cron {
    pub fn parse(s: &str) -> Result<Cron, String> {
        Ok(Cron(s.to_owned()))
    }
}
