//! The prefix cache: KV blocks of prompts seen recently, kept so that a
//! request starting with the same tokens (an assistant's instructions, a
//! document, the history of a chat) starts from them instead of computing
//! them again. The blocks form a tree: a node holds one block and the up to
//! [`BLOCK`] tokens it covers, its parent the block before. A node with
//! fewer tokens (the tail of a prompt) is always a leaf. Blocks are shared
//! by reference count with the sequences that use them; within the memory
//! budget the least recently used leaves go first.
//!
//! A lookup may match part of a node (a prompt that goes on differently
//! inside a block): the sequence then takes the whole block and copies it
//! when it writes its first own position there.

use std::sync::Arc;

use crate::kv::{KvBlock, BLOCK};
use crate::tokenizer::TokenId;

/// Counters of the prefix cache since the engine started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrefixCacheStats {
    /// Sequences started from a cached prefix.
    pub hits: u64,
    /// Sequences for which nothing was cached.
    pub misses: u64,
    /// Prompt tokens taken from the cache instead of computed.
    pub hit_tokens: u64,
    /// Blocks dropped to stay within the budget.
    pub evicted_blocks: u64,
    /// Blocks held now.
    pub blocks: usize,
    /// Memory held now, in bytes.
    pub bytes: usize,
}

type NodeId = usize;

#[derive(Debug)]
struct Node {
    parent: Option<NodeId>,
    tokens: Vec<TokenId>,
    block: Arc<KvBlock>,
    children: Vec<NodeId>,
    used: u64,
}

#[derive(Debug)]
pub(crate) struct PrefixCache {
    budget: usize,
    nodes: Vec<Option<Node>>,
    free: Vec<NodeId>,
    roots: Vec<NodeId>,
    tick: u64,
    stats: PrefixCacheStats,
}

fn common_prefix(a: &[TokenId], b: &[TokenId]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl PrefixCache {
    /// A cache holding at most `budget` bytes of blocks; 0 turns it off.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            nodes: Vec::new(),
            free: Vec::new(),
            roots: Vec::new(),
            tick: 0,
            stats: PrefixCacheStats::default(),
        }
    }

    pub fn stats(&self) -> PrefixCacheStats {
        self.stats
    }

    fn node(&self, id: NodeId) -> &Node {
        self.nodes[id].as_ref().expect("live node")
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.nodes[id].as_mut().expect("live node")
    }

    fn children(&self, parent: Option<NodeId>) -> &[NodeId] {
        match parent {
            Some(p) => &self.node(p).children,
            None => &self.roots,
        }
    }

    /// The blocks of the longest cached prefix of `tokens`, at most `max`
    /// tokens long, and its length.
    pub fn lookup(&mut self, tokens: &[TokenId], max: usize) -> (Vec<Arc<KvBlock>>, usize) {
        if self.budget == 0 {
            return (Vec::new(), 0);
        }
        self.tick += 1;
        let tokens = &tokens[..max.min(tokens.len())];
        let mut blocks = Vec::new();
        let mut matched = 0;
        let mut parent = None;
        loop {
            let rest = &tokens[matched..];
            let best = self
                .children(parent)
                .iter()
                .map(|&c| (c, common_prefix(&self.node(c).tokens, rest)))
                .max_by_key(|&(_, n)| n);
            let Some((child, n)) = best.filter(|&(_, n)| n > 0) else {
                break;
            };
            let tick = self.tick;
            let node = self.node_mut(child);
            node.used = tick;
            blocks.push(Arc::clone(&node.block));
            matched += n;
            if n < BLOCK {
                break;
            }
            parent = Some(child);
        }
        if matched > 0 {
            self.stats.hits += 1;
            self.stats.hit_tokens += matched as u64;
        } else {
            self.stats.misses += 1;
        }
        (blocks, matched)
    }

    /// Offers the blocks holding `tokens` (whole blocks, and with `tail`
    /// also the last, partly filled one), then evicts down to the budget.
    pub fn insert(&mut self, tokens: &[TokenId], blocks: &[Arc<KvBlock>], tail: bool) {
        if self.budget == 0 {
            return;
        }
        self.tick += 1;
        let mut parent = None;
        for (b, chunk) in tokens.chunks(BLOCK).enumerate() {
            let full = chunk.len() == BLOCK;
            if !full && !tail {
                break;
            }
            let Some(block) = blocks.get(b) else {
                break;
            };
            let siblings = self.children(parent).to_vec();
            // The same tokens, or (for a tail) a longer node covering them.
            let covered = siblings.iter().copied().find(|&c| {
                let t = &self.node(c).tokens;
                t.len() >= chunk.len() && t[..chunk.len()] == *chunk
            });
            if let Some(c) = covered {
                let tick = self.tick;
                self.node_mut(c).used = tick;
                if !full {
                    break;
                }
                parent = Some(c);
                continue;
            }
            // A shorter tail that this chunk extends is superseded.
            for c in siblings {
                let t = &self.node(c).tokens;
                if t.len() < chunk.len() && chunk[..t.len()] == *t {
                    self.remove_leaf(c);
                }
            }
            let id = self.add(Node {
                parent,
                tokens: chunk.to_vec(),
                block: Arc::clone(block),
                children: Vec::new(),
                used: self.tick,
            });
            if !full {
                break;
            }
            parent = Some(id);
        }
        self.evict();
    }

    fn add(&mut self, node: Node) -> NodeId {
        self.stats.blocks += 1;
        self.stats.bytes += node.block.bytes();
        let parent = node.parent;
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id] = Some(node);
                id
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        match parent {
            Some(p) => self.node_mut(p).children.push(id),
            None => self.roots.push(id),
        }
        id
    }

    fn remove_leaf(&mut self, id: NodeId) {
        let Some(node) = self.nodes[id].take() else {
            return;
        };
        debug_assert!(node.children.is_empty());
        self.free.push(id);
        self.stats.blocks -= 1;
        self.stats.bytes -= node.block.bytes();
        let siblings = match node.parent {
            Some(p) => &mut self.node_mut(p).children,
            None => &mut self.roots,
        };
        siblings.retain(|&c| c != id);
    }

    /// Drops least recently used leaves until the blocks fit the budget.
    fn evict(&mut self) {
        while self.stats.bytes > self.budget {
            let oldest = self
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(id, n)| n.as_ref().map(|n| (id, n)))
                .filter(|(_, n)| n.children.is_empty())
                .min_by_key(|(_, n)| n.used)
                .map(|(id, _)| id);
            let Some(id) = oldest else {
                break;
            };
            self.remove_leaf(id);
            self.stats.evicted_blocks += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::KvType;

    fn blocks(n: usize) -> Vec<Arc<KvBlock>> {
        (0..n)
            .map(|_| Arc::new(KvBlock::new(KvType::F16, 1, 2)))
            .collect()
    }

    fn tokens(start: TokenId, n: usize) -> Vec<TokenId> {
        (start..start + n as TokenId).collect()
    }

    #[test]
    fn a_lookup_matches_whole_blocks_and_then_part_of_one() {
        let mut c = PrefixCache::new(1 << 20);
        let t = tokens(0, 2 * BLOCK + 5);
        let b = blocks(3);
        c.insert(&t, &b, true);
        assert_eq!(c.stats().blocks, 3);
        let mut q = tokens(0, BLOCK + 7);
        q.push(9999);
        let (got, n) = c.lookup(&q, usize::MAX);
        assert_eq!(n, BLOCK + 7);
        assert_eq!(got.len(), 2);
        assert!(Arc::ptr_eq(&got[0], &b[0]) && Arc::ptr_eq(&got[1], &b[1]));
        // The cap is honoured, and a different first token misses.
        assert_eq!(c.lookup(&t, 10).1, 10);
        assert_eq!(c.lookup(&[4242, 1, 2], usize::MAX).1, 0);
        let s = c.stats();
        assert_eq!((s.hits, s.misses), (2, 1));
        assert_eq!(s.hit_tokens as usize, BLOCK + 7 + 10);
    }

    #[test]
    fn a_longer_prompt_supersedes_a_cached_tail_and_a_shorter_one_is_covered() {
        let mut c = PrefixCache::new(1 << 20);
        let b = blocks(2);
        c.insert(&tokens(0, BLOCK + 3), &b, true);
        assert_eq!(c.stats().blocks, 2);
        // The same prompt grown past its block: the tail is replaced.
        let b2 = blocks(3);
        c.insert(&tokens(0, 2 * BLOCK + 1), &b2, true);
        assert_eq!(c.stats().blocks, 3);
        // A shorter prompt adds nothing.
        c.insert(&tokens(0, BLOCK + 10), &blocks(2), true);
        assert_eq!(c.stats().blocks, 3);
        let (got, n) = c.lookup(&tokens(0, 3 * BLOCK), usize::MAX);
        assert_eq!(n, 2 * BLOCK + 1);
        assert!(Arc::ptr_eq(&got[1], &b2[1]));
    }

    #[test]
    fn eviction_drops_the_least_recently_used_leaves_first() {
        let one = KvBlock::new(KvType::F16, 1, 2).bytes();
        let mut c = PrefixCache::new(3 * one);
        c.insert(&tokens(0, 2 * BLOCK), &blocks(2), false);
        c.insert(&tokens(1000, BLOCK), &blocks(1), false);
        // Touch the first prompt: the second one is now the oldest.
        assert_eq!(c.lookup(&tokens(0, 2 * BLOCK), usize::MAX).1, 2 * BLOCK);
        c.insert(&tokens(2000, BLOCK), &blocks(1), false);
        let s = c.stats();
        assert_eq!((s.blocks, s.bytes, s.evicted_blocks), (3, 3 * one, 1));
        assert_eq!(c.lookup(&tokens(1000, BLOCK), usize::MAX).1, 0);
        assert_eq!(c.lookup(&tokens(0, 2 * BLOCK), usize::MAX).1, 2 * BLOCK);
        assert_eq!(c.lookup(&tokens(2000, BLOCK), usize::MAX).1, BLOCK);
        // A budget of 0 keeps nothing and counts nothing.
        let mut off = PrefixCache::new(0);
        off.insert(&tokens(0, BLOCK), &blocks(1), true);
        assert_eq!(off.lookup(&tokens(0, BLOCK), usize::MAX).1, 0);
        assert_eq!(off.stats(), PrefixCacheStats::default());
    }
}
