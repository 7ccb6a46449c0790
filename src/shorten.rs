//! Short links: builtin (sequential codes kept in the store), YOURLS, or none.

/// The code after `code` in the sequence over `alphabet`: counting in base `alphabet.len()`
/// with the alphabet's characters as digits ("6e" -> "6f", "6z" -> "70", "zz" -> "100").
pub fn next_code(alphabet: &str, code: &str) -> String {
    let digits: Vec<char> = alphabet.chars().collect();
    let mut out: Vec<char> = code.chars().collect();
    let mut i = out.len();
    loop {
        if i == 0 {
            out.insert(0, digits[1.min(digits.len() - 1)]);
            return out.into_iter().collect();
        }
        i -= 1;
        let pos = digits.iter().position(|c| *c == out[i]).unwrap_or(0);
        if pos + 1 < digits.len() {
            out[i] = digits[pos + 1];
            return out.into_iter().collect();
        }
        out[i] = digits[0];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_over_the_alphabet() {
        let a = "0123456789abcdefghijklmnopqrstuvwxyz";
        assert_eq!(next_code(a, "6e"), "6f");
        assert_eq!(next_code(a, "6z"), "70");
        assert_eq!(next_code(a, "zz"), "100");
        let dash = "0123456789abcdefghijklmnopqrstuvwxyz-";
        assert_eq!(next_code(dash, "6z"), "6-");
        assert_eq!(next_code(dash, "6-"), "70");
    }
}
