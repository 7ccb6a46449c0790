//! The one error-chain printer: `Display` of most errors (reqwest's above all) hides the cause.

/// The error and every cause under it, joined with ": ", leaving out a cause whose text an
/// outer one already shows.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn causes_are_joined_once() {
        // A cause whose text the outer error repeats is not said twice.
        let e =
            anyhow::anyhow!("connection reset").context("error sending request: connection reset");
        assert_eq!(
            super::chain(e.as_ref()),
            "error sending request: connection reset"
        );
        let e = anyhow::anyhow!("disk full").context("cannot write drafts/x.md");
        assert_eq!(
            super::chain(e.as_ref()),
            "cannot write drafts/x.md: disk full"
        );
    }
}
