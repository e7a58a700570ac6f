//! Entry point: mounts the console on the page's body.

fn main() {
    lantern_console::start();
}
