//! Blocksworld rules: `k` coloured blocks on a table with a fixed number of
//! positions; a move takes a clear (top) block onto another clear block or
//! onto a free table position.
//!
//! A state says what each block stands on: `on[i] = j < k` is block `j`,
//! `on[i] = k + p` is table position `p`. The text form lists the table
//! positions left to right, each stack from the bottom up by colour letter,
//! `-` for a free position: `"R G | - | B | - | Y"`.

use std::fmt;

/// Block colour letters, in palette order (red, green, blue, yellow, magenta, cyan).
pub const LETTERS: [char; 6] = ['R', 'G', 'B', 'Y', 'M', 'C'];

/// What each block stands on, with the table's size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct World {
    /// Number of table positions.
    pub positions: usize,
    /// `on[i]`: block below `i`, or `blocks + p` for table position `p`.
    pub on: Vec<u8>,
}

impl World {
    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.on.len()
    }

    /// The world with `stacks[p]` (bottom up) on table position `p`.
    pub fn from_stacks(stacks: &[Vec<usize>]) -> World {
        let blocks = stacks.iter().map(Vec::len).sum::<usize>();
        let mut on = vec![0u8; blocks];
        for (p, stack) in stacks.iter().enumerate() {
            for (level, &b) in stack.iter().enumerate() {
                on[b] = if level == 0 {
                    (blocks + p) as u8
                } else {
                    stack[level - 1] as u8
                };
            }
        }
        World {
            positions: stacks.len(),
            on,
        }
    }

    /// Each table position's stack from the bottom up; `None` if the code is
    /// not a valid world (cycles, two blocks on one, bad values).
    pub fn stacks(&self) -> Option<Vec<Vec<usize>>> {
        let k = self.blocks();
        let mut above: Vec<Option<usize>> = vec![None; k];
        let mut stacks: Vec<Vec<usize>> = vec![Vec::new(); self.positions];
        for (b, &under) in self.on.iter().enumerate() {
            let under = usize::from(under);
            if under < k {
                if under == b || above[under].replace(b).is_some() {
                    return None;
                }
            } else {
                let stack = stacks.get_mut(under - k)?;
                if !stack.is_empty() {
                    return None;
                }
                stack.push(b);
            }
        }
        for stack in &mut stacks {
            while let Some(&top) = stack.last() {
                match above[top] {
                    Some(next) => stack.push(next),
                    None => break,
                }
            }
        }
        (stacks.iter().map(Vec::len).sum::<usize>() == k).then_some(stacks)
    }

    /// Every world one move away: each clear block in order, onto each other
    /// clear block in order, then onto each free table position in order.
    pub fn successors(&self) -> Vec<World> {
        let Some(stacks) = self.stacks() else {
            return Vec::new();
        };
        let k = self.blocks();
        let tops: Vec<usize> = stacks.iter().filter_map(|s| s.last().copied()).collect();
        let free: Vec<usize> = (0..self.positions)
            .filter(|&p| stacks[p].is_empty())
            .collect();
        let mut clear = tops.clone();
        clear.sort_unstable();
        let mut out = Vec::new();
        for &b in &clear {
            let onto_blocks = clear.iter().filter(|&&t| t != b).map(|&t| t as u8);
            let onto_table = free.iter().map(|&p| (k + p) as u8);
            for dest in onto_blocks.chain(onto_table) {
                let mut next = self.clone();
                next.on[b] = dest;
                out.push(next);
            }
        }
        out
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(stacks) = self.stacks() else {
            return write!(f, "(invalid world {:?})", self.on);
        };
        let fields: Vec<String> = stacks
            .iter()
            .map(|s| match s.is_empty() {
                true => "-".to_string(),
                false => s
                    .iter()
                    .map(|&b| LETTERS[b].to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect();
        write!(f, "{}", fields.join(" | "))
    }
}

impl std::str::FromStr for World {
    type Err = String;

    /// Reads the text form: `|`-separated table positions, each a stack of
    /// colour letters from the bottom up; the letters must be the first `k`
    /// of `R G B Y M C`, once each.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut stacks = Vec::new();
        for (p, field) in text.split('|').enumerate() {
            let mut stack = Vec::new();
            for word in field.split_whitespace().filter(|w| *w != "-") {
                let letter = word.to_ascii_uppercase();
                let b = LETTERS
                    .iter()
                    .position(|l| l.to_string() == letter)
                    .ok_or_else(|| {
                        format!(
                            "position {}: {word:?} is not a block letter (R G B Y M C)",
                            p + 1
                        )
                    })?;
                stack.push(b);
            }
            stacks.push(stack);
        }
        let mut all: Vec<usize> = stacks.iter().flatten().copied().collect();
        all.sort_unstable();
        let k = all.len();
        if all != (0..k).collect::<Vec<_>>() {
            let expected: Vec<String> = LETTERS[..k.min(LETTERS.len())]
                .iter()
                .map(char::to_string)
                .collect();
            return Err(format!(
                "the blocks must be {} once each",
                expected.join(" ")
            ));
        }
        Ok(World::from_stacks(&stacks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(text: &str) -> World {
        text.parse().unwrap()
    }

    #[test]
    fn text_round_trip() {
        let w = world("R G | - | B | - | Y");
        assert_eq!(w.on, vec![4, 0, 6, 8]);
        assert_eq!(w.to_string(), "R G | - | B | - | Y");
        assert_eq!(
            w.stacks().unwrap(),
            vec![vec![0, 1], vec![], vec![2], vec![], vec![3]]
        );
    }

    #[test]
    fn bad_text_and_codes_are_rejected() {
        assert!("R R | G"
            .parse::<World>()
            .unwrap_err()
            .contains("once each"));
        assert!("R B | -"
            .parse::<World>()
            .unwrap_err()
            .contains("R G once each"));
        assert!("R X"
            .parse::<World>()
            .unwrap_err()
            .contains("not a block letter"));
        assert_eq!(
            World {
                positions: 2,
                on: vec![1, 0]
            }
            .stacks(),
            None,
            "a cycle"
        );
        assert_eq!(
            World {
                positions: 2,
                on: vec![2, 2]
            }
            .stacks(),
            None,
            "two on one position"
        );
        assert_eq!(
            World {
                positions: 2,
                on: vec![2, 0, 0]
            }
            .stacks(),
            None,
            "two on one block"
        );
    }

    #[test]
    fn moves_follow_the_rules() {
        let next: Vec<String> = world("R G | - | B")
            .successors()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            next,
            ["R | - | B G", "R | G | B", "R G B | - | -", "R G | B | -"]
        );
    }

    #[test]
    fn moves_are_reversible() {
        let w = world("R G | - | B Y | -");
        for t in w.successors() {
            assert!(t.successors().contains(&w), "{t} does not lead back to {w}");
        }
    }
}
