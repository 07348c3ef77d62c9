pub fn run_dir() {}
