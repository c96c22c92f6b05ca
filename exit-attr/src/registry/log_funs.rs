//! The distinct log functions of a signal, collected without allocating in
//! the usual case.

/// Distinct log functions, in the order they were first inserted. The first
/// eight are kept inline: a thread's first allocation makes glibc set up a
/// memory arena for it, which would otherwise sit between a signal and the
/// exit functions.
#[derive(Default)]
pub(crate) struct LogFuns {
    inline: [Option<fn(&str)>; 8],
    overflow: Vec<fn(&str)>,
}

impl LogFuns {
    pub(super) fn insert(&mut self, logfun: fn(&str)) {
        if self.iter().any(|known| known as usize == logfun as usize) {
            return;
        }
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(logfun),
            None => self.overflow.push(logfun),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = fn(&str)> + '_ {
        self.inline.iter().flatten().chain(&self.overflow).copied()
    }
}
