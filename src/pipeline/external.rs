//! External planners on the exported PDDL: Fast Downward through its driver,
//! or any command in the IPC convention (`COMMAND DOMAIN PROBLEM PLAN`). The
//! plan file comes back as action indices of the task, checked by replaying
//! it: an external plan is trusted no more than a picture.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::output::PDDL_DOMAIN;
use super::session::Filter;
use crate::pddl::read_plan;
use crate::search::{HeuristicKind, LimitKind, Outcome, Plan, SearchConfig, SearchStats, Strategy};
use crate::symbolic::{pddl_identifiers, write_domain, write_problem, StripsTask};

/// Which planner searches the learned model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planner {
    /// The built-in search, with the network's checks on each transition.
    Builtin(Filter),
    /// The built-in search with the network's checks on the plans it finds
    /// only: a plan they reject is searched again without its refused
    /// states and moves (lazy shortest path), until one passes.
    BuiltinLazy(Filter),
    /// Fast Downward, run through the driver script at this path.
    FastDownward(PathBuf),
    /// A shell command: `{domain}`, `{problem}` and `{plan}` are replaced by
    /// the files' paths; without them the three are appended in that order.
    /// If it writes no plan file, it found none (its output is kept).
    Command(String),
}

/// Exit statuses of Fast Downward's driver (`driver/returncodes.py`).
mod fd_exit {
    pub const TRANSLATE_UNSOLVABLE: i32 = 10;
    pub const SEARCH_UNSOLVABLE: i32 = 11;
    pub const SEARCH_UNSOLVED_INCOMPLETE: i32 = 12;
    pub const SEARCH_OUT_OF_MEMORY: i32 = 22;
    pub const SEARCH_OUT_OF_TIME: i32 = 23;
    pub const SEARCH_OUT_OF_MEMORY_AND_TIME: i32 = 24;
}

impl Planner {
    /// The planner a `--planner` value names: `builtin`, `fast-downward`
    /// (the driver from `LATPLAN_FAST_DOWNWARD`, else `fast-downward` or
    /// `fast-downward.py` on `PATH`) or a command.
    /// `lazy` asks the built-in planner to check plans, not expansions.
    pub fn parse(value: &str, filter: Filter, lazy: bool) -> anyhow::Result<Planner> {
        match value.trim() {
            "" => bail!("--planner is empty: expected builtin, fast-downward or a command"),
            "builtin" if lazy && filter != Filter::None => Ok(Planner::BuiltinLazy(filter)),
            "builtin" => Ok(Planner::Builtin(filter)),
            "fast-downward" => Ok(Planner::FastDownward(find_fast_downward()?)),
            command => Ok(Planner::Command(command.to_string())),
        }
    }

    /// A short name for tables and messages.
    pub fn name(&self) -> String {
        match self {
            Planner::Builtin(Filter::None) => "builtin".into(),
            Planner::Builtin(f) => format!("builtin (filter {})", f.name()),
            Planner::BuiltinLazy(f) => format!("builtin (filter {}, on plans)", f.name()),
            Planner::FastDownward(_) => "fast-downward".into(),
            Planner::Command(c) => c.clone(),
        }
    }
}

fn find_fast_downward() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("LATPLAN_FAST_DOWNWARD") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "LATPLAN_FAST_DOWNWARD={} is no file: expected Fast Downward's driver",
                path.display()
            );
        }
        return Ok(path);
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&dirs) {
        for name in ["fast-downward", "fast-downward.py"] {
            if dir.join(name).is_file() {
                return Ok(dir.join(name));
            }
        }
    }
    bail!(
        "--planner fast-downward: no Fast Downward found; set LATPLAN_FAST_DOWNWARD to its \
         driver (`scripts/install-fast-downward.sh` installs one and prints the path) or put \
         `fast-downward` on PATH"
    )
}

/// Fast Downward's search option for `config` (`None` for bidirectional
/// search, which it does not offer).
pub fn fast_downward_search(config: &SearchConfig) -> Option<String> {
    let h = match config.heuristic {
        HeuristicKind::Blind => "blind()",
        HeuristicKind::GoalCount => "goalcount()",
        HeuristicKind::Hmax => "hmax()",
        HeuristicKind::Lmcut => "lmcut()",
    };
    match config.strategy {
        Strategy::AStar => Some(format!("astar({h})")),
        Strategy::Greedy => Some(format!("eager_greedy([{h}])")),
        Strategy::Bidirectional => None,
    }
}

/// What an external planner did.
pub struct External {
    /// A plan (replayed on the task and reaching its goal), or why there is none.
    pub outcome: Outcome,
    /// Wall time, and expansions where the planner prints them as Fast Downward does.
    pub stats: SearchStats,
    /// The planner's standard output and error.
    pub log: String,
}

/// A folder for one call's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "latplan-planner-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the planner's folder {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A path as one shell word.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Runs the external `planner` on `task` within `config`'s time limit.
pub fn run(
    planner: &Planner,
    task: &StripsTask,
    config: &SearchConfig,
) -> anyhow::Result<External> {
    let limits = config.limits;
    if limits.max_expansions.is_some() || limits.max_memory_bytes.is_some() {
        bail!("--max-expansions and --max-memory apply to the built-in planner only; an external planner takes --max-time");
    }
    if config.strategy == Strategy::Bidirectional {
        bail!("--search bidir is the built-in planner's; an external planner takes --search astar or gbfs");
    }
    let scratch = Scratch::new()?;
    let (domain, problem, plan) = (
        scratch.0.join("domain.pddl"),
        scratch.0.join("problem.pddl"),
        scratch.0.join("plan.txt"),
    );
    std::fs::write(&domain, write_domain(&task.model, PDDL_DOMAIN))
        .with_context(|| format!("cannot write {}", domain.display()))?;
    std::fs::write(&problem, write_problem(task, PDDL_DOMAIN, "problem"))
        .with_context(|| format!("cannot write {}", problem.display()))?;
    let (mut command, shown) = match planner {
        Planner::Builtin(_) | Planner::BuiltinLazy(_) => {
            bail!("internal error: the built-in planner is not external")
        }
        Planner::FastDownward(driver) => {
            let mut c = Command::new(driver);
            c.arg("--plan-file")
                .arg(&plan)
                .arg(&domain)
                .arg(&problem)
                .arg("--search")
                .args(fast_downward_search(config));
            (c, format!("{} (Fast Downward)", driver.display()))
        }
        Planner::Command(template) => {
            let placeholders = ["{domain}", "{problem}", "{plan}"];
            let line = if placeholders.iter().any(|p| template.contains(p)) {
                template
                    .replace("{domain}", &quoted(&domain))
                    .replace("{problem}", &quoted(&problem))
                    .replace("{plan}", &quoted(&plan))
            } else {
                format!(
                    "{template} {} {} {}",
                    quoted(&domain),
                    quoted(&problem),
                    quoted(&plan)
                )
            };
            let mut c = Command::new("sh");
            c.arg("-c").arg(line);
            (c, format!("`{template}`"))
        }
    };
    let start = Instant::now();
    let mut child = command
        .current_dir(&scratch.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start the planner {shown}"))?;
    let readers = [
        spawn_reader(child.stdout.take()),
        spawn_reader(child.stderr.take()),
    ];
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if limits.max_time.is_some_and(|t| start.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let log: String = readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("");
    let stats = SearchStats {
        expanded: last_count(&log, "Expanded ").unwrap_or(0),
        generated: last_count(&log, "Generated ").unwrap_or(0),
        evaluated: last_count(&log, "Evaluated ").unwrap_or(0),
        search_time: elapsed,
        ..SearchStats::default()
    };
    let Some(status) = status else {
        return Ok(External {
            outcome: Outcome::LimitReached(LimitKind::Time),
            stats,
            log,
        });
    };
    if plan.is_file() {
        let ops = read_ops(&plan, task).with_context(|| format!("the plan of {shown}"))?;
        return Ok(External {
            outcome: Outcome::Plan(Plan {
                cost: ops.len() as u64,
                ops,
            }),
            stats,
            log,
        });
    }
    let code = status.code();
    let outcome = match (planner, code) {
        (Planner::FastDownward(_), Some(c)) => match c {
            fd_exit::TRANSLATE_UNSOLVABLE
            | fd_exit::SEARCH_UNSOLVABLE
            | fd_exit::SEARCH_UNSOLVED_INCOMPLETE => Some(Outcome::Unsolvable),
            fd_exit::SEARCH_OUT_OF_MEMORY => Some(Outcome::LimitReached(LimitKind::Memory)),
            fd_exit::SEARCH_OUT_OF_TIME | fd_exit::SEARCH_OUT_OF_MEMORY_AND_TIME => {
                Some(Outcome::LimitReached(LimitKind::Time))
            }
            _ => None,
        },
        // A command that ran to its end and wrote no plan found none (IPC
        // planners exit non-zero then); 126 and 127 are the shell's "cannot run".
        (Planner::Command(_), Some(c)) if c != 126 && c != 127 => Some(Outcome::Unsolvable),
        _ => None,
    };
    match outcome {
        Some(outcome) => Ok(External {
            outcome,
            stats,
            log,
        }),
        None => {
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "the planner {shown} failed ({status}) and wrote no plan; its last output:\n{}",
                tail.join("\n")
            )
        }
    }
}

fn spawn_reader<R: std::io::Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let mut bytes = Vec::new();
            let _ = p.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// The number after the last `key` in a line (Fast Downward's
/// `[t=0.01s, 9880 KB] Expanded 12 state(s).`), if any.
fn last_count(log: &str, key: &str) -> Option<u64> {
    log.lines()
        .rev()
        .filter_map(|l| l.find(key).map(|at| &l[at + key.len()..]))
        .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// The plan file at `path` as action indices of `task`; it must name
/// actions of the domain, replay from the initial state and reach the goal.
fn read_ops(path: &Path, task: &StripsTask) -> anyhow::Result<Vec<u32>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let steps = read_plan(&text).map_err(|e| crate::pddl::PddlError::at(path, e))?;
    let names = pddl_identifiers(task.model.actions().iter().map(|a| &a.name));
    let index: HashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let ops = steps
        .iter()
        .map(|s| match index.get(s.name.as_str()) {
            Some(&op) if s.args.is_empty() => Ok(op),
            Some(_) => bail!("line {}: action {} takes no arguments", s.line, s.name),
            None => bail!("line {}: the domain has no action {}", s.line, s.name),
        })
        .collect::<anyhow::Result<Vec<u32>>>()?;
    let as_usize: Vec<usize> = ops.iter().map(|&o| o as usize).collect();
    let states = task
        .replay(&as_usize)
        .map_err(|k| anyhow::anyhow!("step {} ({}) is not applicable", k + 1, steps[k].name))?;
    if !states.last().is_some_and(|s| task.is_goal(s)) {
        bail!("the plan does not reach the goal");
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_downward_options_and_counts() {
        let mut config = SearchConfig::default();
        assert_eq!(fast_downward_search(&config).unwrap(), "astar(lmcut())");
        config.strategy = Strategy::Greedy;
        config.heuristic = HeuristicKind::GoalCount;
        assert_eq!(
            fast_downward_search(&config).unwrap(),
            "eager_greedy([goalcount()])"
        );
        config.strategy = Strategy::Bidirectional;
        assert_eq!(fast_downward_search(&config), None);
        let log = "[t=0.1s] Expanded 3 state(s).\nExpanded 17 state(s).\nGenerated 40 state(s).\n";
        assert_eq!(last_count(log, "Expanded "), Some(17));
        assert_eq!(last_count(log, "Generated "), Some(40));
        assert_eq!(last_count(log, "Evaluated "), None);
        assert_eq!(quoted(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }
}
