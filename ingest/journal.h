/*  journal.h - an append-only file of checksummed records: what crier-ingest accepted and what
    became of it, so that nothing accepted is lost when a process dies (docs/delivery.md).

    On disk, in CRIER_DATA_DIR/journal, each record is a 13-byte header then its payload:
        magic   4 bytes  "CRJ1"
        length  4 bytes  payload length, little-endian, at most CRIER_JOURNAL_MAX_RECORD
        crc     4 bytes  CRC-32 (zlib's) of the type byte and the payload, little-endian
        type    1 byte   what the payload is (the owner's business)
    Opening reads every record back. A record that fails its checks is skipped when valid records
    follow it (a damaged block), or cut off when nothing valid follows (a write torn by a crash);
    both are logged with their offset. Appends are buffered; crier_journal_sync writes them and
    waits for the disk (fdatasync), so many appends share one sync. What the records hold is
    records.h's business.
*/
#ifndef CRIER_JOURNAL_H_INCLUDED
#define CRIER_JOURNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRIER_JOURNAL_HEADER_BYTES 13
#define CRIER_JOURNAL_MAX_RECORD   (128u * 1024 * 1024)

typedef struct crier_journal_t crier_journal_t;

//  Little-endian integers of bytes (at most 8) bytes, the byte order of every number on disk.
static inline void crier_journal_put_le (unsigned char *at, uint64_t value, int bytes)
{
    for (int index = 0; index < bytes; index++)
        at[index] = (unsigned char)(value >> (8 * index));
}

static inline uint64_t crier_journal_get_le (const unsigned char *at, int bytes)
{
    uint64_t value = 0;
    for (int index = bytes - 1; index >= 0; index--)
        value = value << 8 | at[index];
    return value;
}

//  Where a record's payload lies in the journal file.
typedef struct {
    uint64_t offset;
    uint32_t size;
} crier_journal_position_t;

//  Called with each intact record in order while opening.
typedef void (crier_journal_replay_fn) (uint8_t type, const void *payload, size_t size,
                                        crier_journal_position_t position, void *arg);

//  What opening found.
typedef struct {
    uint64_t records;       //  intact records read back
    uint64_t skipped_bytes; //  damaged records skipped in the middle
    uint64_t cut_bytes;     //  a torn tail cut off
} crier_journal_report_t;

//  Opens (creating the directory's journal if needed) and replays it through fn. Returns NULL
//  after logging why (unwritable directory, I/O error).
crier_journal_t *crier_journal_open (const char *directory, crier_journal_replay_fn *fn, void *arg,
                                     crier_journal_report_t *report);

//  Syncs what is buffered and closes. NULL-safe; sets *self_p to NULL.
void crier_journal_close (crier_journal_t **self_p);

//  Buffers one record; position_p (may be NULL) receives where its payload will lie. Returns 0,
//  or -1 when size is over the limit or memory ran out.
int crier_journal_append (crier_journal_t *self, uint8_t type, const void *payload, size_t size,
                          crier_journal_position_t *position_p);

//  Writes what is buffered and waits until it is on disk. Returns 0, or -1 after logging: then
//  everything appended since the last successful sync is cut off the file and the buffer (so
//  that nothing whose clients were told to try again comes back after a restart), and positions
//  handed out for it are void. When even that fails the journal is broken for good.
int crier_journal_sync (crier_journal_t *self);

//  Whether a failed sync could not be cut back (the file's end is unknown): the owner must stop.
bool crier_journal_broken (const crier_journal_t *self);

//  Bytes appended and not yet synced.
size_t crier_journal_unsynced (const crier_journal_t *self);

//  Reads a payload back (from the file or from the buffer) into buffer, which holds at least
//  position.size bytes. Returns 0, or -1 after logging.
int crier_journal_read (crier_journal_t *self, crier_journal_position_t position, void *buffer);

//  Called with each record crier_journal_scan reads; returns false to stop before the next one.
typedef bool (crier_journal_scan_fn) (uint8_t type, const void *payload, size_t size,
                                      crier_journal_position_t position, void *arg);

//  Reads records back in order, from *offset_p (where a record starts) to the end of what is
//  written (the old file during a rewrite; appends still buffered are not read), calling fn with
//  each until it returns false. Damaged records are skipped and logged, as when opening.
//  *offset_p receives where the first record not handed to fn starts (or the end). Returns 0,
//  or -1 after logging (*offset_p then says how far it got).
int crier_journal_scan (crier_journal_t *self, uint64_t *offset_p, crier_journal_scan_fn *fn,
                        void *arg);

//  The journal's size in bytes, buffered appends included.
uint64_t crier_journal_size (const crier_journal_t *self);

//  Rewrites the journal with only what is still needed: fn appends every live record again
//  (crier_journal_read still reads the old file meanwhile; appends go to the new one, and the
//  positions they return are new). On success the new file replaces the old atomically.
//  Returns 0, or -1 (the old journal stays in use; fn's new positions must then be dropped).
typedef int (crier_journal_rewrite_fn) (crier_journal_t *journal, void *arg);
int crier_journal_rewrite (crier_journal_t *self, crier_journal_rewrite_fn *fn, void *arg);

#endif
