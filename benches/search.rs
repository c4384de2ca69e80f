//! `cargo bench --bench search`: blind A* on ground-truth PDDL files, run
//! repeatedly in one process, reporting the median and fastest search time and
//! expansions per second (the planner's speed target is 2 million per second on
//! the grounded 8-puzzle, one core). `BENCH_RUNS` sets the runs (default 21).
//! `scripts/bench-search.sh` compares the same searches with Fast Downward.
//! `cargo bench --bench search -- puzzle8` runs only the problems whose path
//! contains one of the given words.

use std::path::Path;

use latplan::search::{search_task, HeuristicKind, Outcome, SearchConfig, Strategy};

const CASES: [(&str, &str); 4] = [
    ("pddl/puzzle8/domain.pddl", "pddl/puzzle8/p03.pddl"),
    ("pddl/hanoi/domain.pddl", "pddl/hanoi/p03.pddl"),
    ("pddl/blocksworld/domain.pddl", "pddl/blocksworld/p03.pddl"),
    ("pddl/lightsout/domain.pddl", "pddl/lightsout/p02.pddl"),
];

fn main() -> anyhow::Result<()> {
    let runs: usize = match std::env::var("BENCH_RUNS") {
        Ok(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("BENCH_RUNS={v}: expected a count"))?,
        Err(_) => 21,
    };
    let config = SearchConfig {
        strategy: Strategy::AStar,
        heuristic: HeuristicKind::Blind,
        ..SearchConfig::default()
    };
    // cargo passes `--bench`; the other arguments filter the problems.
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!(
        "{:<22} {:>5} {:>9} {:>11} {:>11} {:>13} {:>13}",
        "problem", "plan", "expanded", "median s", "fastest s", "median Mexp/s", "fastest Mexp/s"
    );
    for (domain, problem) in CASES {
        if !words.is_empty() && !words.iter().any(|w| problem.contains(w.as_str())) {
            continue;
        }
        let task = latplan::pddl::load_task(&root.join(domain), &root.join(problem))?;
        let mut times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs.max(1) {
            let result = search_task(&task, &config);
            times.push(result.stats.search_time.as_secs_f64());
            last = Some(result);
        }
        let result = last.expect("at least one run");
        let Outcome::Plan(plan) = &result.outcome else {
            anyhow::bail!("{problem}: no plan ({:?})", result.outcome);
        };
        times.sort_by(f64::total_cmp);
        let (median, fastest) = (times[times.len() / 2], times[0]);
        let rate = |t: f64| result.stats.expanded as f64 / t / 1e6;
        let name = problem
            .trim_start_matches("pddl/")
            .trim_end_matches(".pddl");
        println!(
            "{name:<22} {:>5} {:>9} {median:>11.6} {fastest:>11.6} {:>13.2} {:>13.2}",
            plan.ops.len(),
            result.stats.expanded,
            rate(median),
            rate(fastest)
        );
    }
    println!("runs: {runs} per problem, one thread, release build");
    Ok(())
}
