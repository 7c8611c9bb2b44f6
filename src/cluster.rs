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
    let mut groups: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    for doc in 0..n as u32 {
        let root = sets.find(doc);
        groups.entry(root).or_default().push(doc);
    }
    let mut out: Vec<Vec<u32>> = groups
        .into_values()
        .filter(|g| keep_singletons || g.len() > 1)
        .map(|mut g| {
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
