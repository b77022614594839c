//! One test per scenario file under `tests/scenarios/`.

use libtest_mimic::{Arguments, Trial};
use moat_tests::{Scenario, scenario_files};

fn main() {
    let args = Arguments::from_args();
    let trials = scenario_files()
        .into_iter()
        .map(|path| {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let file_name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Trial::test(name, move || {
                let scenario = Scenario::load(&path)?;
                scenario.check(&file_name).map_err(Into::into)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
