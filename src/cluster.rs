//! Cluster stage: union-find over verified pairs.

/// Disjoint sets with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Joins the sets of `a` and `b`; false when they were already one.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }

    pub fn size_of(&mut self, x: u32) -> u32 {
        let root = self.find(x);
        self.size[root as usize]
    }
}

/// Guards a cluster against chaining: two groups of documents merge only if
/// enough of their members vouch for each other, not through one edge.
pub struct ChainGuard<F: Fn(u32, u32) -> bool> {
    /// Members of each group that are checked against the other group's.
    pub sample: usize,
    /// Share of checked member pairs that must support the merge.
    pub min_support: f64,
    /// Whether two documents support being in one cluster.
    pub supports: F,
}

/// Joins documents along `edges`, strongest first, as agglomerative
/// clustering with a support test. A single document joins a group on its
/// own verified edge; two groups of several documents merge only if at least
/// `min_support` of the pairs between the first `sample` members of each (in
/// the order they joined: the best connected first) support it. So a
/// template-like document may join one story, but cannot bridge that story to
/// another one. Returns the accepted edges.
pub fn guarded_edges<F: Fn(u32, u32) -> bool>(
    n: usize,
    edges: &[(u32, u32)],
    guard: &ChainGuard<F>,
) -> Vec<(u32, u32)> {
    let mut accepted = Vec::new();
    guarded(n, edges.iter().copied(), guard, |a, b| {
        accepted.push((a, b))
    });
    accepted
}

/// [`guarded_edges`] for edges that arrive as a stream: the joined sets.
pub fn guarded_union<F: Fn(u32, u32) -> bool>(
    n: usize,
    edges: impl IntoIterator<Item = (u32, u32)>,
    guard: &ChainGuard<F>,
) -> UnionFind {
    guarded(n, edges, guard, |_, _| {})
}

fn guarded<F: Fn(u32, u32) -> bool>(
    n: usize,
    edges: impl IntoIterator<Item = (u32, u32)>,
    guard: &ChainGuard<F>,
    mut accept: impl FnMut(u32, u32),
) -> UnionFind {
    let mut sets = UnionFind::new(n);
    // The first `sample` members of each group of two or more, by root: only
    // they are ever checked, so no group keeps more.
    let mut members: rustc_hash::FxHashMap<u32, Vec<u32>> = Default::default();
    for (a, b) in edges {
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra == rb {
            accept(a, b);
            continue;
        }
        if let (Some(ga), Some(gb)) = (members.get(&ra), members.get(&rb)) {
            let mut support = 0usize;
            for &x in ga {
                for &y in gb {
                    if (x, y) == (a, b) || (y, x) == (a, b) || (guard.supports)(x, y) {
                        support += 1;
                    }
                }
            }
            if (support as f64) < guard.min_support * (ga.len() * gb.len()) as f64 {
                continue;
            }
        }
        sets.union(a, b);
        let root = sets.find(a);
        let other = if root == ra { rb } else { ra };
        let mut joined = members.remove(&root).unwrap_or_else(|| vec![root]);
        joined.extend(members.remove(&other).unwrap_or_else(|| vec![other]));
        joined.truncate(guard.sample.max(1));
        members.insert(root, joined);
        accept(a, b);
    }
    sets
}

/// Groups documents joined by `edges`. Each group's members are sorted by
/// `order` (the document ids), and groups are sorted by their first member,
/// so numbering them gives ids that depend only on the input.
pub fn clusters(
    n: usize,
    edges: impl IntoIterator<Item = (u32, u32)>,
    order: impl Fn(u32, u32) -> std::cmp::Ordering,
    keep_singletons: bool,
) -> Vec<Vec<u32>> {
    let mut sets = UnionFind::new(n);
    for (a, b) in edges {
        sets.union(a, b);
    }
    groups(&mut sets, order, keep_singletons)
}

/// The sets of `sets` as [`clusters`] orders them.
pub fn groups(
    sets: &mut UnionFind,
    order: impl Fn(u32, u32) -> std::cmp::Ordering,
    keep_singletons: bool,
) -> Vec<Vec<u32>> {
    let n = sets.parent.len() as u32;
    let mut by_root: Vec<(u32, u32)> = Vec::new();
    for d in 0..n {
        let root = sets.find(d);
        if keep_singletons || sets.size[root as usize] > 1 {
            by_root.push((root, d));
        }
    }
    by_root.sort_unstable();
    let mut out: Vec<Vec<u32>> = by_root
        .chunk_by(|x, y| x.0 == y.0)
        .map(|group| {
            let mut g: Vec<u32> = group.iter().map(|m| m.1).collect();
            g.sort_by(|&x, &y| order(x, y));
            g
        })
        .collect();
    out.sort_by(|x, y| order(x[0], y[0]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_joins_transitively() {
        let mut uf = UnionFind::new(5);
        assert!(uf.union(0, 1));
        assert!(uf.union(1, 2));
        assert!(!uf.union(0, 2));
        assert_eq!(uf.find(0), uf.find(2));
        assert_ne!(uf.find(0), uf.find(3));
        assert_eq!(uf.size_of(2), 3);
    }

    #[test]
    fn chain_guard_stops_a_chain_through_one_document() {
        // 0-1-2 is a real cluster (all vouch for each other); 3-4 another;
        // document 2 also links to 3, but nobody else in {0, 1, 2} supports 3.
        let real = |x: u32, y: u32| {
            let (x, y) = (x.min(y), x.max(y));
            matches!((x, y), (0, 1) | (0, 2) | (1, 2) | (3, 4))
        };
        let guard = ChainGuard {
            sample: 8,
            min_support: 0.5,
            supports: real,
        };
        let edges = [(0, 1), (1, 2), (3, 4), (2, 3)];
        let accepted = guarded_edges(5, &edges, &guard);
        assert_eq!(accepted, vec![(0, 1), (1, 2), (3, 4)]);
        let groups = clusters(5, accepted, |x, y| x.cmp(&y), false);
        assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4]]);
        // Without the guard the chain would merge everything.
        assert_eq!(clusters(5, edges, |x, y| x.cmp(&y), false).len(), 1);
    }

    #[test]
    fn chain_guard_accepts_well_supported_merges() {
        let everyone = |_: u32, _: u32| true;
        let guard = ChainGuard {
            sample: 2,
            min_support: 0.9,
            supports: everyone,
        };
        let accepted = guarded_edges(4, &[(0, 1), (2, 3), (1, 2)], &guard);
        assert_eq!(accepted.len(), 3);
    }

    #[test]
    fn clusters_are_ordered_by_their_first_member() {
        let names = ["d", "a", "c", "b", "e"];
        let order = |x: u32, y: u32| names[x as usize].cmp(names[y as usize]);
        let groups = clusters(5, vec![(0, 3), (2, 4)], order, false);
        // {d, b} sorts as [b, d]; {c, e} as [c, e]; "a" is a singleton.
        assert_eq!(groups, vec![vec![3, 0], vec![2, 4]]);
        let with_singletons = clusters(5, vec![(0, 3), (2, 4)], order, true);
        assert_eq!(with_singletons, vec![vec![1], vec![3, 0], vec![2, 4]]);
    }
}
