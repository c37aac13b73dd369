//! Every example program of LANGUAGE.md §11 parses without diagnostics.

use std::fs;
use std::path::PathBuf;

fn example_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/examples exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "aria"))
        .collect();
    files.sort();
    files
}

#[test]
fn all_section_11_examples_parse_cleanly() {
    let files = example_files();
    assert_eq!(files.len(), 9, "11.1 to 11.9");
    for file in files {
        let src = fs::read(&file).unwrap();
        let (program, diags) = aria_syntax::parse(&src);
        let rendered: Vec<String> = diags
            .iter()
            .map(|d| d.render(&file.display().to_string(), &src, false))
            .collect();
        assert!(
            diags.is_empty(),
            "{}:\n{}",
            file.display(),
            rendered.join("")
        );
        assert!(!program.items.is_empty(), "{}", file.display());
    }
}
