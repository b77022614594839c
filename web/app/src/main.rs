//! Mounts the playground on the page (see www/index.html).

fn main() {
    moat_playground::start();
}
