//! The `lantern` binary: parse the command line, start logging, dispatch.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    lantern_server::cli::main()
}

// The wasm32 build is the edge worker (a library); this keeps `cargo build
// --target wasm32-unknown-unknown` of the whole package from failing.
#[cfg(target_arch = "wasm32")]
fn main() {}
