//! The shape the code keeps: files of a few hundred lines, not thousands.

/// No source file above 500 lines: split by feature or by rule before that.
#[test]
fn no_source_file_is_longer_than_500_lines() {
    let long: Vec<String> = crate::common::source_files()
        .into_iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            (lines > 500).then(|| format!("{} ({lines})", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "too long: {long:?}");
}
