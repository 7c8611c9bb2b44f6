//! Asking the CPU for memory before it is read: tables read at random (the
//! term counts, a pair's term masks) miss the cache, and a request made
//! while other work goes on lets those misses overlap it.

/// Asks the CPU to bring a slice into its cache; does nothing where the
/// hint is not available.
pub fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let bytes = std::mem::size_of_val(items);
        let start = items.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: the address lies within the slice; a prefetch only
            // hints, it never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}
