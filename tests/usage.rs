//! The README's command reference is the `--help` text, verbatim: this keeps the two in
//! agreement (regenerate the README block when a flag changes).

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run roundup --help");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("help is UTF-8")
        .trim_end()
        .to_owned()
}

#[test]
fn readme_quotes_every_help_text() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut commands = vec![vec![]];
    for sub in [
        "poll", "draft", "publish", "items", "skip", "unskip", "sources", "check", "daemon",
        "import", "review",
    ] {
        commands.push(vec![sub]);
    }
    for args in commands {
        let text = help(&args);
        let heading = format!(
            "$ roundup {}--help",
            args.iter().map(|a| format!("{a} ")).collect::<String>()
        );
        let quoted = format!("{heading}\n{text}\n");
        assert!(
            readme.contains(&quoted),
            "README.md does not quote `{heading}` as it is now:\n{quoted}"
        );
    }
}

#[test]
fn readme_gives_the_two_quick_start_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- --config config/demo.toml draft"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(
        readme.contains("cargo test --all-targets") && ci.contains("cargo test --all-targets"),
        "CI runs the README's test command"
    );
}
