fn main() {
    for dir in ["migrations", "templates", "static", "seeds"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
