//! Towers of Hanoi rules (Latplan's `model/hanoi.py`): `d` disks on `t`
//! towers, one top disk moves at a time and never onto a smaller disk.
//!
//! A state is the tower of each disk (disk 0 is the smallest), so every
//! assignment is a valid state: the order on a tower follows from the sizes.
//! The text form lists the towers left to right, each from the bottom up, with
//! disks numbered by size from 1 (smallest); `-` is an empty tower:
//! `"- | 3 | - | 4 2 1"`.

use std::fmt;
use std::str::FromStr;

/// Where each disk is: `on[i]` is the tower of disk `i` (0 = smallest).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Towers {
    /// Number of towers.
    pub towers: usize,
    /// Tower of each disk, smallest disk first.
    pub on: Vec<u8>,
}

impl Towers {
    /// All `disks` on tower `tower`.
    pub fn all_on(disks: usize, towers: usize, tower: usize) -> Towers {
        Towers {
            towers,
            on: vec![tower as u8; disks],
        }
    }

    /// The disks of each tower from the bottom up (largest first).
    pub fn stacks(&self) -> Vec<Vec<usize>> {
        let mut stacks = vec![Vec::new(); self.towers];
        for disk in (0..self.on.len()).rev() {
            stacks[usize::from(self.on[disk])].push(disk);
        }
        stacks
    }

    /// The smallest disk on `tower`, if any.
    pub fn top(&self, tower: usize) -> Option<usize> {
        self.on.iter().position(|&t| usize::from(t) == tower)
    }

    /// Every state one legal move away: for each source tower in order, its
    /// top disk onto each other tower (in order) that is empty or has a larger top.
    pub fn successors(&self) -> Vec<Towers> {
        let tops: Vec<Option<usize>> = (0..self.towers).map(|t| self.top(t)).collect();
        let mut out = Vec::new();
        for (from, top) in tops.iter().enumerate() {
            let Some(disk) = *top else { continue };
            for (to, other) in tops.iter().enumerate() {
                if to != from && other.is_none_or(|o| o > disk) {
                    let mut next = self.clone();
                    next.on[disk] = to as u8;
                    out.push(next);
                }
            }
        }
        out
    }
}

impl fmt::Display for Towers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let towers: Vec<String> = self
            .stacks()
            .iter()
            .map(|s| match s.is_empty() {
                true => "-".to_string(),
                false => s
                    .iter()
                    .map(|d| (d + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect();
        write!(f, "{}", towers.join(" | "))
    }
}

impl FromStr for Towers {
    type Err = String;

    /// Reads the text form; the number of towers is the number of `|`-separated
    /// fields and the number of disks the count of numbers, which must be
    /// 1..=n once each and decrease up every tower.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = text.split('|').map(str::trim).collect();
        let mut stacks = Vec::new();
        for (t, field) in fields.iter().enumerate() {
            let mut stack = Vec::new();
            for word in field.split_whitespace().filter(|w| *w != "-") {
                let size: usize = word
                    .parse()
                    .map_err(|_| format!("tower {}: {word:?} is not a disk number", t + 1))?;
                if stack.last().is_some_and(|&below| below <= size) {
                    return Err(format!(
                        "tower {}: disk {size} lies on the smaller disk {}",
                        t + 1,
                        stack[stack.len() - 1]
                    ));
                }
                stack.push(size);
            }
            stacks.push(stack);
        }
        let disks: usize = stacks.iter().map(Vec::len).sum();
        let mut on = vec![None; disks];
        for (t, stack) in stacks.iter().enumerate() {
            for &size in stack {
                let slot = size.checked_sub(1).and_then(|i| on.get_mut(i));
                match slot {
                    Some(s @ None) => *s = Some(t as u8),
                    Some(Some(_)) => return Err(format!("disk {size} appears twice")),
                    None => return Err(format!("disk {size} is out of range 1..={disks}")),
                }
            }
        }
        let on = on
            .into_iter()
            .collect::<Option<Vec<u8>>>()
            .ok_or("a disk number is missing")?;
        Ok(Towers {
            towers: fields.len(),
            on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn towers(text: &str) -> Towers {
        text.parse().unwrap()
    }

    #[test]
    fn text_round_trip() {
        let s = Towers {
            towers: 4,
            on: vec![3, 3, 1, 3],
        };
        assert_eq!(s.to_string(), "- | 3 | - | 4 2 1");
        assert_eq!(towers("- | 3 | - | 4 2 1"), s);
    }

    #[test]
    fn bad_text_is_rejected() {
        assert!("1 2 | -"
            .parse::<Towers>()
            .unwrap_err()
            .contains("lies on the smaller"));
        assert!("2 1 | 1".parse::<Towers>().unwrap_err().contains("twice"));
        assert!("3 1 | -".parse::<Towers>().is_err());
        assert!("x | -"
            .parse::<Towers>()
            .unwrap_err()
            .contains("not a disk"));
    }

    #[test]
    fn moves_follow_the_rules() {
        let next: Vec<String> = towers("3 1 | 2 | -")
            .successors()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(next, ["3 | 2 1 | -", "3 | 2 | 1", "3 1 | - | 2"]);
        assert_eq!(towers("- | 3 2 1").successors().len(), 1);
    }

    #[test]
    fn moves_are_reversible() {
        let s = towers("4 | 3 1 | 2 | -");
        for t in s.successors() {
            assert!(t.successors().contains(&s), "{t} does not lead back to {s}");
        }
    }
}
