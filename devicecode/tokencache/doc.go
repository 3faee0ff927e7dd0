// Package tokencache keeps the agent's tokens in one small file on flash that
// survives crashes and power cuts: the signed-in account, the refresh token
// and one access token per profile.
//
// # Format
//
// The file is CBOR (RFC 8949): an envelope map {1: format version, 2: payload
// as a byte string, 3: CRC-32C of the payload}, the payload being a map with
// small integer keys. Both are encoded with the core deterministic rules, so
// equal snapshots give equal bytes. Times are whole unix seconds. Decoding is
// strict: bounded size (Options.MaxSize), nesting, array and map lengths; no
// indefinite lengths, tags or duplicate keys. A file that does not decode, or
// whose checksum does not match, is moved aside to PATH.corrupt-<unix time>
// and Load says so in one line (ErrCorrupt, ErrUnknownVersion); the agent then
// signs in again. Load never panics on any content (FuzzDecode checks it).
//
// # Flash wear
//
// Save encodes the snapshot and compares the bytes with what it last read or
// wrote; when they are equal and a stat shows the file untouched (same inode,
// size, mtime), nothing is written. Polling and idle periods therefore cost
// no erase cycles; only a new or rotated token does.
//
// # Crash safety
//
// Save never writes into the cache file. It writes the new content to a fresh
// temporary file in the same folder (O_EXCL, mode 0600), fsyncs it, renames
// it over the cache file, and fsyncs the folder. Why each step:
//
//   - A process crash (SIGKILL, panic, OOM kill) at any point leaves the cache
//     file untouched until rename(2), which atomically switches the name from
//     the old inode to the new one: any reader sees the old or the new
//     content, never a mix. A temporary file left behind is removed by the
//     next Load. TestCrashSafety kills a writer hundreds of times to show it.
//
//   - A power cut is harsher: the kernel's page cache is lost, and the file
//     system may have committed some operations and not others. rename(2)
//     is one metadata operation that the file system commits as a unit: on
//     ext4 it goes into a single journal transaction, on f2fs into a
//     checkpoint, so after recovery the name points at the old inode or the
//     new one. What the rename does not order is the new file's data: with
//     delayed allocation (ext4, f2fs) the rename can be committed before the
//     data blocks are written, and the name then points at an empty or
//     partial file after the power cut (ext4 in data=writeback mode can even
//     show stale blocks). The fsync of the temporary file before the rename
//     closes that window: data, size and block map are on the medium, past
//     the device's write cache, before the name can point at them. ext4's
//     auto_da_alloc heuristic narrows the window for exactly this pattern,
//     but it is a heuristic, not a promise, and other file systems need not
//     have it.
//
//   - Until the folder itself is synced, the rename lives only in memory, and
//     a power cut brings back the old file. That is still "old or new", but
//     Save would have reported success for content that is gone, and with
//     refresh token rotation the old refresh token may already be revoked by
//     the provider. So Save syncs the folder before it returns, and only
//     then is the new content durable. On f2fs, the fsync of a folder is
//     what triggers the checkpoint that commits the rename. Remove syncs the
//     folder for the same reason (a signed-out board must stay signed out),
//     and a newly created folder is synced into its parent.
//
// What no file system can promise is protected by the checksum: storage that
// acknowledges a cache flush without doing it (some SD cards), or a bit flip
// on flash. A torn or flipped file that still happens to decode as CBOR fails
// the CRC-32C and is treated as corrupt, rather than handing the agent a
// damaged token.
//
// # Security
//
// The file and its temporary files are created with mode 0600 and the folder
// with 0700. Load refuses a file readable or writable by group or others
// (ErrInsecureMode) and names the fix, chmod 600 PATH. No error string
// contains file content, and Snapshot and AccessToken redact their tokens in
// fmt, log/slog and encoding/json output. Remove (sign-out) also deletes
// moved-aside copies, which may hold a valid refresh token.
//
// # Processes
//
// A File is safe for concurrent use within one process. One process (the
// agent) writes a cache file; a process that only reports (a status
// command) reads it with Peek, which changes nothing on disk. Load may also
// run beside the writer: a Save holds an flock(2) on its temporary file, and
// Load removes only temporary files nobody holds, which a crashed writer's
// are, since the kernel drops its locks; it moves a damaged file aside only
// when no other File holds the writer lock. Two writers of one file are not
// coordinated by Save: the last Save wins. A writer that runs for long (the
// agent) takes the writer lock first with Lock, so a second writer of the
// same cache is refused with ErrInUse instead of rotating the refresh token
// behind the first one's back.
package tokencache
