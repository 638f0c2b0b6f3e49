//! Memory-mapped model files, and handing their pages back to the kernel
//! once the weights have been copied or re-laid.

use std::fs::File;

/// Drops this process's resident pages of `len` bytes at `offset` of a
/// read-only map, once their content lives elsewhere (packed weights): the
/// page cache keeps them, the process's memory stops counting them, and a
/// later read simply maps them in again.
pub fn release_pages(map: &memmap2::Mmap, offset: usize, len: usize) {
    if offset.checked_add(len).is_none_or(|end| end > map.len()) {
        return;
    }
    // SAFETY: the map is private and read-only, so MADV_DONTNEED discards
    // nothing that cannot be read back from the file; no reference into the
    // range is invalidated (the memory stays mapped, pages refault).
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
}

/// Maps a model file read-only.
pub fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this process. If another
    // process truncates the file while it is mapped, reads fault (SIGBUS);
    // that is the documented limit of every mmap-based model loader
    // (llama.cpp included) and the reason model files are treated as
    // immutable once added.
    unsafe { memmap2::Mmap::map(file) }
}
