//! The `lantern` binary: parse the command line, start logging, dispatch.

// mimalloc instead of glibc's malloc: memory freed after a burst (thousands
// of streams opening at once, each with its request's futures) goes back to
// the system instead of staying in glibc's per-thread arenas; figures in
// tests/bench/results.md ("where a live stream's memory goes").
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    lantern_server::cli::main()
}

// The wasm32 build is the edge worker (a library); this keeps `cargo build
// --target wasm32-unknown-unknown` of the whole package from failing.
#[cfg(target_arch = "wasm32")]
fn main() {}
