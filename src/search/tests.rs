//! Cross-checks of the search engine and heuristics on random STRIPS models
//! (with negative preconditions, like learned ones): A* plan lengths equal
//! breadth-first search, plans replay, and admissible heuristics never exceed
//! the true goal distance computed by exhaustive enumeration.

use std::collections::{HashMap, VecDeque};

use rand::Rng as _;

use super::heuristics::{Blind, GoalCount, HMax, HeuristicKind, LmCut};
use super::{search_task, Heuristic, Limits, Outcome, SearchConfig, Strategy};
use crate::symbolic::{BitState, StripsAction, StripsModel, StripsTask};
use crate::util::{rng, Rng};

fn random_mask(r: &mut Rng, width: usize, p: f64) -> Vec<bool> {
    (0..width).map(|_| r.random_bool(p)).collect()
}

/// A random task over `width` bits whose goal is a part of a state reached by
/// a random walk (so most are solvable).
pub(crate) fn random_task(r: &mut Rng, width: usize, actions: usize) -> StripsTask {
    let acts: Vec<StripsAction> = (0..actions)
        .map(|i| {
            let pos = random_mask(r, width, 0.15);
            let neg: Vec<bool> = random_mask(r, width, 0.15)
                .iter()
                .zip(&pos)
                .map(|(n, p)| *n && !p)
                .collect();
            StripsAction::from_bools(
                format!("a{i}"),
                &pos,
                &neg,
                &random_mask(r, width, 0.2),
                &random_mask(r, width, 0.2),
            )
        })
        .collect();
    let model = StripsModel::new((0..width).map(|i| format!("z{i}")).collect(), acts)
        .unwrap_or_else(|e| panic!("{e}"));
    let init = BitState::from_bools(&random_mask(r, width, 0.5));
    let mut s = init.clone();
    for _ in 0..r.random_range(0..12) {
        let app: Vec<&StripsAction> = model
            .actions()
            .iter()
            .filter(|a| a.is_applicable(&s))
            .collect();
        if app.is_empty() {
            break;
        }
        s = app[r.random_range(0..app.len())].apply(&s);
    }
    let keep = random_mask(r, width, 0.5);
    let pos = BitState::from_ones(width, (0..width).filter(|&i| keep[i] && s.get(i)));
    let neg = BitState::from_ones(width, (0..width).filter(|&i| keep[i] && !s.get(i)));
    StripsTask::new(model, init, pos, neg).unwrap_or_else(|e| panic!("{e}"))
}

fn successors(task: &StripsTask, s: &BitState) -> Vec<BitState> {
    task.model
        .actions()
        .iter()
        .filter(|a| a.is_applicable(s))
        .map(|a| a.apply(s))
        .collect()
}

/// Length of a shortest plan by breadth-first search (the oracle).
pub(crate) fn bfs_length(task: &StripsTask) -> Option<usize> {
    pathfinding::directed::bfs::bfs(&task.init, |s| successors(task, s), |s| task.is_goal(s))
        .map(|p| p.len() - 1)
}

fn check_plan(task: &StripsTask, config: &SearchConfig) -> Option<usize> {
    let result = search_task(task, config);
    match result.outcome {
        Outcome::Plan(plan) => {
            let ops: Vec<usize> = plan.ops.iter().map(|&o| o as usize).collect();
            let states = task
                .replay(&ops)
                .unwrap_or_else(|step| panic!("plan step {step} is not applicable"));
            assert!(
                task.is_goal(states.last().unwrap_or(&task.init)),
                "plan does not reach the goal"
            );
            assert_eq!(plan.cost, ops.len() as u64);
            Some(ops.len())
        }
        Outcome::Unsolvable => None,
        Outcome::LimitReached(k) => panic!("limit {k:?} reached without limits"),
    }
}

#[test]
fn astar_matches_bfs_and_greedy_plans_are_valid() {
    let mut r = rng(5, 0);
    let mut solved = 0;
    for case in 0..150 {
        let task = random_task(&mut r, 6 + case % 9, 10 + case % 25);
        let optimal = bfs_length(&task);
        solved += usize::from(optimal.is_some());
        for heuristic in HeuristicKind::ALL {
            let astar = SearchConfig {
                strategy: Strategy::AStar,
                heuristic,
                limits: Limits::default(),
            };
            let greedy = SearchConfig {
                strategy: Strategy::Greedy,
                ..astar
            };
            let found = check_plan(&task, &astar);
            if heuristic.is_admissible() {
                assert_eq!(found, optimal, "case {case}, {heuristic:?}");
            } else {
                assert_eq!(
                    found.is_some(),
                    optimal.is_some(),
                    "case {case}, {heuristic:?}"
                );
            }
            assert_eq!(
                check_plan(&task, &greedy).is_some(),
                optimal.is_some(),
                "case {case}, greedy {heuristic:?}"
            );
        }
    }
    assert!(
        solved > 50,
        "too few solvable random tasks ({solved}) to test anything"
    );
}

/// True goal distance of every state reachable from the initial state.
fn true_distances(task: &StripsTask) -> HashMap<BitState, Option<usize>> {
    let mut seen = vec![task.init.clone()];
    let mut index = HashMap::from([(task.init.clone(), 0usize)]);
    let mut back: Vec<Vec<usize>> = vec![Vec::new()];
    let mut i = 0;
    while i < seen.len() {
        for t in successors(task, &seen[i].clone()) {
            let j = *index.entry(t.clone()).or_insert_with(|| {
                seen.push(t);
                back.push(Vec::new());
                seen.len() - 1
            });
            back[j].push(i);
        }
        i += 1;
    }
    let mut dist = vec![None; seen.len()];
    let mut queue: VecDeque<usize> = (0..seen.len())
        .filter(|&k| task.is_goal(&seen[k]))
        .collect();
    queue.iter().for_each(|&k| dist[k] = Some(0));
    while let Some(k) = queue.pop_front() {
        for &p in &back[k] {
            if dist[p].is_none() {
                dist[p] = dist[k].map(|d| d + 1);
                queue.push_back(p);
            }
        }
    }
    seen.into_iter().zip(dist).collect()
}

pub(crate) fn check_admissible(task: &StripsTask) -> usize {
    let mut hmax = HMax::new(task);
    let mut lmcut = LmCut::new(task);
    let mut blind = Blind::new(task);
    let mut checked = 0;
    for (state, dist) in true_distances(task) {
        let (hm, lc, bl) = (
            hmax.estimate(state.words()),
            lmcut.estimate(state.words()),
            blind.estimate(state.words()),
        );
        match dist {
            Some(d) => {
                for (name, h) in [("hmax", hm), ("lmcut", lc), ("blind", bl)] {
                    let h = h.unwrap_or_else(|| panic!("{name} calls a solvable state a dead end"));
                    assert!(h as usize <= d, "{name} = {h} > h* = {d} at {state}");
                }
                assert!(lc >= hm, "LM-cut {lc:?} below h^max {hm:?} at {state}");
                checked += 1;
            }
            None => assert!(
                hm.is_none() || lc.is_some(),
                "LM-cut misses a dead end h^max found"
            ),
        }
    }
    checked
}

#[test]
fn admissible_heuristics_never_exceed_the_true_distance() {
    let mut r = rng(9, 0);
    let mut checked = 0;
    for case in 0..60 {
        let task = random_task(&mut r, 5 + case % 8, 8 + case % 20);
        checked += check_admissible(&task);
    }
    assert!(checked > 500, "only {checked} states checked");
}

#[test]
fn goal_count_counts_violated_literals() {
    let a = StripsAction::from_bools("a", &[false; 3], &[false; 3], &[false; 3], &[false; 3]);
    let model = StripsModel::new(vec!["x".into(), "y".into(), "z".into()], vec![a]).unwrap();
    let task = StripsTask::new(
        model,
        BitState::zeros(3),
        BitState::from_ones(3, [0, 1]),
        BitState::from_ones(3, [2]),
    )
    .unwrap();
    let mut gc = GoalCount::new(&task);
    assert_eq!(gc.estimate(BitState::from_ones(3, [2]).words()), Some(3));
    assert_eq!(gc.estimate(BitState::from_ones(3, [0, 1]).words()), Some(0));
}

#[test]
fn limits_stop_the_search_and_unsolvable_is_proved() {
    // A counter over 12 bits: "inc" adds the lowest zero bit, clearing the ones below it.
    let width = 12;
    let actions: Vec<StripsAction> = (0..width)
        .map(|k| {
            let pos: Vec<bool> = (0..width).map(|i| i < k).collect();
            let neg: Vec<bool> = (0..width).map(|i| i == k).collect();
            StripsAction::from_bools(format!("inc{k}"), &pos, &neg, &neg, &pos)
        })
        .collect();
    let model = StripsModel::new((0..width).map(|i| format!("z{i}")).collect(), actions).unwrap();
    let all_ones = BitState::from_ones(width, 0..width);
    let task = StripsTask::with_full_goal(model.clone(), BitState::zeros(width), all_ones).unwrap();
    let limits = Limits {
        max_expansions: Some(100),
        ..Limits::default()
    };
    let result = search_task(
        &task,
        &SearchConfig {
            strategy: Strategy::AStar,
            heuristic: HeuristicKind::Blind,
            limits,
        },
    );
    assert_eq!(
        result.outcome,
        Outcome::LimitReached(super::LimitKind::Expansions)
    );
    assert_eq!(result.stats.expanded, 100);
    let full = SearchConfig {
        strategy: Strategy::AStar,
        heuristic: HeuristicKind::Blind,
        limits: Limits::default(),
    };
    assert_eq!(check_plan(&task, &full), Some((1 << width) - 1));
    // At all ones no increment applies, so zero is unreachable.
    let stuck = StripsTask::with_full_goal(
        model,
        BitState::from_ones(width, 0..width),
        BitState::zeros(width),
    )
    .unwrap();
    for heuristic in HeuristicKind::ALL {
        let r = search_task(&stuck, &SearchConfig { heuristic, ..full });
        assert_eq!(r.outcome, Outcome::Unsolvable, "{heuristic:?}");
    }
}
