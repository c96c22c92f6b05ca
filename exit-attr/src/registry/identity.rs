//! What makes two registered functions the same function, and how the
//! registry's table from identity to slot hashes it.

use std::any::TypeId;
use std::hash::Hasher;

/// What makes two registered functions the same function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Identity {
    /// A function item, or a closure that captures nothing: its type, which
    /// no other function has. Two functions with identical bodies, which an
    /// optimised build may give one address, keep their own types.
    Type(TypeId),
    /// A `fn()` pointer, which carries nothing but its address: two pointers
    /// to distinct functions that the compiler merged are one.
    Address(usize),
}

impl Identity {
    /// The identity of `fun`, or `None` for a closure that captures: two such
    /// closures of one type may hold different data, so each registration of
    /// one stands alone.
    pub(crate) fn of<F: 'static>(fun: &F) -> Option<Identity> {
        if size_of::<F>() == 0 {
            return Some(Identity::Type(TypeId::of::<F>()));
        }
        if TypeId::of::<F>() == TypeId::of::<fn()>() {
            // SAFETY: `F` is `fn()`, checked just above.
            let pointer: fn() = unsafe { std::mem::transmute_copy(fun) };
            return Some(Identity::Address(pointer as usize));
        }
        None
    }
}

/// Hashes identities for the `functions` map: one multiply per word instead
/// of SipHash, which guards against attacker-chosen keys that type ids and
/// addresses are not.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the entropy in the high bits; the table also
        // indexes with the low ones.
        self.0 ^ (self.0 >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identities reach the hasher as words (`write_u64`, `write_usize`),
    /// but a key hashed as bytes must still spread over the table rather
    /// than all land in one slot.
    #[test]
    fn bytes_written_change_the_hash() {
        let hash = |bytes: &[u8]| {
            let mut hasher = IdentityHasher::default();
            hasher.write(bytes);
            hasher.finish()
        };
        assert_ne!(hash(&[1]), hash(&[2]));
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
    }
}
